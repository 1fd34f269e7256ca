#include "statemachines/interac_withdrawal.hpp"

#include "statemachines/flow_support.hpp"
#include "statemachines/interac_support.hpp"

namespace corridor {

namespace {

// Settings (providers.interac), documented in docs/providers/interac.md. With autodeposit the credit
// completes at T+1 ("SA_CREDIT_COMPLETED à T+1"); without it the customer has 30 days to answer the
// security question. corridor checks once more a day after each, and then leaves the credit to
// Paysafe's word and the janitor (`unknown`).
constexpr std::int64_t kDayMs = 86400000;
constexpr std::int64_t kAutodepositDeadlineMs = 2 * kDayMs;
constexpr std::int64_t kClaimDeadlineMs = 31 * kDayMs;
constexpr std::int64_t kPollIntervalMs = 300000;
constexpr std::int64_t kPollMaxIntervalMs = 21600000;
// Checks per wait (max_polls): enough for the 31-day claim at the 6-hour cap (7 checks to reach the
// cap, 123 more), so the budget ends a wait only when a setting shortened the intervals.
constexpr std::int64_t kMaxPolls = 140;
constexpr std::int64_t kRetryAfterMs = 30000;
// Re-sends of a request without answer (max_retries): 30 s doubling to 300 s, 12.5 minutes in all,
// within the handle's 899 s.
constexpr std::int64_t kMaxRetries = 5;
// GETs of a verification whose POST answer was lost, before corridor concludes there is none.
constexpr std::int64_t kVerificationLookups = 3;
// Paysafe's dupCheck refusal: "The transaction you have submitted has already been processed."
constexpr std::string_view kAlreadyProcessed = "5031";

// The verification handle has its own merchantRefNum (a handle's merchantRefNum is unique at Paysafe);
// the adapter maps it back to the transaction by removing this suffix.
constexpr std::string_view kVerificationSuffix = "-verification";

// ---- what Paysafe said --------------------------------------------------------------------------
// handle.created / handle.rejected: POST /paymenthub/v1/paymenthandles (verification or credit
// handle, told apart by the state); handle.status: GET of a handle; verification.completed /
// verification.rejected: POST /paymenthub/v1/verifications; credit.created / credit.rejected: POST
// /paymenthub/v1/standalonecredits; verification.status: GET /paymenthub/v1/verifications?merchantRefNum=;
// credit.status: GET of the standalone credit; webhooks are named after their eventType. A handle
// input carries an InteracPaymentHandle, a verification an InteracVerification, a credit an
// InteracStandaloneCredit, a refusal an InteracRejection (statemachines/interac_inputs.hpp).

using interac::credit;
using interac::handle;
using interac::verification;

InteracWithdrawalData& data(const StepContext& c) { return c.txn.data.as<InteracWithdrawalData>(); }

const InteracPayoutCommand& payout_command(const StepContext& c) { return c.input_as<InteracPayoutCommand>(); }

bool wants_verification(const StepContext& c) { return payout_command(c).verify; }
// The router seals the security answer (interac.answer_sealed); one that reaches the flow in clear is
// refused, never kept.
bool answer_in_clear(const StepContext& c) {
  const std::optional<InteracSecurityFields> i = payout_command(c).interac;
  return i && i->answer;
}

bool handle_payable(const StepContext& c) { return handle(c).status == "PAYABLE"; }
bool handle_not_payable(const StepContext& c) { return !handle_payable(c); }
bool handle_failed(const StepContext& c) { return handle(c).status == "FAILED"; }
bool handle_expired(const StepContext& c) { return handle(c).status == "EXPIRED"; }
bool handle_amount_differs(const StepContext& c) { return interac::amount_differs(c, handle(c)); }
bool verification_amount_differs(const StepContext& c) { return interac::amount_differs(c, verification(c)); }
bool credit_amount_differs(const StepContext& c) { return interac::amount_differs(c, credit(c)); }
bool handle_ttl_passed(const StepContext& c) { return interac::handle_ttl_passed(c, data(c).handle_deadline_ms); }

bool verification_handle(const StepContext& c) {
  const InteracPaymentHandle& h = handle(c);
  return h.transactionType == "VERIFICATION" || h.merchantRefNum.ends_with(kVerificationSuffix);
}
bool credit_handle(const StepContext& c) { return !verification_handle(c); }

// "Vous recevez l'état de dépôt automatique et le montant maximum transférable en réponse."
bool over_max_amount(const StepContext& c, const std::optional<InteracEtransfer>& e) {
  return e && e->maxAmount && c.txn.amount.value > *e->maxAmount;
}
bool handle_over_max_amount(const StepContext& c) { return over_max_amount(c, handle(c).interacEtransfer); }
bool verification_over_max_amount(const StepContext& c) { return over_max_amount(c, verification(c).interacEtransfer); }
bool autodeposit_in(const std::optional<InteracEtransfer>& e) {
  return e && e->transferType == "ALIAS_AUTODEPOSIT";
}
bool has_security_question(const Transaction& t) {
  const auto& q = t.data.as<InteracWithdrawalData>().security;
  return q && !q->question.empty() && !q->answer_sealed.empty();
}
// "Pour les retraits sans dépôt automatique, vous devez transmettre la question de sécurité et la réponse."
bool no_autodeposit_no_question(const StepContext& c) {
  return !autodeposit_in(verification(c).interacEtransfer) && !has_security_question(c.txn);
}
bool verification_not_completed(const StepContext& c) { return verification(c).status != "COMPLETED"; }

bool credit_completed(const StepContext& c) { return credit(c).status == "COMPLETED"; }
bool credit_failed(const StepContext& c) {
  const std::string s = credit(c).status;
  return s == "FAILED" || s == "ERRORED";
}
bool credit_cancelled(const StepContext& c) {
  const std::string s = credit(c).status;
  return s == "CANCELLED" || s == "EXPIRED";
}
bool credit_deadline_passed(const StepContext& c) {
  const auto& deadline = data(c).credit_deadline_ms;
  return deadline && c.input.at_ms >= *deadline;
}
bool checks_spent(const StepContext& c) { return polls_spent(c, kMaxPolls); }

bool failed_handle_request(const StepContext& c) { return failed_op(c) == "create_payment_handle"; }
bool failed_handle_check(const StepContext& c) { return failed_op(c) == "get_payment_handle"; }
bool handle_request_refused(const StepContext& c) { return failed_handle_request(c) && refused_before_send(c); }
bool handle_request_not_sent(const StepContext& c) {
  return failed_handle_request(c) && not_sent(c) && !retries_spent(c, kMaxRetries);
}
bool handle_check_failed_after_ttl(const StepContext& c) { return failed_handle_check(c) && handle_ttl_passed(c); }
bool failed_verification(const StepContext& c) { return failed_op(c) == "create_verification"; }
// Nothing left corridor: no verification exists to look up.
bool verification_not_sent(const StepContext& c) { return failed_verification(c) && not_sent(c); }
// The retry of a /verifications whose first answer was lost: Paysafe has it already (its error code,
// Paysafe's word).
bool verification_already_processed(const StepContext& c) { return interac::rejection(c).code == kAlreadyProcessed; }
bool failed_verification_lookup(const StepContext& c) { return failed_op(c) == "get_verification"; }
bool verification_lookups_exhausted(const StepContext& c) {
  return failed_verification_lookup(c) &&
         data(c).verification_lookups.value_or(0) >= c.settings.get("verification_lookups", kVerificationLookups);
}
bool failed_credit_request(const StepContext& c) { return failed_op(c) == "create_standalone_credit"; }
bool credit_refused(const StepContext& c) { return failed_credit_request(c) && refused_before_send(c); }
bool credit_after_ttl(const StepContext& c) { return failed_credit_request(c) && handle_ttl_passed(c); }
bool credit_retries_spent(const StepContext& c) { return failed_credit_request(c) && retries_spent(c, kMaxRetries); }
bool failed_credit_check(const StepContext& c) { return failed_op(c) == "get_standalone_credit"; }
bool credit_not_found(const StepContext& c) { return failed_credit_check(c) && interac::not_found(c); }
bool no_credit_after_ttl(const StepContext& c) { return credit_not_found(c) && handle_ttl_passed(c); }
bool credit_check_failed_after_ttl(const StepContext& c) { return failed_credit_check(c) && handle_ttl_passed(c); }
bool credit_check_failed_after_deadline(const StepContext& c) {
  return failed_credit_check(c) && credit_deadline_passed(c);
}
bool credit_checks_failed_spent(const StepContext& c) { return failed_credit_check(c) && checks_spent(c); }

// ---- what corridor does -------------------------------------------------------------------------

void refuse_clear_answer(StepContext& c) {
  c.set_reason("the security answer arrived in clear (interac.answer): corridor takes it sealed only "
               "(interac.answer_sealed) and keeps no answer in clear");
}

// The question and the sealed answer: the answer is opened by the executor, in memory, just before
// the request that carries it; the transaction's data, events and reasons only ever see the sealed form.
void keep_security_question(StepContext& c) {
  const std::optional<InteracSecurityFields> i = payout_command(c).interac;
  if (!i) return;
  if (!i->question.empty() || !i->answer_sealed.empty())
    data(c).security = InteracSecurityQuestion{.question = i->question, .answer_sealed = i->answer_sealed};
}

std::string verification_ref(const Transaction& t) { return t.txn_id + std::string(kVerificationSuffix); }

interac::HandleParams verification_handle_params(const Transaction& t) {
  return {.merchantRefNum = verification_ref(t),
          .transactionType = "VERIFICATION",
          .amount = t.amount,
          .interacEtransfer = interac::consumer(t)};
}

// Verification API: a VERIFICATION handle, PAYABLE at once, then POST /verifications.
void request_verification_handle(StepContext& c) {
  keep_security_question(c);
  data(c).handle_call_id = c.call("create_payment_handle", verification_handle_params(c.txn));
}

void resend_verification_handle_request(StepContext& c) {
  c.call_again(data(c).handle_call_id, "create_payment_handle", verification_handle_params(c.txn));
}

void look_up_verification_handle(StepContext& c) {
  c.call("get_payment_handle", interac::HandleLookup{.payment_handle_id = "", .merchantRefNum = verification_ref(c.txn)});
}

// The verification handle is kept apart from the credit handle: payment_handle_id and its token are
// the credit handle's.
void record_verification_handle(StepContext& c, const InteracPaymentHandle& h) {
  c.txn.provider_refs.set(interac::refs::kVerificationHandleId, h.id);
}

// POST /verifications: the verification handle's token, for the payment's amount.
struct VerificationParams {
  static constexpr bool kWritesEmptyText = true;
  std::string merchantRefNum;
  Money amount;
  std::string paymentHandleToken;
};
BOOST_DESCRIBE_STRUCT(VerificationParams, (), (merchantRefNum, amount, paymentHandleToken))

// GET /verifications, by merchantRefNum.
struct VerificationLookup {
  static constexpr bool kWritesEmptyText = true;
  std::string merchantRefNum;
};
BOOST_DESCRIBE_STRUCT(VerificationLookup, (), (merchantRefNum))

// GET /standalonecredits/{id}.
struct CreditLookup {
  static constexpr bool kWritesEmptyText = true;
  std::string standalone_credit_id;
  std::string merchantRefNum;
};
BOOST_DESCRIBE_STRUCT(CreditLookup, (), (standalone_credit_id, merchantRefNum))

void verify(StepContext& c) {
  const InteracPaymentHandle& h = handle(c);
  record_verification_handle(c, h);
  c.cancel_timer("timer.retry");
  c.call("create_verification", VerificationParams{.merchantRefNum = verification_ref(c.txn),
                                                   .amount = c.txn.amount,
                                                   .paymentHandleToken = h.paymentHandleToken});
}

interac::HandleParams credit_handle_params(const Transaction& t) {
  interac::HandleParams p{.merchantRefNum = t.txn_id,
                          .transactionType = "STANDALONE_CREDIT",
                          .amount = t.amount,
                          .interacEtransfer = interac::consumer(t)};
  // Autodeposit needs no question; without it (or not knowing) the question and the sealed answer
  // go along: {"answer": {"sealed": ...}} is opened by the executor just before the request.
  const InteracWithdrawalData& d = t.data.as<InteracWithdrawalData>();
  if (!d.autodeposit.value_or(false) && has_security_question(t)) {
    p.interacEtransfer.question = d.security->question;
    p.interacEtransfer.answer = interac::Sealed{d.security->answer_sealed};
  }
  p.customer = shared_customer(t);
  return p;
}

void request_credit_handle(StepContext& c) {
  keep_security_question(c);
  data(c).handle_call_id = c.call("create_payment_handle", credit_handle_params(c.txn));
}

void resend_credit_handle_request(StepContext& c) {
  c.call_again(data(c).handle_call_id, "create_payment_handle", credit_handle_params(c.txn));
}

void check_credit_handle(StepContext& c) {
  c.call("get_payment_handle",
         interac::HandleLookup{.payment_handle_id = std::string(c.txn.provider_refs.get(interac::refs::kPaymentHandleId)),
                               .merchantRefNum = c.txn.txn_id});
}

void record_verification(StepContext& c) {
  const InteracVerification& v = verification(c);
  c.txn.provider_refs.set(interac::refs::kVerificationId, v.id);
  if (v.interacEtransfer) {
    InteracWithdrawalData& d = data(c);
    if (v.interacEtransfer->maxAmount) d.max_amount = v.interacEtransfer->maxAmount;
    d.autodeposit = autodeposit_in(v.interacEtransfer);
  }
}

void credit_after_verification(StepContext& c) {
  record_verification(c);
  c.cancel_timer("timer.retry");
  reset_retries(c);
  request_credit_handle(c);
}

// POST /standalonecredits with the credit handle's token.
struct CreditParams {
  static constexpr bool kWritesEmptyText = true;
  std::string merchantRefNum;
  Money amount;
  std::string paymentHandleToken;
  std::optional<std::string> description{};
};
BOOST_DESCRIBE_STRUCT(CreditParams, (), (merchantRefNum, amount, paymentHandleToken, description))

CreditParams credit_params(const Transaction& t) {
  CreditParams p{.merchantRefNum = t.txn_id,
                 .amount = t.amount,
                 .paymentHandleToken = std::string(t.provider_refs.get(interac::refs::kPaymentHandleToken))};
  if (auto d = description_of(t); !d.empty()) p.description = std::string(d);
  return p;
}

// "L'appel à l'API POST /standalonecredits n'est possible que si paymentHandleToken est PAYABLE." The
// handle's TTL still runs: a /standalonecredits without answer is re-sent only until then.
void request_credit(StepContext& c) {
  InteracWithdrawalData& d = data(c);
  const InteracPaymentHandle& h = handle(c);
  interac::record_handle(c, h);
  if (h.interacEtransfer && h.interacEtransfer->transferType) d.autodeposit = autodeposit_in(h.interacEtransfer);
  interac::arm_handle_ttl(c, h, d.handle_deadline_ms);
  c.cancel_timer("timer.retry");
  reset_retries(c);
  d.credit_call_id = c.call("create_standalone_credit", credit_params(c.txn));
}

void retry_credit(StepContext& c) {
  c.call_again(data(c).credit_call_id, "create_standalone_credit", credit_params(c.txn));
}

void await_payable(StepContext& c) {
  const InteracPaymentHandle& h = handle(c);
  interac::record_handle(c, h);
  interac::arm_handle_ttl(c, h, data(c).handle_deadline_ms);
}

void poll_again(StepContext& c) { schedule_poll(c, kPollIntervalMs, kPollMaxIntervalMs); }

void check_credit(StepContext& c) {
  c.call("get_standalone_credit",
         CreditLookup{.standalone_credit_id = std::string(c.txn.provider_refs.get(interac::refs::kStandaloneCreditId)),
                      .merchantRefNum = c.txn.txn_id});
}

// The handle's TTL passed with /standalonecredits unanswered: no more re-sends (the token is no longer
// PAYABLE); whether a credit exists is asked by merchantRefNum.
void check_credit_at_ttl(StepContext& c) {
  c.cancel_timer("timer.retry");
  check_credit(c);
}

void record_credit(StepContext& c) { c.txn.provider_refs.set(interac::refs::kStandaloneCreditId, credit(c).id); }

// SA_CREDIT_PROCESSING: T+1 with autodeposit, up to 30 days with a security question.
void await_credit(StepContext& c) {
  if (!c.input.name.starts_with("SA_CREDIT") || !credit(c).paymentHandleToken.empty()) record_credit(c);
  c.cancel_timer("timer.retry");
  c.cancel_timer("timer.handle_expired");
  InteracWithdrawalData& d = data(c);
  const bool autodeposit = d.autodeposit.value_or(!has_security_question(c.txn));
  const std::int64_t delay = autodeposit ? c.settings.get("autodeposit_deadline_ms", kAutodepositDeadlineMs)
                                         : c.settings.get("claim_deadline_ms", kClaimDeadlineMs);
  d.credit_deadline_ms = c.input.at_ms + delay;
  c.set_timer("timer.credit_deadline", c.input.at_ms + delay);
  reset_poll(c);
  poll_again(c);
}

// The /verifications answer was lost (no answer after retries, or the retry refused as already
// processed): GET /paymenthub/v1/verifications?merchantRefNum=<txn_id>-verification finds it.
void look_up_verification(StepContext& c) {
  auto& lookups = data(c).verification_lookups;
  lookups = lookups.value_or(0) + 1;
  c.call("get_verification", VerificationLookup{verification_ref(c.txn)});
}

void check_verification(StepContext& c) { c.call("get_verification", VerificationLookup{verification_ref(c.txn)}); }

void complete(StepContext& c) { record_credit(c); }

void fail_credit(StepContext& c) {
  record_credit(c);
  const bool webhook = c.input.name.find('.') == std::string::npos;
  c.set_reason("Paysafe: " + (webhook ? c.input.name : "standalone credit " + credit(c).status));
}

void credit_cancelled_reason(StepContext& c) {
  record_credit(c);
  c.set_reason("the customer did not claim the transfer in time");
}

void credit_mismatch(StepContext& c) {
  const InteracStandaloneCredit& cr = credit(c);
  c.txn.provider_refs.set(interac::refs::kStandaloneCreditId, cr.id);
  interac::record_mismatch(c, cr, "Paysafe's standalone credit");
}
void handle_mismatch(StepContext& c) {
  const InteracPaymentHandle& h = handle(c);
  interac::record_handle(c, h);
  interac::record_mismatch(c, h, "Paysafe's payment handle");
}
void verification_handle_mismatch(StepContext& c) {
  const InteracPaymentHandle& h = handle(c);
  record_verification_handle(c, h);
  interac::record_mismatch(c, h, "Paysafe's verification handle");
}
void verification_mismatch(StepContext& c) {
  record_verification(c);
  interac::record_mismatch(c, verification(c), "Paysafe's verification");
}

void refuse_over_max(StepContext& c, const std::optional<InteracEtransfer>& e) {
  c.set_reason("amount " + std::to_string(c.txn.amount.value) + " is over the customer's maxAmount " +
               std::to_string(e ? e->maxAmount.value_or(0) : 0));
}
void over_max(StepContext& c) { refuse_over_max(c, handle(c).interacEtransfer); }
void verification_over_max(StepContext& c) {
  record_verification(c);
  refuse_over_max(c, verification(c).interacEtransfer);
}
void needs_question(StepContext& c) {
  record_verification(c);
  c.set_reason("not registered for autodeposit and no security question and answer given");
}
void verification_failed(StepContext& c) {
  record_verification(c);
  c.set_reason("verification " + verification(c).status);
}
void handle_declined(StepContext& c) {
  interac::record_handle(c, handle(c));
  c.set_reason("standalone credit handle FAILED");
}
void handle_expired_reason(StepContext& c) {
  interac::record_handle(c, handle(c));
  c.set_reason("payment handle expired before /standalonecredits");
}
void expired_on_corridors_clock(StepContext& c) {
  const InteracPaymentHandle& h = handle(c);
  interac::record_handle(c, h);
  c.set_reason("the handle's TTL passed and Paysafe still shows it " + h.status +
               ": no credit was sent; expired on corridor's clock");
}
void expired_without_answer(StepContext& c) {
  c.set_reason(with_failure("the handle's TTL passed and the last check got no answer: no credit was sent; "
                            "expired on corridor's clock",
                            c));
}
void no_credit_made(StepContext& c) {
  c.set_reason(
      with_failure("the handle's TTL passed and Paysafe shows no standalone credit: nothing was credited", c));
}
void verification_handle_unusable(StepContext& c) {
  const InteracPaymentHandle& h = handle(c);
  record_verification_handle(c, h);
  c.set_reason("verification handle " + h.status + " instead of PAYABLE");
}
void refused(StepContext& c) { c.set_reason(with_detail("Paysafe refused the request", interac::rejection(c).error)); }
void not_sendable(StepContext& c) { c.set_reason(with_failure("the request could not be sent; nothing was credited", c)); }
void no_answer(StepContext& c) { c.set_reason(with_failure("no answer from Paysafe; nothing was credited", c)); }
void verification_not_found(StepContext& c) {
  c.set_reason(
      with_failure("the verification's answer was lost and Paysafe shows none; nothing was credited", c));
}
void retry_later(StepContext& c) { schedule_retry(c, kRetryAfterMs); }

// Every timer of a wait ends where the janitor takes over.
void stop_waiting(StepContext& c) {
  for (std::string_view t : {"timer.poll", "timer.retry", "timer.handle_expired", "timer.credit_deadline"})
    c.cancel_timer(t);
}
void credit_unanswered(StepContext& c) {
  stop_waiting(c);
  c.set_reason(with_failure("no answer to /standalonecredits after " +
                                std::to_string(c.txn.retry_attempt.value_or(0)) +
                                " re-sends: Paysafe may have taken it; reconciliation asks",
                            c));
}
void credit_check_unanswered(StepContext& c) {
  stop_waiting(c);
  c.set_reason(with_failure("no answer to the standalone credit check: a credit may exist; reconciliation asks", c));
}
void still_processing(StepContext& c) {
  record_credit(c);
  stop_waiting(c);
  c.set_reason("still PROCESSING past the credit deadline (T+1 with autodeposit, 30 days otherwise): Paysafe's "
               "word decides (reconciliation)");
}
void credit_checks_spent(StepContext& c) {
  record_credit(c);
  stop_waiting(c);
  c.set_reason("standalone credit checks spent (max_polls) while Paysafe says PROCESSING: reconciliation asks");
}

Flow make_flow() {
  Flow f;
  f.id = "interac.withdrawal";
  f.provider = "interac";
  f.name = "withdrawal";
  f.bind = &bind_data<InteracWithdrawalData>;
  f.create_command = "payout.create";
  f.required_fields = {"customer.email"};
  f.states = {
      {"created", Status::pending},
      {"verification_requested", Status::pending},
      {"verifying", Status::pending},
      {"credit_handle_requested", Status::pending},
      {"credit_requested", Status::processing},
      {"credit_processing", Status::processing},
      {"unknown", Status::unknown},
      {"completed", Status::succeeded, true},
      {"declined", Status::declined, true},
      {"failed", Status::failed, true},
      {"expired", Status::expired, true},
      {"amount_mismatch", Status::amount_mismatch, true},
  };
  // Paysafe's definitive word (SA_CREDIT_COMPLETED / _FAILED / _ERRORED / _CANCELLED, the handle's
  // FAILED and EXPIRED, the GET answers) has a row from every state a final state can settle from,
  // so that it also decides a late outcome (statemachines/reconcile.hpp, step_final). A resource
  // reporting another amount than asked goes to amount_mismatch: its row sits below the failures
  // (nothing moved) and above every row that goes on or succeeds.
  // clang-format off
  f.rows = {
    // from                      on                         guard                        to                         action
    {"created",                  "payout.create",           "answer in clear",           answer_in_clear,            "failed",                  refuse_clear_answer,         "the security answer is taken sealed only (interac.answer_sealed)"},
    {"created",                  "payout.create",           "verify",                    wants_verification,         "verification_requested",  request_verification_handle, "Verification API: a VERIFICATION payment handle first"},
    {"created",                  "payout.create",           "",                          nullptr,                    "credit_handle_requested", request_credit_handle,       "Standalone credit API: a STANDALONE_CREDIT payment handle"},

    {"verification_requested",   "handle.created",          "handle not PAYABLE",        handle_not_payable,         "failed",                  verification_handle_unusable, "the verification handle should be PAYABLE at once"},
    {"verification_requested",   "handle.created",          "amount differs",            handle_amount_differs,      "amount_mismatch",         verification_handle_mismatch, "the verification handle is for another amount"},
    {"verification_requested",   "handle.created",          "",                          nullptr,                    "verifying",               verify,                      "the handle is PAYABLE at once: POST /verifications"},
    {"verification_requested",   "handle.rejected",         "",                          nullptr,                    "failed",                  refused,                     "Paysafe refused the verification handle"},
    {"verification_requested",   "call.failed",             "handle request refused before send", handle_request_refused, "failed",           not_sendable,                "the adapter refused the handle request: nothing left corridor"},
    {"verification_requested",   "call.failed",             "handle request not sent",   handle_request_not_sent,    "verification_requested",  retry_later,                 "nothing left corridor (circuit open): send the handle request again later"},
    {"verification_requested",   "call.failed",             "op create_payment_handle",  failed_handle_request,      "failed",                  no_answer,                   "no answer: nothing was credited", kProvisional},
    {"verification_requested",   "call.failed",             "op get_payment_handle",     failed_handle_check,        "verification_requested",  nullptr,                     "the look-up found no handle yet: the handle request's answer decides"},
    {"verification_requested",   "timer.retry",             "",                          nullptr,                    "verification_requested",  resend_verification_handle_request, "POST /paymenthandles again under the same id"},
    {"verification_requested",   "transaction.reconcile",   "",                          nullptr,                    "verification_requested",  look_up_verification_handle, "reconciliation: GET /paymenthandles?merchantRefNum=<txn_id>-verification"},
    {"verification_requested",   "handle.status",           "handle not PAYABLE",        handle_not_payable,         "failed",                  verification_handle_unusable, "the verification handle found by GET is not PAYABLE"},
    {"verification_requested",   "handle.status",           "amount differs",            handle_amount_differs,      "amount_mismatch",         verification_handle_mismatch, "the verification handle found by GET is for another amount"},
    {"verification_requested",   "handle.status",           "",                          nullptr,                    "verifying",               verify,                      "the verification handle found by GET is PAYABLE: POST /verifications"},
    {"verification_requested",   "PAYMENT_HANDLE_PAYABLE",  "amount differs",            handle_amount_differs,      "amount_mismatch",         verification_handle_mismatch, "the verification handle is for another amount"},
    {"verification_requested",   "PAYMENT_HANDLE_PAYABLE",  "",                          nullptr,                    "verifying",               verify,                      "the PAYABLE webhook overtook the handle response"},

    {"verifying",                "verification.completed",  "verification not COMPLETED", verification_not_completed, "failed",                 verification_failed,         "the verification did not complete"},
    {"verifying",                "verification.completed",  "amount differs",            verification_amount_differs, "amount_mismatch",         verification_mismatch,       "the verification is for another amount"},
    {"verifying",                "verification.completed",  "over maxAmount",            verification_over_max_amount, "declined",                verification_over_max,       "the amount is over maxAmount: declined before any credit"},
    {"verifying",                "verification.completed",  "no autodeposit nor question", no_autodeposit_no_question, "declined",              needs_question,              "without autodeposit a security question and answer are required"},
    {"verifying",                "verification.completed",  "",                          nullptr,                    "credit_handle_requested", credit_after_verification,   "autodeposit status and maxAmount known: create the credit handle"},
    {"verifying",                "verification.rejected",   "already processed (5031)",  verification_already_processed, "verifying",          look_up_verification,        "dupCheck 5031 on a retry: the first /verifications was taken, GET it by merchantRefNum"},
    {"verifying",                "verification.rejected",   "",                          nullptr,                    "failed",                  refused,                     "Paysafe refused the verification"},
    {"verifying",                "call.failed",             "verification not sent",     verification_not_sent,      "failed",                  not_sendable,                "nothing left corridor: no verification exists, nothing was credited"},
    {"verifying",                "call.failed",             "op create_verification",    failed_verification,        "verifying",               look_up_verification,        "no answer to /verifications: GET /paymenthub/v1/verifications?merchantRefNum=<txn_id>-verification"},
    {"verifying",                "verification.status",     "verification not COMPLETED", verification_not_completed, "failed",                 verification_failed,         "the verification found by GET did not complete"},
    {"verifying",                "verification.status",     "amount differs",            verification_amount_differs, "amount_mismatch",         verification_mismatch,       "found by GET: the verification is for another amount"},
    {"verifying",                "verification.status",     "over maxAmount",            verification_over_max_amount, "declined",                verification_over_max,       "found by GET: the amount is over maxAmount, declined before any credit"},
    {"verifying",                "verification.status",     "no autodeposit nor question", no_autodeposit_no_question, "declined",              needs_question,              "found by GET: without autodeposit a security question and answer are required"},
    {"verifying",                "verification.status",     "",                          nullptr,                    "credit_handle_requested", credit_after_verification,   "found by GET: autodeposit status and maxAmount known, create the credit handle"},
    {"verifying",                "call.failed",             "verification lookups exhausted", verification_lookups_exhausted, "failed",             verification_not_found,      "verification_lookups GETs found nothing: nothing was credited", kProvisional},
    {"verifying",                "call.failed",             "op get_verification",       failed_verification_lookup, "verifying",               retry_later,                 "the verification GET failed or found none yet: GET again later"},
    {"verifying",                "transaction.reconcile",   "",                          nullptr,                    "verifying",               check_verification,          "reconciliation: GET /paymenthub/v1/verifications?merchantRefNum=<txn_id>-verification"},
    {"verifying",                "timer.retry",             "",                          nullptr,                    "verifying",               look_up_verification,        "GET the verification again"},
    {"verifying",                "PAYMENT_HANDLE_PAYABLE",  "",                          nullptr,                    "verifying",               nullptr,                     "duplicate PAYABLE webhook of the verification handle"},
    {"verifying",                "PAYMENT_HANDLE_COMPLETED", "",                         nullptr,                    "verifying",               nullptr,                     "the verification handle was used"},
    {"verifying",                "handle.created",          "",                          nullptr,                    "verifying",               nullptr,                     "the handle response after its PAYABLE webhook"},

    {"credit_handle_requested",  "handle.created",          "handle FAILED",             handle_failed,              "declined",                handle_declined,             "the credit handle is FAILED"},
    {"credit_handle_requested",  "handle.created",          "amount differs",            handle_amount_differs,      "amount_mismatch",         handle_mismatch,             "the credit handle is for another amount: nothing is credited with it"},
    {"credit_handle_requested",  "handle.created",          "over maxAmount",            handle_over_max_amount,     "declined",                over_max,                    "the amount is over maxAmount: declined before any credit"},
    {"credit_handle_requested",  "handle.created",          "handle PAYABLE",            handle_payable,             "credit_requested",        request_credit,              "PAYABLE: POST /paymenthub/v1/standalonecredits"},
    {"credit_handle_requested",  "handle.created",          "",                          nullptr,                    "credit_handle_requested", await_payable,               "not PAYABLE yet: wait for PAYMENT_HANDLE_PAYABLE within the TTL"},
    {"credit_handle_requested",  "handle.rejected",         "",                          nullptr,                    "failed",                  refused,                     "Paysafe refused the credit handle"},
    {"credit_handle_requested",  "call.failed",             "handle request refused before send", handle_request_refused, "failed",           not_sendable,                "the adapter refused the handle request: nothing left corridor"},
    {"credit_handle_requested",  "call.failed",             "handle request not sent",   handle_request_not_sent,    "credit_handle_requested", retry_later,                 "nothing left corridor (circuit open): send the handle request again later"},
    {"credit_handle_requested",  "call.failed",             "op create_payment_handle",  failed_handle_request,      "failed",                  no_answer,                   "no answer: nothing was credited", kProvisional},
    {"credit_handle_requested",  "call.failed",             "handle check failed, handle TTL passed", handle_check_failed_after_ttl, "expired", expired_without_answer, "no answer to the last check after the TTL: no credit was sent", kProvisional},
    {"credit_handle_requested",  "call.failed",             "op get_payment_handle",     failed_handle_check,        "credit_handle_requested", nullptr,                     "the look-up found no handle yet: the handle request's answer decides"},
    {"credit_handle_requested",  "timer.retry",             "",                          nullptr,                    "credit_handle_requested", resend_credit_handle_request, "POST /paymenthandles again under the same id"},
    {"credit_handle_requested",  "timer.handle_expired",    "",                          nullptr,                    "credit_handle_requested", check_credit_handle,         "the handle's TTL passed: a last check of the handle"},
    {"credit_handle_requested",  "transaction.reconcile",   "",                          nullptr,                    "credit_handle_requested", check_credit_handle,         "reconciliation: GET the credit handle (by id or merchantRefNum)"},
    {"credit_handle_requested",  "handle.status",           "handle FAILED",             handle_failed,              "declined",                handle_declined,             "the credit handle found by GET is FAILED"},
    {"credit_handle_requested",  "handle.status",           "handle EXPIRED",            handle_expired,             "expired",                 handle_expired_reason,       "the credit handle found by GET is EXPIRED: no /standalonecredits within 899 s"},
    {"credit_handle_requested",  "handle.status",           "amount differs",            handle_amount_differs,      "amount_mismatch",         handle_mismatch,             "the credit handle found by GET is for another amount"},
    {"credit_handle_requested",  "handle.status",           "over maxAmount",            handle_over_max_amount,     "declined",                over_max,                    "found by GET: the amount is over maxAmount, declined before any credit"},
    {"credit_handle_requested",  "handle.status",           "handle PAYABLE",            handle_payable,             "credit_requested",        request_credit,              "the credit handle found by GET is PAYABLE: POST /standalonecredits"},
    {"credit_handle_requested",  "handle.status",           "handle TTL passed",         handle_ttl_passed,          "expired",                 expired_on_corridors_clock,  "the TTL passed and the handle never became PAYABLE: no credit was sent", kProvisional},
    {"credit_handle_requested",  "handle.status",           "",                          nullptr,                    "credit_handle_requested", await_payable,               "not PAYABLE yet: wait within the TTL"},
    {"credit_handle_requested",  "PAYMENT_HANDLE_PAYABLE",  "verification handle",       verification_handle,        "credit_handle_requested", nullptr,                     "a late webhook of the verification handle"},
    {"credit_handle_requested",  "PAYMENT_HANDLE_PAYABLE",  "amount differs",            handle_amount_differs,      "amount_mismatch",         handle_mismatch,             "the PAYABLE credit handle is for another amount: nothing is credited with it"},
    {"credit_handle_requested",  "PAYMENT_HANDLE_PAYABLE",  "",                          nullptr,                    "credit_requested",        request_credit,              "the credit handle became PAYABLE (or its webhook overtook the response)"},
    {"credit_handle_requested",  "PAYMENT_HANDLE_FAILED",   "credit handle",             credit_handle,              "declined",                handle_declined,             "the credit handle is FAILED"},
    {"credit_handle_requested",  "PAYMENT_HANDLE_EXPIRED",  "credit handle",             credit_handle,              "expired",                 handle_expired_reason,       "no /standalonecredits within 899 s: PAYMENT_HANDLE_EXPIRED"},

    {"credit_requested",         "credit.created",          "credit FAILED",             credit_failed,              "failed",                  fail_credit,                 "the standalone credit failed"},
    {"credit_requested",         "credit.created",          "credit CANCELLED",          credit_cancelled,           "expired",                 credit_cancelled_reason,     "the /standalonecredits response says CANCELLED / EXPIRED"},
    {"credit_requested",         "credit.created",          "amount differs",            credit_amount_differs,      "amount_mismatch",         credit_mismatch,             "the standalone credit is for another amount"},
    {"credit_requested",         "credit.created",          "credit COMPLETED",          credit_completed,           "completed",               complete,                    "the standalone credit completed at once"},
    {"credit_requested",         "credit.created",          "",                          nullptr,                    "credit_processing",       await_credit,                "PROCESSING: funds on their way"},
    {"credit_requested",         "credit.rejected",         "",                          nullptr,                    "failed",                  refused,                     "Paysafe refused /standalonecredits"},
    {"credit_requested",         "call.failed",             "credit refused before send", credit_refused,            "failed",                  not_sendable,                "the adapter refused /standalonecredits: nothing left corridor, nothing was credited"},
    {"credit_requested",         "call.failed",             "credit unanswered, handle TTL passed", credit_after_ttl, "credit_requested",       check_credit_at_ttl,         "/standalonecredits only on a PAYABLE handle: past its TTL, ask whether a credit exists"},
    {"credit_requested",         "call.failed",             "credit retries spent",      credit_retries_spent,       "unknown",                 credit_unanswered,           "re-sends of /standalonecredits spent without an answer: reconciliation"},
    {"credit_requested",         "call.failed",             "op create_standalone_credit", failed_credit_request,    "credit_requested",        retry_later,                 "no answer (or not sent): try again, backing off (merchantRefNum + dupCheck)"},
    {"credit_requested",         "call.failed",             "no credit, handle TTL passed", no_credit_after_ttl,     "expired",                 no_credit_made,              "Paysafe has no credit and the handle's TTL passed: nothing can be credited with it", kProvisional},
    {"credit_requested",         "call.failed",             "credit check failed, handle TTL passed", credit_check_failed_after_ttl, "unknown", credit_check_unanswered,     "no answer to the last check after the TTL: reconciliation"},
    {"credit_requested",         "call.failed",             "op get_standalone_credit",  failed_credit_check,        "credit_requested",        nullptr,                     "the look-up found no credit (yet): the /standalonecredits answer decides"},
    {"credit_requested",         "timer.retry",             "handle TTL passed",         handle_ttl_passed,          "credit_requested",        check_credit_at_ttl,         "/standalonecredits only on a PAYABLE handle: past its TTL, ask whether a credit exists"},
    {"credit_requested",         "timer.retry",             "",                          nullptr,                    "credit_requested",        retry_credit,                "POST /standalonecredits again under the same idempotency key"},
    {"credit_requested",         "timer.handle_expired",    "",                          nullptr,                    "credit_requested",        check_credit_at_ttl,         "the handle's TTL applies while /standalonecredits is out: ask whether a credit exists"},
    {"credit_requested",         "transaction.reconcile",   "",                          nullptr,                    "credit_requested",        check_credit,                "reconciliation: GET /standalonecredits?merchantRefNum="},
    {"credit_requested",         "credit.status",           "credit FAILED",             credit_failed,              "failed",                  fail_credit,                 "GET says FAILED / ERRORED"},
    {"credit_requested",         "credit.status",           "credit CANCELLED",          credit_cancelled,           "expired",                 credit_cancelled_reason,     "GET says CANCELLED / EXPIRED"},
    {"credit_requested",         "credit.status",           "amount differs",            credit_amount_differs,      "amount_mismatch",         credit_mismatch,             "GET: the standalone credit is for another amount"},
    {"credit_requested",         "credit.status",           "credit COMPLETED",          credit_completed,           "completed",               complete,                    "GET says COMPLETED"},
    {"credit_requested",         "credit.status",           "",                          nullptr,                    "credit_processing",       await_credit,                "GET: the credit exists and is PROCESSING"},
    {"credit_requested",         "SA_CREDIT_PROCESSING",    "amount differs",            credit_amount_differs,      "amount_mismatch",         credit_mismatch,             "the standalone credit is for another amount"},
    {"credit_requested",         "SA_CREDIT_PROCESSING",    "",                          nullptr,                    "credit_processing",       await_credit,                "SA_CREDIT_PROCESSING overtook the response"},
    {"credit_requested",         "SA_CREDIT_COMPLETED",     "amount differs",            credit_amount_differs,      "amount_mismatch",         credit_mismatch,             "Paysafe credited another amount"},
    {"credit_requested",         "SA_CREDIT_COMPLETED",     "",                          nullptr,                    "completed",               complete,                    "SA_CREDIT_COMPLETED overtook the response"},
    {"credit_requested",         "SA_CREDIT_FAILED",        "",                          nullptr,                    "failed",                  fail_credit,                 "the credit failed"},
    {"credit_requested",         "SA_CREDIT_ERRORED",       "",                          nullptr,                    "failed",                  fail_credit,                 "the credit errored"},
    {"credit_requested",         "SA_CREDIT_CANCELLED",     "",                          nullptr,                    "expired",                 credit_cancelled_reason,     "the transfer is cancelled"},
    {"credit_requested",         "PAYMENT_HANDLE_EXPIRED",  "credit handle",             credit_handle,              "expired",                 handle_expired_reason,       "/standalonecredits did not reach Paysafe within 899 s"},
    {"credit_requested",         "PAYMENT_HANDLE_PAYABLE",  "",                          nullptr,                    "credit_requested",        nullptr,                     "duplicate PAYABLE webhook"},
    {"credit_requested",         "PAYMENT_HANDLE_COMPLETED", "",                         nullptr,                    "credit_requested",        nullptr,                     "the handle was used by our /standalonecredits"},

    {"credit_processing",        "SA_CREDIT_COMPLETED",     "amount differs",            credit_amount_differs,      "amount_mismatch",         credit_mismatch,             "Paysafe credited another amount"},
    {"credit_processing",        "SA_CREDIT_COMPLETED",     "",                          nullptr,                    "completed",               complete,                    "SA_CREDIT_COMPLETED: T+1 with autodeposit, within 30 days otherwise"},
    {"credit_processing",        "SA_CREDIT_FAILED",        "",                          nullptr,                    "failed",                  fail_credit,                 "the credit failed"},
    {"credit_processing",        "SA_CREDIT_ERRORED",       "",                          nullptr,                    "failed",                  fail_credit,                 "the credit errored"},
    {"credit_processing",        "SA_CREDIT_CANCELLED",     "",                          nullptr,                    "expired",                 credit_cancelled_reason,     "not claimed within 30 days: the transfer is cancelled"},
    {"credit_processing",        "SA_CREDIT_PROCESSING",    "amount differs",            credit_amount_differs,      "amount_mismatch",         credit_mismatch,             "the standalone credit is for another amount"},
    {"credit_processing",        "SA_CREDIT_PROCESSING",    "",                          nullptr,                    "credit_processing",       record_credit,               "duplicate SA_CREDIT_PROCESSING"},
    {"credit_processing",        "credit.created",          "credit FAILED",             credit_failed,              "failed",                  fail_credit,                 "the late /standalonecredits response says FAILED"},
    {"credit_processing",        "credit.created",          "credit CANCELLED",          credit_cancelled,           "expired",                 credit_cancelled_reason,     "the late /standalonecredits response says CANCELLED / EXPIRED"},
    {"credit_processing",        "credit.created",          "amount differs",            credit_amount_differs,      "amount_mismatch",         credit_mismatch,             "the late /standalonecredits response is for another amount"},
    {"credit_processing",        "credit.created",          "credit COMPLETED",          credit_completed,           "completed",               complete,                    "the late /standalonecredits response says COMPLETED"},
    {"credit_processing",        "credit.created",          "",                          nullptr,                    "credit_processing",       record_credit,               "the /standalonecredits response after its webhook"},
    {"credit_processing",        "PAYMENT_HANDLE_COMPLETED", "",                         nullptr,                    "credit_processing",       nullptr,                     "late handle webhook"},
    {"credit_processing",        "transaction.reconcile",   "",                          nullptr,                    "credit_processing",       check_credit,                "reconciliation: GET the standalone credit now"},
    {"credit_processing",        "timer.poll",              "",                          nullptr,                    "credit_processing",       check_credit,                "GET the standalone credit"},
    {"credit_processing",        "timer.credit_deadline",   "",                          nullptr,                    "credit_processing",       check_credit,                "T+1 (autodeposit) or 30 days (question) passed: a last check"},
    {"credit_processing",        "credit.status",           "credit FAILED",             credit_failed,              "failed",                  fail_credit,                 "GET says FAILED / ERRORED"},
    {"credit_processing",        "credit.status",           "credit CANCELLED",          credit_cancelled,           "expired",                 credit_cancelled_reason,     "GET says CANCELLED / EXPIRED: not claimed in time"},
    {"credit_processing",        "credit.status",           "amount differs",            credit_amount_differs,      "amount_mismatch",         credit_mismatch,             "GET: the standalone credit is for another amount"},
    {"credit_processing",        "credit.status",           "credit COMPLETED",          credit_completed,           "completed",               complete,                    "GET says COMPLETED"},
    {"credit_processing",        "credit.status",           "credit deadline passed",    credit_deadline_passed,     "unknown",                 still_processing,            "still PROCESSING past T+1 (autodeposit) or 30 days: Paysafe's word decides, not corridor's clock"},
    {"credit_processing",        "credit.status",           "polls spent",               checks_spent,               "unknown",                 credit_checks_spent,         "the credit checks' budget is spent: reconciliation"},
    {"credit_processing",        "credit.status",           "",                          nullptr,                    "credit_processing",       poll_again,                  "still PROCESSING: check again, backing off"},
    {"credit_processing",        "call.failed",             "credit check failed, credit deadline passed", credit_check_failed_after_deadline, "unknown", credit_check_unanswered, "no answer to the last check past the deadline: reconciliation"},
    {"credit_processing",        "call.failed",             "credit check failed, polls spent", credit_checks_failed_spent, "unknown",        credit_check_unanswered,     "the credit checks' budget is spent: reconciliation"},
    {"credit_processing",        "call.failed",             "op get_standalone_credit",  failed_credit_check,        "credit_processing",       poll_again,                  "credit check failed: try again later"},

    // unknown: no timer of its own; the janitor's reconcile asks Paysafe, and Paysafe's word decides.
    {"unknown",                  "transaction.reconcile",   "",                          nullptr,                    "unknown",                 check_credit,                "reconciliation: GET the standalone credit (by id or merchantRefNum)"},
    {"unknown",                  "credit.status",           "credit FAILED",             credit_failed,              "failed",                  fail_credit,                 "GET says FAILED / ERRORED"},
    {"unknown",                  "credit.status",           "credit CANCELLED",          credit_cancelled,           "expired",                 credit_cancelled_reason,     "GET says CANCELLED / EXPIRED"},
    {"unknown",                  "credit.status",           "amount differs",            credit_amount_differs,      "amount_mismatch",         credit_mismatch,             "GET: the standalone credit is for another amount"},
    {"unknown",                  "credit.status",           "credit COMPLETED",          credit_completed,           "completed",               complete,                    "GET says COMPLETED"},
    {"unknown",                  "credit.status",           "",                          nullptr,                    "unknown",                 record_credit,               "GET says PROCESSING: Paysafe's webhook or the next reconciliation decides"},
    {"unknown",                  "credit.created",          "credit FAILED",             credit_failed,              "failed",                  fail_credit,                 "the late /standalonecredits response says FAILED"},
    {"unknown",                  "credit.created",          "credit CANCELLED",          credit_cancelled,           "expired",                 credit_cancelled_reason,     "the late /standalonecredits response says CANCELLED / EXPIRED"},
    {"unknown",                  "credit.created",          "amount differs",            credit_amount_differs,      "amount_mismatch",         credit_mismatch,             "the late /standalonecredits response is for another amount"},
    {"unknown",                  "credit.created",          "credit COMPLETED",          credit_completed,           "completed",               complete,                    "the late /standalonecredits response says COMPLETED"},
    {"unknown",                  "credit.created",          "",                          nullptr,                    "unknown",                 record_credit,               "the late /standalonecredits response: keep the credit id"},
    {"unknown",                  "call.failed",             "credit not found",          credit_not_found,           "unknown",                 check_credit_handle,         "Paysafe has no credit: ask what became of the handle"},
    {"unknown",                  "call.failed",             "",                          nullptr,                    "unknown",                 nullptr,                     "no answer: the janitor asks again"},
    {"unknown",                  "handle.status",           "handle FAILED",             handle_failed,              "declined",                handle_declined,             "no credit and the handle FAILED"},
    {"unknown",                  "handle.status",           "handle EXPIRED",            handle_expired,             "expired",                 handle_expired_reason,       "no credit and the handle EXPIRED"},
    {"unknown",                  "handle.status",           "",                          nullptr,                    "unknown",                 nullptr,                     "the handle is still open or used: the janitor asks again"},
    {"unknown",                  "SA_CREDIT_COMPLETED",     "amount differs",            credit_amount_differs,      "amount_mismatch",         credit_mismatch,             "Paysafe credited another amount"},
    {"unknown",                  "SA_CREDIT_COMPLETED",     "",                          nullptr,                    "completed",               complete,                    "SA_CREDIT_COMPLETED: the funds reached the customer"},
    {"unknown",                  "SA_CREDIT_FAILED",        "",                          nullptr,                    "failed",                  fail_credit,                 "the credit failed"},
    {"unknown",                  "SA_CREDIT_ERRORED",       "",                          nullptr,                    "failed",                  fail_credit,                 "the credit errored"},
    {"unknown",                  "SA_CREDIT_CANCELLED",     "",                          nullptr,                    "expired",                 credit_cancelled_reason,     "not claimed in time: the transfer is cancelled"},
    {"unknown",                  "SA_CREDIT_PROCESSING",    "",                          nullptr,                    "unknown",                 record_credit,               "the credit is in progress: its outcome decides"},
    {"unknown",                  "PAYMENT_HANDLE_EXPIRED",  "credit handle",             credit_handle,              "expired",                 handle_expired_reason,       "the credit handle expired unused: nothing was credited"},
    {"unknown",                  "PAYMENT_HANDLE_FAILED",   "credit handle",             credit_handle,              "declined",                handle_declined,             "the credit handle is FAILED"},
    {"unknown",                  "PAYMENT_HANDLE_COMPLETED", "",                         nullptr,                    "unknown",                 nullptr,                     "the handle was used: the credit's outcome decides"},
  };
  // clang-format on
  f.index();
  return f;
}

}  // namespace

const Flow& interac_withdrawal_flow() {
  static const Flow flow = make_flow();
  return flow;
}

}  // namespace corridor
