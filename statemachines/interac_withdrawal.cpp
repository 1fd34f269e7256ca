#include "statemachines/interac_withdrawal.hpp"

#include "statemachines/flow_support.hpp"
#include "statemachines/interac_support.hpp"

namespace corridor {

namespace {

// Settings (providers.interac). With autodeposit the credit completes at T+1 ("SA_CREDIT_COMPLETED à
// T+1"); without it the customer has 30 days to answer the security question. corridor checks once
// more a day after each.
constexpr std::int64_t kDayMs = 86400000;
constexpr std::int64_t kAutodepositDeadlineMs = 2 * kDayMs;
constexpr std::int64_t kClaimDeadlineMs = 31 * kDayMs;
constexpr std::int64_t kPollIntervalMs = 300000;
constexpr std::int64_t kPollMaxIntervalMs = 21600000;
constexpr std::int64_t kRetryAfterMs = 30000;
// GETs of a verification whose POST answer was lost, before corridor concludes there is none.
constexpr std::int64_t kVerificationLookups = 3;
// Paysafe's dupCheck refusal: "The transaction you have submitted has already been processed."
constexpr std::string_view kAlreadyProcessed = "5031";

// The verification handle has its own merchantRefNum (a handle's merchantRefNum is unique at Paysafe);
// the adapter maps it back to the transaction by removing this suffix.
constexpr std::string_view kVerificationSuffix = "-verification";

// ---- what Paysafe said --------------------------------------------------------------------------
// handle.created / handle.rejected: POST /paymenthub/v1/paymenthandles (verification or credit
// handle, told apart by the state); verification.completed / verification.rejected: POST
// /paymenthub/v1/verifications; credit.created / credit.rejected: POST /paymenthub/v1/standalonecredits;
// verification.status: GET /paymenthub/v1/verifications?merchantRefNum=; credit.status: GET of the
// standalone credit; webhooks are named after their eventType.

bool wants_verification(const StepContext& c) { return get_bool(c.input.data, "verify"); }

bool handle_payable(const StepContext& c) { return interac::status(c) == "PAYABLE"; }
bool handle_failed(const StepContext& c) { return interac::status(c) == "FAILED"; }

bool verification_handle(const StepContext& c) {
  return get_string(c.input.data, "transactionType") == "VERIFICATION" ||
         get_string(c.input.data, "merchantRefNum").ends_with(kVerificationSuffix);
}
bool credit_handle(const StepContext& c) { return !verification_handle(c); }

const json::object* etransfer(const StepContext& c) { return get_object(c.input.data, "interacEtransfer"); }

// "Vous recevez l'état de dépôt automatique et le montant maximum transférable en réponse."
bool over_max_amount(const StepContext& c) {
  const json::object* e = etransfer(c);
  return e != nullptr && e->contains("maxAmount") && c.txn.amount.value > get_int(*e, "maxAmount");
}
bool autodeposit_in(const StepContext& c) {
  const json::object* e = etransfer(c);
  return e != nullptr && get_string(*e, "transferType") == "ALIAS_AUTODEPOSIT";
}
bool has_security_question(const Transaction& t) {
  const json::object* q = get_object(t.data, "security");
  return q != nullptr && !get_string(*q, "question").empty() && !get_string(*q, "answer").empty();
}
// "Pour les retraits sans dépôt automatique, vous devez transmettre la question de sécurité et la réponse."
bool no_autodeposit_no_question(const StepContext& c) { return !autodeposit_in(c) && !has_security_question(c.txn); }
bool verification_not_completed(const StepContext& c) { return interac::status(c) != "COMPLETED"; }

bool credit_completed(const StepContext& c) { return interac::status(c) == "COMPLETED"; }
bool credit_failed(const StepContext& c) {
  auto s = interac::status(c);
  return s == "FAILED" || s == "ERRORED";
}
bool credit_cancelled(const StepContext& c) {
  auto s = interac::status(c);
  return s == "CANCELLED" || s == "EXPIRED";
}

bool failed_handle_request(const StepContext& c) { return failed_op(c) == "create_payment_handle"; }
bool failed_verification(const StepContext& c) { return failed_op(c) == "create_verification"; }
// The retry of a /verifications whose first answer was lost: Paysafe has it already.
bool verification_already_processed(const StepContext& c) { return get_string(c.input.data, "code") == kAlreadyProcessed; }
bool failed_verification_lookup(const StepContext& c) { return failed_op(c) == "get_verification"; }
bool verification_lookups_exhausted(const StepContext& c) {
  return failed_verification_lookup(c) &&
         get_int(c.txn.data, "verification_lookups") >= c.settings.get("verification_lookups", kVerificationLookups);
}
bool failed_credit_request(const StepContext& c) { return failed_op(c) == "create_standalone_credit"; }
bool failed_credit_check(const StepContext& c) { return failed_op(c) == "get_standalone_credit"; }

// ---- what corridor does -------------------------------------------------------------------------

void keep_security_question(StepContext& c) {
  if (const json::object* i = get_object(c.input.data, "interac")) {
    if (i->contains("question") || i->contains("answer"))
      c.txn.data["security"] = {{"question", get_string(*i, "question")}, {"answer", get_string(*i, "answer")}};
  }
}

std::string verification_ref(const Transaction& t) { return t.txn_id + std::string(kVerificationSuffix); }

// Verification API: a VERIFICATION handle, PAYABLE at once, then POST /verifications.
void request_verification_handle(StepContext& c) {
  keep_security_question(c);
  c.call("create_payment_handle", {{"merchantRefNum", verification_ref(c.txn)},
                                   {"transactionType", "VERIFICATION"},
                                   {"paymentType", "INTERAC_ETRANSFER"},
                                   {"amount", money_json(c.txn.amount)},
                                   {"interacEtransfer", interac::consumer(c.txn)}});
}

void verify(StepContext& c) {
  interac::record_handle(c);
  const auto token = get_string(c.input.data, "paymentHandleToken");
  c.call("create_verification", {{"merchantRefNum", verification_ref(c.txn)},
                                 {"amount", money_json(c.txn.amount)},
                                 {"paymentHandleToken", token}});
}

json::object credit_handle_params(const Transaction& t) {
  json::object e = interac::consumer(t);
  // Autodeposit needs no question; without it (or not knowing) the question and answer go along.
  if (!get_bool(t.data, "autodeposit") && has_security_question(t)) {
    const json::object* q = get_object(t.data, "security");
    e["question"] = get_string(*q, "question");
    e["answer"] = get_string(*q, "answer");
  }
  json::object p({{"merchantRefNum", t.txn_id},
                  {"transactionType", "STANDALONE_CREDIT"},
                  {"paymentType", "INTERAC_ETRANSFER"},
                  {"amount", money_json(t.amount)},
                  {"interacEtransfer", std::move(e)}},
                 6);  // room for the customer
  if (const json::object* customer = get_object(t.data, "customer")) p["customer"] = *customer;
  return p;
}

void request_credit_handle(StepContext& c) {
  keep_security_question(c);
  c.call("create_payment_handle", credit_handle_params(c.txn));
}

void record_verification(StepContext& c) {
  interac::record_resource(c, "verification_id");
  if (const json::object* e = etransfer(c)) {
    if (e->contains("maxAmount")) c.txn.data["max_amount"] = get_int(*e, "maxAmount");
    c.txn.data["autodeposit"] = get_string(*e, "transferType") == "ALIAS_AUTODEPOSIT";
  }
}

void credit_after_verification(StepContext& c) {
  record_verification(c);
  c.cancel_timer("timer.handle_expired");
  c.cancel_timer("timer.retry");
  request_credit_handle(c);
}

json::object credit_params(const Transaction& t) {
  json::object p({{"merchantRefNum", t.txn_id},
                  {"amount", money_json(t.amount)},
                  {"paymentHandleToken", get_string(t.provider_refs, "payment_handle_token")}},
                 4);  // room for the description
  if (auto d = get_string(t.data, "description"); !d.empty()) p["description"] = d;
  return p;
}

// "L'appel à l'API POST /standalonecredits n'est possible que si paymentHandleToken est PAYABLE."
void credit(StepContext& c) {
  interac::record_handle(c);
  if (const json::object* e = etransfer(c); e != nullptr && e->contains("transferType"))
    c.txn.data["autodeposit"] = autodeposit_in(c);
  c.cancel_timer("timer.handle_expired");
  c.txn.data["credit_call_id"] = c.call("create_standalone_credit", credit_params(c.txn));
}

void retry_credit(StepContext& c) {
  c.call_again(std::string(get_string(c.txn.data, "credit_call_id")), "create_standalone_credit", credit_params(c.txn));
}

void await_payable(StepContext& c) {
  interac::record_handle(c);
  const std::int64_t deadline = interac::handle_deadline(c);
  c.txn.data["handle_deadline_ms"] = deadline;
  c.set_timer("timer.handle_expired", deadline);
}

void poll_again(StepContext& c) { schedule_poll(c, kPollIntervalMs, kPollMaxIntervalMs); }

void check_credit(StepContext& c) {
  c.call("get_standalone_credit",
         {{"standalone_credit_id", get_string(c.txn.provider_refs, "standalone_credit_id")}, {"merchantRefNum", c.txn.txn_id}});
}

// SA_CREDIT_PROCESSING: T+1 with autodeposit, up to 30 days with a security question.
void await_credit(StepContext& c) {
  if (!c.input.name.starts_with("SA_CREDIT") || c.input.data.contains("paymentHandleToken"))
    interac::record_resource(c, "standalone_credit_id");
  c.cancel_timer("timer.retry");
  const bool autodeposit = get_bool(c.txn.data, "autodeposit", !has_security_question(c.txn));
  const std::int64_t delay = autodeposit ? c.settings.get("autodeposit_deadline_ms", kAutodepositDeadlineMs)
                                         : c.settings.get("claim_deadline_ms", kClaimDeadlineMs);
  c.txn.data["credit_deadline_ms"] = c.input.at_ms + delay;
  c.set_timer("timer.credit_deadline", c.input.at_ms + delay);
  reset_poll(c);
  poll_again(c);
}

// The /verifications answer was lost (no answer after retries, or the retry refused as already
// processed): GET /paymenthub/v1/verifications?merchantRefNum=<txn_id>-verification finds it.
void look_up_verification(StepContext& c) {
  c.txn.data["verification_lookups"] = get_int(c.txn.data, "verification_lookups") + 1;
  c.call("get_verification", {{"merchantRefNum", verification_ref(c.txn)}});
}

void record_credit(StepContext& c) { interac::record_resource(c, "standalone_credit_id"); }

void complete(StepContext& c) { record_credit(c); }

void fail_credit(StepContext& c) {
  record_credit(c);
  const bool webhook = c.input.name.find('.') == std::string::npos;
  c.set_reason("Paysafe: " + (webhook ? c.input.name : "standalone credit " + std::string(interac::status(c))));
}

void credit_cancelled_reason(StepContext& c) {
  record_credit(c);
  c.set_reason("the customer did not claim the transfer in time");
}

void over_max(StepContext& c) {
  const json::object* e = etransfer(c);
  c.set_reason("amount " + std::to_string(c.txn.amount.value) + " is over the customer's maxAmount " +
               std::to_string(e ? get_int(*e, "maxAmount") : 0));
}
void verification_over_max(StepContext& c) {
  record_verification(c);
  over_max(c);
}
void needs_question(StepContext& c) {
  record_verification(c);
  c.set_reason("not registered for autodeposit and no security question and answer given");
}
void verification_failed(StepContext& c) {
  record_verification(c);
  c.set_reason("verification " + std::string(interac::status(c)));
}
void handle_declined(StepContext& c) {
  interac::record_handle(c);
  c.set_reason("standalone credit handle FAILED");
}
void handle_expired(StepContext& c) {
  interac::record_handle(c);
  c.set_reason("payment handle expired before /standalonecredits");
}
void verification_handle_unusable(StepContext& c) {
  interac::record_handle(c);
  c.set_reason("verification handle " + std::string(interac::status(c)) + " instead of PAYABLE");
}
void refused(StepContext& c) { c.set_reason(with_detail("Paysafe refused the request", c.input.data, "error")); }
void no_answer(StepContext& c) { c.set_reason(with_detail("no answer from Paysafe; nothing was credited", c.input.data, "error")); }
void verification_not_found(StepContext& c) {
  c.set_reason(with_detail("the verification's answer was lost and Paysafe shows none; nothing was credited",
                           c.input.data, "error"));
}
void retry_later(StepContext& c) { schedule_retry(c, kRetryAfterMs); }

Flow make_flow() {
  Flow f;
  f.id = "interac.withdrawal";
  f.provider = "interac";
  f.name = "withdrawal";
  f.create_command = "payout.create";
  f.required_fields = {"customer.email"};
  f.states = {
      {"created", Status::pending},
      {"verification_requested", Status::pending},
      {"verifying", Status::pending},
      {"credit_handle_requested", Status::pending},
      {"credit_requested", Status::processing},
      {"credit_processing", Status::processing},
      {"completed", Status::succeeded, true},
      {"declined", Status::declined, true},
      {"failed", Status::failed, true},
      {"expired", Status::expired, true},
  };
  // clang-format off
  f.rows = {
    // from                      on                         guard                        to                         action
    {"created",                  "payout.create",           "verify",                    wants_verification,         "verification_requested",  request_verification_handle, "Verification API: a VERIFICATION payment handle first"},
    {"created",                  "payout.create",           "",                          nullptr,                    "credit_handle_requested", request_credit_handle,       "Standalone credit API: a STANDALONE_CREDIT payment handle"},

    {"verification_requested",   "handle.created",          "handle PAYABLE",            handle_payable,             "verifying",               verify,                      "the handle is PAYABLE at once: POST /verifications"},
    {"verification_requested",   "handle.created",          "",                          nullptr,                    "failed",                  verification_handle_unusable, "the verification handle should be PAYABLE at once"},
    {"verification_requested",   "handle.rejected",         "",                          nullptr,                    "failed",                  refused,                     "Paysafe refused the verification handle"},
    {"verification_requested",   "transaction.reconcile", "",                          nullptr,                    "verification_requested",  nullptr,                     "reconciliation: the handle request is still out, its answer decides"},
    {"verification_requested",   "call.failed",             "op create_payment_handle",  failed_handle_request,      "failed",                  no_answer,                   "no answer: nothing was credited"},
    {"verification_requested",   "PAYMENT_HANDLE_PAYABLE",  "",                          nullptr,                    "verifying",               verify,                      "the PAYABLE webhook overtook the handle response"},

    {"verifying",                "verification.completed",  "verification not COMPLETED", verification_not_completed, "failed",                 verification_failed,         "the verification did not complete"},
    {"verifying",                "verification.completed",  "over maxAmount",            over_max_amount,            "declined",                verification_over_max,       "the amount is over maxAmount: declined before any credit"},
    {"verifying",                "verification.completed",  "no autodeposit nor question", no_autodeposit_no_question, "declined",              needs_question,              "without autodeposit a security question and answer are required"},
    {"verifying",                "verification.completed",  "",                          nullptr,                    "credit_handle_requested", credit_after_verification,   "autodeposit status and maxAmount known: create the credit handle"},
    {"verifying",                "verification.rejected",   "already processed (5031)",  verification_already_processed, "verifying",          look_up_verification,        "dupCheck 5031 on a retry: the first /verifications was taken, GET it by merchantRefNum"},
    {"verifying",                "verification.rejected",   "",                          nullptr,                    "failed",                  refused,                     "Paysafe refused the verification"},
    {"verifying",                "call.failed",             "op create_verification",    failed_verification,        "verifying",               look_up_verification,        "no answer to /verifications: GET /paymenthub/v1/verifications?merchantRefNum=<txn_id>-verification"},
    {"verifying",                "verification.status",     "verification not COMPLETED", verification_not_completed, "failed",                 verification_failed,         "the verification found by GET did not complete"},
    {"verifying",                "verification.status",     "over maxAmount",            over_max_amount,            "declined",                verification_over_max,       "found by GET: the amount is over maxAmount, declined before any credit"},
    {"verifying",                "verification.status",     "no autodeposit nor question", no_autodeposit_no_question, "declined",              needs_question,              "found by GET: without autodeposit a security question and answer are required"},
    {"verifying",                "verification.status",     "",                          nullptr,                    "credit_handle_requested", credit_after_verification,   "found by GET: autodeposit status and maxAmount known, create the credit handle"},
    {"verifying",                "call.failed",             "verification lookups exhausted", verification_lookups_exhausted, "failed",             verification_not_found,      "verification_lookups GETs found nothing: nothing was credited"},
    {"verifying",                "call.failed",             "op get_verification",       failed_verification_lookup, "verifying",               retry_later,                 "the verification GET failed or found none yet: GET again later"},
    {"verifying",                "transaction.reconcile", "",                          nullptr,                    "verifying",               nullptr,                     "reconciliation: the verification (or its look-up) is out, its answer decides"},
    {"verifying",                "timer.retry",             "",                          nullptr,                    "verifying",               look_up_verification,        "GET the verification again"},
    {"verifying",                "PAYMENT_HANDLE_PAYABLE",  "",                          nullptr,                    "verifying",               nullptr,                     "duplicate PAYABLE webhook of the verification handle"},
    {"verifying",                "PAYMENT_HANDLE_COMPLETED", "",                         nullptr,                    "verifying",               nullptr,                     "the verification handle was used"},
    {"verifying",                "handle.created",          "",                          nullptr,                    "verifying",               nullptr,                     "the handle response after its PAYABLE webhook"},

    {"credit_handle_requested",  "handle.created",          "handle FAILED",             handle_failed,              "declined",                handle_declined,             "the credit handle is FAILED"},
    {"credit_handle_requested",  "handle.created",          "over maxAmount",            over_max_amount,            "declined",                over_max,                    "the amount is over maxAmount: declined before any credit"},
    {"credit_handle_requested",  "handle.created",          "handle PAYABLE",            handle_payable,             "credit_requested",        credit,                      "PAYABLE: POST /paymenthub/v1/standalonecredits"},
    {"credit_handle_requested",  "handle.created",          "",                          nullptr,                    "credit_handle_requested", await_payable,               "not PAYABLE yet: wait for PAYMENT_HANDLE_PAYABLE within the TTL"},
    {"credit_handle_requested",  "handle.rejected",         "",                          nullptr,                    "failed",                  refused,                     "Paysafe refused the credit handle"},
    {"credit_handle_requested",  "transaction.reconcile", "",                          nullptr,                    "credit_handle_requested", nullptr,                     "reconciliation: the credit handle request is still out, its answer decides"},
    {"credit_handle_requested",  "call.failed",             "op create_payment_handle",  failed_handle_request,      "failed",                  no_answer,                   "no answer: nothing was credited"},
    {"credit_handle_requested",  "PAYMENT_HANDLE_PAYABLE",  "verification handle",       verification_handle,        "credit_handle_requested", nullptr,                     "a late webhook of the verification handle"},
    {"credit_handle_requested",  "PAYMENT_HANDLE_PAYABLE",  "",                          nullptr,                    "credit_requested",        credit,                      "the credit handle became PAYABLE (or its webhook overtook the response)"},
    {"credit_handle_requested",  "PAYMENT_HANDLE_FAILED",   "credit handle",             credit_handle,              "declined",                handle_declined,             "the credit handle is FAILED"},
    {"credit_handle_requested",  "PAYMENT_HANDLE_EXPIRED",  "credit handle",             credit_handle,              "expired",                 handle_expired,              "no /standalonecredits within 899 s: PAYMENT_HANDLE_EXPIRED"},
    {"credit_handle_requested",  "timer.handle_expired",    "",                          nullptr,                    "expired",                 handle_expired,              "the handle's TTL passed: no credit was sent, nothing moved"},

    {"credit_requested",         "credit.created",          "credit COMPLETED",          credit_completed,           "completed",               complete,                    "the standalone credit completed at once"},
    {"credit_requested",         "credit.created",          "credit FAILED",             credit_failed,              "failed",                  fail_credit,                 "the standalone credit failed"},
    {"credit_requested",         "credit.created",          "",                          nullptr,                    "credit_processing",       await_credit,                "PROCESSING: funds on their way"},
    {"credit_requested",         "credit.rejected",         "",                          nullptr,                    "failed",                  refused,                     "Paysafe refused /standalonecredits"},
    {"credit_requested",         "call.failed",             "op create_standalone_credit", failed_credit_request,    "credit_requested",        retry_later,                 "no answer after retries: try again (merchantRefNum + dupCheck)"},
    {"credit_requested",         "transaction.reconcile", "",                          nullptr,                    "credit_requested",        nullptr,                     "reconciliation: POST /standalonecredits is out (or due again), its answer decides"},
    {"credit_requested",         "timer.retry",             "",                          nullptr,                    "credit_requested",        retry_credit,                "POST /standalonecredits again under the same idempotency key"},
    {"credit_requested",         "SA_CREDIT_PROCESSING",    "",                          nullptr,                    "credit_processing",       await_credit,                "SA_CREDIT_PROCESSING overtook the response"},
    {"credit_requested",         "SA_CREDIT_COMPLETED",     "",                          nullptr,                    "completed",               complete,                    "SA_CREDIT_COMPLETED overtook the response"},
    {"credit_requested",         "SA_CREDIT_FAILED",        "",                          nullptr,                    "failed",                  fail_credit,                 "the credit failed"},
    {"credit_requested",         "SA_CREDIT_ERRORED",       "",                          nullptr,                    "failed",                  fail_credit,                 "the credit errored"},
    {"credit_requested",         "PAYMENT_HANDLE_EXPIRED",  "credit handle",             credit_handle,              "expired",                 handle_expired,              "/standalonecredits did not reach Paysafe within 899 s"},
    {"credit_requested",         "PAYMENT_HANDLE_PAYABLE",  "",                          nullptr,                    "credit_requested",        nullptr,                     "duplicate PAYABLE webhook"},
    {"credit_requested",         "PAYMENT_HANDLE_COMPLETED", "",                         nullptr,                    "credit_requested",        nullptr,                     "the handle was used by our /standalonecredits"},

    {"credit_processing",        "SA_CREDIT_COMPLETED",     "",                          nullptr,                    "completed",               complete,                    "SA_CREDIT_COMPLETED: T+1 with autodeposit, within 30 days otherwise"},
    {"credit_processing",        "SA_CREDIT_FAILED",        "",                          nullptr,                    "failed",                  fail_credit,                 "the credit failed"},
    {"credit_processing",        "SA_CREDIT_ERRORED",       "",                          nullptr,                    "failed",                  fail_credit,                 "the credit errored"},
    {"credit_processing",        "SA_CREDIT_CANCELLED",     "",                          nullptr,                    "expired",                 credit_cancelled_reason,     "not claimed within 30 days: the transfer is cancelled"},
    {"credit_processing",        "SA_CREDIT_PROCESSING",    "",                          nullptr,                    "credit_processing",       record_credit,               "duplicate SA_CREDIT_PROCESSING"},
    {"credit_processing",        "credit.created",          "credit COMPLETED",          credit_completed,           "completed",               complete,                    "the late /standalonecredits response says COMPLETED"},
    {"credit_processing",        "credit.created",          "",                          nullptr,                    "credit_processing",       record_credit,               "the /standalonecredits response after its webhook"},
    {"credit_processing",        "PAYMENT_HANDLE_COMPLETED", "",                         nullptr,                    "credit_processing",       nullptr,                     "late handle webhook"},
    {"credit_processing",        "transaction.reconcile", "",                          nullptr,                    "credit_processing",       check_credit,                "reconciliation: GET the standalone credit now"},
    {"credit_processing",        "timer.poll",              "",                          nullptr,                    "credit_processing",       check_credit,                "GET the standalone credit"},
    {"credit_processing",        "timer.credit_deadline",   "",                          nullptr,                    "credit_processing",       check_credit,                "T+1 (autodeposit) or 30 days (question) passed: check now"},
    {"credit_processing",        "credit.status",           "credit COMPLETED",          credit_completed,           "completed",               complete,                    "GET says COMPLETED"},
    {"credit_processing",        "credit.status",           "credit FAILED",             credit_failed,              "failed",                  fail_credit,                 "GET says FAILED / ERRORED"},
    {"credit_processing",        "credit.status",           "credit CANCELLED",          credit_cancelled,           "expired",                 credit_cancelled_reason,     "GET says CANCELLED / EXPIRED: not claimed in time"},
    {"credit_processing",        "credit.status",           "",                          nullptr,                    "credit_processing",       poll_again,                  "still PROCESSING: check again, backing off"},
    {"credit_processing",        "call.failed",             "op get_standalone_credit",  failed_credit_check,        "credit_processing",       poll_again,                  "credit check failed: try again later"},
  };
  // clang-format on
  return f;
}

}  // namespace

const Flow& interac_withdrawal_flow() {
  static const Flow flow = make_flow();
  return flow;
}

}  // namespace corridor
