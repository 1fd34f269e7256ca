#include "statemachines/cynod_card_debit.hpp"

#include "statemachines/flow_support.hpp"

namespace corridor {

namespace {

// Settings (providers.cynod). The seed gives no delay for the wallet confirmation (step 7); five
// minutes is what wallet push confirmations usually allow.
constexpr std::int64_t kConfirmationTtlMs = 300000;
constexpr std::int64_t kRetryAfterMs = 30000;

// ---- what Cynod said ----------------------------------------------------------------------------
// The seed has no wire format (docs/providers/cynod.md holds corridor's choice). The adapter turns
// Cynod's answers and notifications into:
//   authorization.in_progress  step 6.2 {reference, card (masked), amount, cynod_reference}
//   authorization.approved     step 8.2 {reference, card (masked), amount, authorization_number, status}
//   authorization.declined     step 5 or 7 {reason: no_account | insufficient_balance | customer_refused}
//   authorization.rejected     the request was refused as malformed (4xx) {http_status, error}
//   authorization.cancelled    answer to cancel_authorization
//   acknowledgement.accepted   answer to acknowledge (step 10)

bool failed_request(const StepContext& c) { return failed_op(c) == "request_authorization"; }
bool failed_acknowledge(const StepContext& c) { return failed_op(c) == "acknowledge"; }
bool failed_cancel(const StepContext& c) { return failed_op(c) == "cancel_authorization"; }

// ---- what corridor does -------------------------------------------------------------------------

// Step 3-4: the transaction reference, the card and the amount. The card travels encrypted beside
// the call (DESIGN.md section 6): the params only say it is attached.
json::object authorization_params(const Transaction& t) {
  json::object p;
  p.reserve(5);  // built key by key: no regrowth on the way
  p["reference"] = t.txn_id;
  p["amount"] = money_json(t.amount);
  p["card"] = "attached";
  if (const json::object* customer = get_object(t.data, "customer")) p["customer"] = *customer;
  if (auto d = get_string(t.data, "description"); !d.empty()) p["description"] = d;
  return p;
}

void record_cynod(StepContext& c) {
  const auto& d = c.input.data;
  if (auto ref = get_string(d, "cynod_reference"); !ref.empty()) c.txn.provider_refs["cynod_reference"] = ref;
  // Only ever a masked number (DESIGN.md section 6): anything without a mask is not kept.
  if (auto card = get_string(d, "card"); card.find('*') != std::string_view::npos) c.txn.data["card_masked"] = card;
}

void request_authorization(StepContext& c) {
  c.txn.data["authorization_call_id"] = c.call("request_authorization", authorization_params(c.txn));
  const std::int64_t deadline = c.input.at_ms + c.settings.get("confirmation_ttl_ms", kConfirmationTtlMs);
  c.txn.data["confirmation_deadline_ms"] = deadline;
  c.set_timer("timer.confirmation_expired", deadline);
}

// Re-sent under the first call id and the same partner reference: Cynod answers with the outcome of
// the first request instead of sending a second wallet confirmation.
void retry_authorization(StepContext& c) {
  c.call_again(std::string(get_string(c.txn.data, "authorization_call_id")), "request_authorization",
               authorization_params(c.txn));
}

void await_wallet(StepContext& c) {
  record_cynod(c);
  c.txn.next_action = {{"type", "wallet_confirmation"}, {"provider", "cynod"}};
}

json::object acknowledge_params(const Transaction& t) {
  return {{"reference", t.txn_id},
          {"authorization_number", get_string(t.provider_refs, "authorization_number")},
          {"status", get_string(t.data, "cynod_status")}};
}

// Step 8.2 then step 10: keep the authorisation number and transmit the Cynod status back.
void debit_and_acknowledge(StepContext& c) {
  record_cynod(c);
  const auto& d = c.input.data;
  if (auto n = get_string(d, "authorization_number"); !n.empty()) c.txn.provider_refs["authorization_number"] = n;
  c.txn.data["cynod_status"] = get_string(d, "status");
  if (d.contains("amount")) c.txn.data["debited_amount"] = get_int(d, "amount");
  c.cancel_timer("timer.confirmation_expired");
  c.cancel_timer("timer.retry");
  c.txn.data["acknowledge_call_id"] = c.call("acknowledge", acknowledge_params(c.txn));
}

void retry_acknowledge(StepContext& c) {
  c.call_again(std::string(get_string(c.txn.data, "acknowledge_call_id")), "acknowledge", acknowledge_params(c.txn));
}

void declined(StepContext& c) {
  record_cynod(c);
  c.set_reason(with_detail("declined by Cynod", c.input.data, "reason"));
}

void request_refused(StepContext& c) {
  c.set_reason(with_detail("authorisation request refused by Cynod", c.input.data, "error"));
}

// The confirmation delay passed: ask Cynod to withdraw the wallet request before calling the
// transaction expired, since the customer may confirm at the last second.
void cancel_authorization(StepContext& c) {
  c.cancel_timer("timer.retry");
  c.txn.data["cancel_call_id"] = c.call("cancel_authorization", {{"reference", c.txn.txn_id}});
  c.set_reason("no wallet confirmation in time: cancelling");
}

void retry_cancel(StepContext& c) {
  c.call_again(std::string(get_string(c.txn.data, "cancel_call_id")), "cancel_authorization",
               {{"reference", c.txn.txn_id}});
}

void retry_later(StepContext& c) { schedule_retry(c, kRetryAfterMs); }

void expired(StepContext& c) { c.set_reason("no wallet confirmation in time"); }

// Step 9 read back by the partner: the authorisation as Cynod holds it (reconciliation). Its answer
// is the authorisation input of its status, handled by the rows a webhook would meet.
void look_up(StepContext& c) { c.call("get_authorization", {{"reference", c.txn.txn_id}}); }

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
      {"completed", Status::succeeded, true},
      {"declined", Status::declined, true},
      {"expired", Status::expired, true},
      {"failed", Status::failed, true},
  };
  // clang-format off
  f.rows = {
    // from                          on                            guard                      to                              action
    {"created",                      "payment.create",             "",                        nullptr,            "authorization_requested",      request_authorization, "steps 3-4: the partner submits the authorisation request (reference, card, amount)"},

    {"authorization_requested",      "authorization.in_progress",  "",                        nullptr,            "awaiting_wallet_confirmation", await_wallet,          "step 6.1-6.2: the wallet asks the customer; the partner is told the authorisation is in progress"},
    {"authorization_requested",      "authorization.declined",     "",                        nullptr,            "declined",                     declined,              "step 5: no account or no balance"},
    {"authorization_requested",      "authorization.rejected",     "",                        nullptr,            "failed",                       request_refused,       "the request itself was refused (4xx)"},
    {"authorization_requested",      "authorization.approved",     "",                        nullptr,            "debited",                      debit_and_acknowledge, "step 8.2 overtook the 6.2 notice"},
    {"authorization_requested",      "call.failed",                "op request_authorization", failed_request,    "authorization_requested",      retry_later,           "no answer after retries: try again later"},
    {"authorization_requested",      "timer.retry",                "",                        nullptr,            "authorization_requested",      retry_authorization,   "same partner reference: Cynod answers with the first outcome"},
    {"authorization_requested",      "transaction.reconcile",      "",                        nullptr,            "authorization_requested",      look_up,               "step 9: read the authorisation's status back"},
    {"authorization_requested",      "authorization.not_found",    "",                        nullptr,            "authorization_requested",      nullptr,               "Cynod does not know the reference: the request's own answer or retry decides"},
    {"authorization_requested",      "timer.confirmation_expired", "",                        nullptr,            "expiring",                     cancel_authorization,  "no answer within the confirmation delay"},

    {"awaiting_wallet_confirmation", "authorization.approved",     "",                        nullptr,            "debited",                      debit_and_acknowledge, "steps 7-8: the customer confirmed; card debited; authorisation number"},
    {"awaiting_wallet_confirmation", "authorization.declined",     "",                        nullptr,            "declined",                     declined,              "step 7: the customer refused in the wallet"},
    {"awaiting_wallet_confirmation", "authorization.in_progress",  "",                        nullptr,            "awaiting_wallet_confirmation", record_cynod,          "duplicate 6.2 notice"},
    {"awaiting_wallet_confirmation", "transaction.reconcile",      "",                        nullptr,            "awaiting_wallet_confirmation", look_up,               "step 9: read the authorisation's status back"},
    {"awaiting_wallet_confirmation", "timer.confirmation_expired", "",                        nullptr,            "expiring",                     cancel_authorization,  "step 7 did not happen in time"},

    {"expiring",                     "authorization.cancelled",    "",                        nullptr,            "expired",                      expired,               "Cynod withdrew the wallet request"},
    {"expiring",                     "authorization.approved",     "",                        nullptr,            "debited",                      debit_and_acknowledge, "the customer confirmed before the cancellation reached Cynod"},
    {"expiring",                     "authorization.declined",     "",                        nullptr,            "declined",                     declined,              "the customer refused before the cancellation"},
    {"expiring",                     "authorization.in_progress",  "",                        nullptr,            "expiring",                     record_cynod,          "late 6.2 notice"},
    {"expiring",                     "call.failed",                "op cancel_authorization", failed_cancel,      "expiring",                     retry_later,           "cancellation not delivered: try again later"},
    {"expiring",                     "transaction.reconcile",      "",                        nullptr,            "expiring",                     look_up,               "step 9: read the authorisation's status back"},
    {"expiring",                     "timer.retry",                "",                        nullptr,            "expiring",                     retry_cancel,          "re-send the cancellation"},

    {"debited",                      "acknowledgement.accepted",   "",                        nullptr,            "completed",                    nullptr,               "steps 10-12: the partner transmitted the Cynod status"},
    {"debited",                      "call.failed",                "op acknowledge",          failed_acknowledge, "debited",                      retry_later,           "acknowledgement not delivered: try again later"},
    {"debited",                      "timer.retry",                "",                        nullptr,            "debited",                      retry_acknowledge,     "re-send the acknowledgement (step 10)"},
    {"debited",                      "transaction.reconcile",      "",                        nullptr,            "debited",                      look_up,               "step 9: read the authorisation's status back"},
    {"debited",                      "authorization.approved",     "",                        nullptr,            "debited",                      nullptr,               "duplicate 8.2 notice"},
    {"debited",                      "authorization.in_progress",  "",                        nullptr,            "debited",                      nullptr,               "6.2 notice after the 8.2 one"},
  };
  // clang-format on
  return f;
}

}  // namespace

const Flow& cynod_card_debit_flow() {
  static const Flow flow = make_flow();
  return flow;
}

}  // namespace corridor
