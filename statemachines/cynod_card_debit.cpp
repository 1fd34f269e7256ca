#include "statemachines/cynod_card_debit.hpp"

#include "statemachines/cynod_inputs.hpp"
#include "statemachines/flow_support.hpp"

namespace corridor {

namespace {

using Data = CynodCardDebitData;

Data& data(const StepContext& c) { return c.txn.data.as<Data>(); }

// Settings (providers.cynod; docs/providers/cynod.md documents each). The seed gives no delay for
// the wallet confirmation (step 7); five minutes is what wallet push confirmations usually allow.
constexpr std::int64_t kConfirmationTtlMs = 300000;
// A call that got no answer is re-sent after 30 s, doubled per attempt up to ten times that
// (retry_max_interval_ms), at most kMaxRetries times per call: the authorisation request, the
// cancellation and the acknowledgement each have their own budget.
constexpr std::int64_t kRetryAfterMs = 30000;
constexpr std::int64_t kMaxRetries = 5;

// ---- what Cynod said ----------------------------------------------------------------------------
// The seed has no wire format (docs/providers/cynod.md holds corridor's choice). The adapter turns
// Cynod's answers and notifications into (statemachines/cynod_inputs.hpp):
//   authorization.in_progress  step 6.2, a CynodAuthorization
//   authorization.approved     step 8.2, a CynodAuthorization with its authorization_number
//   authorization.declined     step 5 or 7, a CynodAuthorization with its reason
//   authorization.rejected     the request was refused as malformed (4xx), a CynodRejection
//   authorization.cancelled    Cynod withdrew the wallet request (answer to cancel_authorization)
//   authorization.not_found    Cynod does not know the partner reference (a read or a cancel: 404)
//   acknowledgement.accepted   answer to acknowledge (step 10)
// `amount` is as Cynod wrote it (a decimal string of the currency's units); `currency` may be absent,
// and is then the request's.

bool failed_request(const StepContext& c) { return failed_op(c) == "request_authorization"; }
bool failed_acknowledge(const StepContext& c) { return failed_op(c) == "acknowledge"; }
bool failed_cancel(const StepContext& c) { return failed_op(c) == "cancel_authorization"; }

bool request_refused(const StepContext& c) { return failed_request(c) && refused_before_send(c); }
bool request_retries_spent(const StepContext& c) { return failed_request(c) && retries_spent(c, kMaxRetries); }
bool cancel_refused(const StepContext& c) { return failed_cancel(c) && refused_before_send(c); }
bool cancel_retries_spent(const StepContext& c) { return failed_cancel(c) && retries_spent(c, kMaxRetries); }
bool acknowledge_refused(const StepContext& c) { return failed_acknowledge(c) && refused_before_send(c); }
bool acknowledge_retries_spent(const StepContext& c) { return failed_acknowledge(c) && retries_spent(c, kMaxRetries); }

// The amount Cynod reports, read exactly; nullopt when absent or unreadable.
std::optional<Money> reported_amount(const CynodAuthorization& a, const Transaction& t) {
  const std::string_view currency = a.currency.empty() ? std::string_view(t.amount.currency) : a.currency;
  return reported_money(a.amount, currency);
}
// Step 8.2 transmits "le montant de transaction": the amount debited. One that is absent or cannot
// be read is never taken for the amount asked.
bool debited_amount_differs(const StepContext& c) {
  return !same_money(reported_amount(c.input_as<CynodAuthorization>(), c.txn), c.txn.amount);
}
// Step 6.2 transmits the amount the wallet asks the customer to confirm. It is informative (nothing
// is debited yet): compared when given.
bool wallet_amount_differs(const StepContext& c) {
  const auto& a = c.input_as<CynodAuthorization>();
  return a.amount.has_value() && !same_money(reported_amount(a, c.txn), c.txn.amount);
}

// The transaction is already final: this step runs on the framework's copy from the state it settled
// from (statemachines/reconcile.hpp, step_final), for Cynod's word arriving after the outcome.
bool already_final(const StepContext& c) { return !c.txn.settled_from.empty(); }

bool past_confirmation_deadline(const StepContext& c) {
  return c.input.at_ms >= data(c).confirmation_deadline_ms;
}

// corridor already gave up re-sending the cancellation (it went unknown from `expiring`): Cynod still
// saying "in progress" past the delay is not a reason for another round of re-sends and two events.
bool cancellation_spent(const StepContext& c) {
  return past_confirmation_deadline(c) && !data(c).cancel_call_id.empty();
}

// ---- what corridor does -------------------------------------------------------------------------

// Step 3-4: the transaction reference, the card and the amount. The card travels encrypted beside
// the call (DESIGN.md section 6): the params only say it is attached.
struct AuthorizationParams {
  static constexpr bool kWritesEmptyText = true;
  std::string reference;
  Money amount;
  std::string card = "attached";
  std::optional<SharedJson> customer{};
  std::optional<std::string> description{};
};
BOOST_DESCRIBE_STRUCT(AuthorizationParams, (), (reference, amount, card, customer, description))

AuthorizationParams authorization_params(const Transaction& t) {
  AuthorizationParams p{.reference = t.txn_id, .amount = t.amount};
  p.customer = shared_customer(t);
  if (auto d = description_of(t); !d.empty()) p.description = std::string(d);
  return p;
}

void record_authorization(StepContext& c, const CynodAuthorization& a) {
  c.txn.provider_refs.set(cynod_refs::kCynodReference, a.cynod_reference);
  // Only ever a masked number (DESIGN.md section 6): anything without a mask is not kept.
  if (a.card.find('*') != std::string::npos) data(c).card_masked = a.card;
}

void record_cynod(StepContext& c) { record_authorization(c, c.input_as<CynodAuthorization>()); }

void request_authorization(StepContext& c) {
  reset_retries(c);
  Data& d = data(c);
  d.authorization_call_id = c.call("request_authorization", authorization_params(c.txn));
  d.confirmation_deadline_ms = c.input.at_ms + c.settings.get("confirmation_ttl_ms", kConfirmationTtlMs);
  c.set_timer("timer.confirmation_expired", d.confirmation_deadline_ms);
}

// Re-sent under the first call id and the same partner reference: Cynod answers with the outcome of
// the first request instead of sending a second wallet confirmation.
void retry_authorization(StepContext& c) {
  c.call_again(data(c).authorization_call_id, "request_authorization", authorization_params(c.txn));
}

void await_wallet(StepContext& c) {
  record_cynod(c);
  c.txn.next_action = NextAction{.type = "wallet_confirmation", .provider = "cynod"};
}

// Step 10: the Cynod status transmitted back under the authorisation number.
struct AcknowledgeParams {
  static constexpr bool kWritesEmptyText = true;
  std::string reference;
  std::string authorization_number;
  std::string status;
};
BOOST_DESCRIBE_STRUCT(AcknowledgeParams, (), (reference, authorization_number, status))

AcknowledgeParams acknowledge_params(const Transaction& t) {
  return {.reference = t.txn_id,
          .authorization_number = std::string(t.provider_refs.get(cynod_refs::kAuthorizationNumber)),
          .status = t.data.as<Data>().cynod_status};
}

// Step 8.2: the authorisation number, the Cynod status and the amount debited.
void record_debit(StepContext& c, const CynodAuthorization& a) {
  record_authorization(c, a);
  c.txn.provider_refs.set(cynod_refs::kAuthorizationNumber, a.authorization_number);
  Data& d = data(c);
  d.cynod_status = a.status;
  if (auto debited = reported_amount(a, c.txn)) d.debited_amount = debited->value;
  c.cancel_timer("timer.confirmation_expired");
  c.cancel_timer("timer.retry");
}

// Step 8.2 then step 10: keep the authorisation number and transmit the Cynod status back.
void debit_and_acknowledge(StepContext& c) {
  record_debit(c, c.input_as<CynodAuthorization>());
  reset_retries(c);
  data(c).acknowledge_call_id = c.call("acknowledge", acknowledge_params(c.txn));
}

// Step 8.2 with another amount than the one asked (or none readable): the money moved, but not as
// requested. Final, for an operator; step 10 is not sent, since it would transmit a status corridor
// has not accepted.
void debited_other_amount(StepContext& c) {
  const auto& a = c.input_as<CynodAuthorization>();
  record_debit(c, a);
  record_amount_mismatch(c, reported_amount(a, c.txn), "Cynod's debit (step 8.2)");
}

// Step 8.2 after the transaction was final (a reconciliation's answer or a late notification): the
// card is debited, which is the outcome. The acknowledgement (step 10) is sent once, as the seed
// asks; a final transaction does not wait for its answer.
void debited_late(StepContext& c) {
  record_debit(c, c.input_as<CynodAuthorization>());
  data(c).acknowledge_call_id = c.call("acknowledge", acknowledge_params(c.txn));
  c.set_reason("debited by Cynod (step 8.2); acknowledgement (step 10) sent once, not awaited");
}

void retry_acknowledge(StepContext& c) {
  c.call_again(data(c).acknowledge_call_id, "acknowledge", acknowledge_params(c.txn));
}

// The acknowledgement could not be delivered. The seed's step 8 is done (the card is debited and
// Cynod said so with its authorisation number); step 10 only transmits the status back, and the
// seed gives no consequence to its absence. The payment is debited: it ends succeeded, in a state
// of its own that says step 10 did not go through.
void acknowledgement_abandoned(StepContext& c) {
  c.set_reason(with_failure(refused_before_send(c)
                                ? "debited by Cynod (step 8.2); acknowledgement (step 10) refused before sending"
                                : "debited by Cynod (step 8.2); acknowledgement (step 10) not delivered, retries spent",
                            c));
}

void declined(StepContext& c) {
  const auto& a = c.input_as<CynodAuthorization>();
  record_authorization(c, a);
  c.set_reason(with_detail("declined by Cynod", a.reason));
}

void request_rejected(StepContext& c) {
  c.set_reason(with_detail("authorisation request refused by Cynod", c.input_as<CynodRejection>().error));
}

// The adapter (or the card vault) refused the request for good: nothing left corridor.
void request_never_sent(StepContext& c) {
  c.set_reason(with_failure("authorisation request refused before sending, nothing reached Cynod", c));
}

// Cancelling (step 7) and reading back (step 9) name the authorisation by corridor's reference.
struct ReferenceParams {
  static constexpr bool kWritesEmptyText = true;
  std::string reference;
};
BOOST_DESCRIBE_STRUCT(ReferenceParams, (), (reference))

void cancel_call(StepContext& c) {
  c.cancel_timer("timer.retry");
  reset_retries(c);
  data(c).cancel_call_id = c.call("cancel_authorization", ReferenceParams{c.txn.txn_id});
}

// The confirmation delay passed: ask Cynod to withdraw the wallet request before calling the
// transaction expired, since the customer may confirm at the last second.
void cancel_authorization(StepContext& c) {
  cancel_call(c);
  c.set_reason("no wallet confirmation in time: cancelling");
}

// Step 6.2 names another amount than the one asked: the customer is being asked to confirm it.
// corridor withdraws the wallet request before anything is debited.
void cancel_for_amount(StepContext& c) {
  const auto& a = c.input_as<CynodAuthorization>();
  record_authorization(c, a);
  cancel_call(c);
  record_amount_mismatch(c, reported_amount(a, c.txn), "Cynod's wallet request (step 6.2)");
  data(c).cancel_cause = "amount";
}

void retry_cancel(StepContext& c) {
  c.call_again(data(c).cancel_call_id, "cancel_authorization", ReferenceParams{c.txn.txn_id});
}

void retry_later(StepContext& c) { schedule_retry(c, kRetryAfterMs); }

// Once per answer of the janitor's read: the cancellation again, under its first key, in `unknown`.
void resend_cancellation(StepContext& c) {
  record_cynod(c);
  retry_cancel(c);
}

void call_abandoned(StepContext& c) {
  c.set_reason(with_failure("no answer from Cynod to " + std::string(failed_op(c)) + ", retries spent: reconcile", c));
}

void expired(StepContext& c) {
  c.set_reason(data(c).cancel_cause == "amount"
                   ? "wallet request withdrawn: Cynod asked the customer for another amount (step 6.2)"
                   : "no wallet confirmation in time");
}

void nothing_to_cancel(StepContext& c) {
  c.set_reason("no wallet confirmation in time; Cynod does not know the authorisation: nothing to withdraw");
}

void never_created(StepContext& c) {
  c.set_reason("Cynod does not know the authorisation: the request never reached it");
}

// Step 9 read back by the partner: the authorisation as Cynod holds it (reconciliation). Its answer
// is the authorisation input of its status, handled by the rows a webhook would meet.
void look_up(StepContext& c) { c.call("get_authorization", ReferenceParams{c.txn.txn_id}); }

Flow make_flow() {
  Flow f;
  f.id = "cynod.card_debit";
  f.provider = "cynod";
  f.name = "card_debit";
  f.required_fields = {"card.number"};
  f.states = {
      {"created", Status::pending},
      {"authorization_requested", Status::pending},
      {"awaiting_wallet_confirmation", Status::requires_action},
      {"expiring", Status::pending},
      {"debited", Status::processing},
      {"unknown", Status::unknown},
      {"completed", Status::succeeded, true},
      {"debited_unacknowledged", Status::succeeded, true},
      {"declined", Status::declined, true},
      {"expired", Status::expired, true},
      {"failed", Status::failed, true},
      {"amount_mismatch", Status::amount_mismatch, true},
  };
  f.bind = &bind_data<Data>;
  // clang-format off
  f.rows = {
    // from                          on                            guard                                  to                              action
    {"created",                      "payment.create",             "",                                    nullptr,                   "authorization_requested",      request_authorization, "steps 3-4: the partner submits the authorisation request (reference, card, amount)"},

    {"authorization_requested",      "authorization.in_progress",  "wallet amount differs",               wallet_amount_differs,     "expiring",                     cancel_for_amount,     "step 6.2 names another amount: withdraw the wallet request before step 7"},
    {"authorization_requested",      "authorization.in_progress",  "",                                    nullptr,                   "awaiting_wallet_confirmation", await_wallet,          "step 6.1-6.2: the wallet asks the customer; the partner is told the authorisation is in progress"},
    {"authorization_requested",      "authorization.declined",     "",                                    nullptr,                   "declined",                     declined,              "step 5: no account or no balance"},
    {"authorization_requested",      "authorization.rejected",     "",                                    nullptr,                   "failed",                       request_rejected,      "the request itself was refused (4xx)"},
    {"authorization_requested",      "authorization.approved",     "debited amount differs",              debited_amount_differs,    "amount_mismatch",              debited_other_amount,  "step 8.2 overtook the 6.2 notice, with another amount than the one asked"},
    {"authorization_requested",      "authorization.approved",     "already final",                       already_final,             "debited_unacknowledged",       debited_late,          "step 8.2 after the outcome: the card is debited"},
    {"authorization_requested",      "authorization.approved",     "",                                    nullptr,                   "debited",                      debit_and_acknowledge, "step 8.2 overtook the 6.2 notice"},
    {"authorization_requested",      "call.failed",                "op request_authorization, refused",   request_refused,           "failed",                       request_never_sent,    "steps 3-4 never sent: the adapter refused the request"},
    {"authorization_requested",      "call.failed",                "op request_authorization, spent",     request_retries_spent,     "unknown",                      call_abandoned,        "no answer to steps 3-4 after max_retries re-sends: reconcile (step 9)"},
    {"authorization_requested",      "call.failed",                "op request_authorization",            failed_request,            "authorization_requested",      retry_later,           "no answer after retries: try again later"},
    {"authorization_requested",      "timer.retry",                "",                                    nullptr,                   "authorization_requested",      retry_authorization,   "same partner reference: Cynod answers with the first outcome"},
    {"authorization_requested",      "transaction.reconcile",      "",                                    nullptr,                   "authorization_requested",      look_up,               "step 9: read the authorisation's status back"},
    {"authorization_requested",      "authorization.not_found",    "",                                    nullptr,                   "authorization_requested",      nullptr,               "Cynod does not know the reference: the request's own answer or retry decides"},
    {"authorization_requested",      "timer.confirmation_expired", "",                                    nullptr,                   "expiring",                     cancel_authorization,  "no answer within the confirmation delay"},

    {"awaiting_wallet_confirmation", "authorization.approved",     "debited amount differs",              debited_amount_differs,    "amount_mismatch",              debited_other_amount,  "step 8.2 with another amount than the one asked"},
    {"awaiting_wallet_confirmation", "authorization.approved",     "already final",                       already_final,             "debited_unacknowledged",       debited_late,          "step 8.2 after the outcome: the card is debited"},
    {"awaiting_wallet_confirmation", "authorization.approved",     "",                                    nullptr,                   "debited",                      debit_and_acknowledge, "steps 7-8: the customer confirmed; card debited; authorisation number"},
    {"awaiting_wallet_confirmation", "authorization.declined",     "",                                    nullptr,                   "declined",                     declined,              "step 7: the customer refused in the wallet"},
    {"awaiting_wallet_confirmation", "authorization.in_progress",  "wallet amount differs",               wallet_amount_differs,     "expiring",                     cancel_for_amount,     "step 6.2 names another amount: withdraw the wallet request before step 7"},
    {"awaiting_wallet_confirmation", "authorization.in_progress",  "",                                    nullptr,                   "awaiting_wallet_confirmation", record_cynod,          "duplicate 6.2 notice"},
    {"awaiting_wallet_confirmation", "transaction.reconcile",      "",                                    nullptr,                   "awaiting_wallet_confirmation", look_up,               "step 9: read the authorisation's status back"},
    {"awaiting_wallet_confirmation", "timer.confirmation_expired", "",                                    nullptr,                   "expiring",                     cancel_authorization,  "step 7 did not happen in time"},

    {"expiring",                     "authorization.cancelled",    "",                                    nullptr,                   "expired",                      expired,               "Cynod withdrew the wallet request at corridor's deadline", kProvisional},
    {"expiring",                     "authorization.not_found",    "",                                    nullptr,                   "expired",                      nothing_to_cancel,     "Cynod does not know the reference at corridor's deadline: nothing to withdraw", kProvisional},
    {"expiring",                     "authorization.approved",     "debited amount differs",              debited_amount_differs,    "amount_mismatch",              debited_other_amount,  "step 8.2 before the cancellation, with another amount than the one asked"},
    {"expiring",                     "authorization.approved",     "already final",                       already_final,             "debited_unacknowledged",       debited_late,          "step 8.2 after the outcome: the card is debited"},
    {"expiring",                     "authorization.approved",     "",                                    nullptr,                   "debited",                      debit_and_acknowledge, "the customer confirmed before the cancellation reached Cynod"},
    {"expiring",                     "authorization.declined",     "",                                    nullptr,                   "declined",                     declined,              "the customer refused before the cancellation"},
    {"expiring",                     "authorization.in_progress",  "",                                    nullptr,                   "expiring",                     record_cynod,          "late 6.2 notice"},
    {"expiring",                     "call.failed",                "op cancel_authorization, refused",    cancel_refused,            "unknown",                      call_abandoned,        "the cancellation cannot be sent: reconcile (step 9)"},
    {"expiring",                     "call.failed",                "op cancel_authorization, spent",      cancel_retries_spent,      "unknown",                      call_abandoned,        "cancellation not delivered after max_retries re-sends: reconcile (step 9)"},
    {"expiring",                     "call.failed",                "op cancel_authorization",             failed_cancel,             "expiring",                     retry_later,           "cancellation not delivered: try again later"},
    {"expiring",                     "transaction.reconcile",      "",                                    nullptr,                   "expiring",                     look_up,               "step 9: read the authorisation's status back"},
    {"expiring",                     "timer.retry",                "",                                    nullptr,                   "expiring",                     retry_cancel,          "re-send the cancellation"},

    {"debited",                      "acknowledgement.accepted",   "",                                    nullptr,                   "completed",                    nullptr,               "steps 10-12: the partner transmitted the Cynod status"},
    {"debited",                      "call.failed",                "op acknowledge, refused",             acknowledge_refused,       "debited_unacknowledged",       acknowledgement_abandoned, "step 8 done; step 10 cannot be sent", kProvisional},
    {"debited",                      "call.failed",                "op acknowledge, spent",               acknowledge_retries_spent, "debited_unacknowledged",       acknowledgement_abandoned, "step 8 done; step 10 not delivered after max_retries re-sends", kProvisional},
    {"debited",                      "call.failed",                "op acknowledge",                      failed_acknowledge,        "debited",                      retry_later,           "acknowledgement not delivered: try again later"},
    {"debited",                      "timer.retry",                "",                                    nullptr,                   "debited",                      retry_acknowledge,     "re-send the acknowledgement (step 10)"},
    {"debited",                      "transaction.reconcile",      "",                                    nullptr,                   "debited",                      look_up,               "step 9: read the authorisation's status back"},
    {"debited",                      "authorization.approved",     "",                                    nullptr,                   "debited",                      nullptr,               "duplicate 8.2 notice"},
    {"debited",                      "authorization.in_progress",  "",                                    nullptr,                   "debited",                      nullptr,               "6.2 notice after the 8.2 one"},

    // A call corridor gave up on: the janitor (or an operator) reads the authorisation back (step 9)
    // and its answer meets the rows a notification would.
    {"unknown",                      "transaction.reconcile",      "",                                    nullptr,                   "unknown",                      look_up,               "step 9: read the authorisation's status back"},
    {"unknown",                      "authorization.approved",     "debited amount differs",              debited_amount_differs,    "amount_mismatch",              debited_other_amount,  "step 8.2 with another amount than the one asked"},
    {"unknown",                      "authorization.approved",     "already final",                       already_final,             "debited_unacknowledged",       debited_late,          "step 8.2 after the outcome: the card is debited"},
    {"unknown",                      "authorization.approved",     "",                                    nullptr,                   "debited",                      debit_and_acknowledge, "step 8.2: the card is debited; acknowledge (step 10)"},
    {"unknown",                      "authorization.declined",     "",                                    nullptr,                   "declined",                     declined,              "step 5 or 7: declined"},
    {"unknown",                      "authorization.cancelled",    "",                                    nullptr,                   "expired",                      expired,               "the wallet request was withdrawn (corridor's cancellation or Cynod's own expiry)", kProvisional},
    {"unknown",                      "authorization.not_found",    "",                                    nullptr,                   "failed",                       never_created,         "Cynod does not know the reference: the request never reached it", kProvisional},
    {"unknown",                      "authorization.in_progress",  "past the delay, cancellation spent",  cancellation_spent,        "unknown",                      resend_cancellation,   "step 6.2 after corridor gave up withdrawing the wallet request: withdraw it again, under the same key, without another round of re-sends"},
    {"unknown",                      "authorization.in_progress",  "past the confirmation delay",         past_confirmation_deadline, "expiring",                    cancel_authorization,  "step 6.2, but the confirmation delay has passed: withdraw the wallet request"},
    {"unknown",                      "authorization.in_progress",  "",                                    nullptr,                   "awaiting_wallet_confirmation", await_wallet,          "step 6.2: the wallet asks the customer (the confirmation delay still runs)"},
    {"unknown",                      "timer.confirmation_expired", "",                                    nullptr,                   "expiring",                     cancel_authorization,  "the confirmation delay passed without an answer"},
  };
  // clang-format on
  f.index();
  return f;
}

}  // namespace

const Flow& cynod_card_debit_flow() {
  static const Flow flow = make_flow();
  return flow;
}

}  // namespace corridor
