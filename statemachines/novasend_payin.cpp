#include "statemachines/novasend_payin.hpp"

#include <algorithm>

namespace corridor {

namespace {

// Settings (providers.novasend in the config). The seed asks for at most one status poll every
// 5 to 10 seconds; polls back off from there up to a cap.
constexpr std::int64_t kPollIntervalMs = 5000;
constexpr std::int64_t kPollMaxIntervalMs = 60000;
constexpr std::int64_t kConfirmationTtlMs = 900000;
constexpr std::int64_t kRetryAfterMs = 60000;

// ---- what the provider said -------------------------------------------------------------------
// status.checked carries GET /v1/payin/{reference} as the adapter normalised it; session.created
// carries the POST /v1/payin/sessions answer; webhooks carry the payin object.

std::string_view transaction_status(const StepContext& c) {
  const json::object* t = get_object(c.input.data, "transaction");
  return t ? get_string(*t, "status") : std::string_view{};
}
std::string_view confirmation_status(const StepContext& c) { return get_string(c.input.data, "confirmationStatus"); }

bool completed(const StepContext& c) { return transaction_status(c) == "completed"; }
bool transaction_failed(const StepContext& c) { return transaction_status(c) == "failed"; }
bool customer_declined(const StepContext& c) { return confirmation_status(c) == "declined"; }
bool confirmation_expired(const StepContext& c) {
  return confirmation_status(c) == "expired" || get_string(c.input.data, "status") == "expired";
}
bool customer_accepted(const StepContext& c) { return confirmation_status(c) == "accepted"; }
bool past_confirmation_deadline(const StepContext& c) {
  return c.input.at_ms >= get_int(c.txn.data, "confirmation_deadline_ms", INT64_MAX);
}
bool confirmation_required(const StepContext& c) { return get_bool(c.input.data, "confirmationRequired", true); }
bool no_confirmation_required(const StepContext& c) { return !confirmation_required(c); }

// ---- what corridor does -------------------------------------------------------------------------

json::object session_params(const Transaction& t) {
  json::object p;
  p.reserve(5);  // built key by key: no regrowth on the way
  p["reference"] = t.txn_id;  // corridor's reference at NovaSend: a webhook finds its transaction
  p["amount"] = {{"value", t.amount.value}, {"currency", t.amount.currency}};
  if (const json::object* customer = get_object(t.data, "customer")) {
    p["msisdn"] = get_string(*customer, "msisdn");
    p["customerName"] = get_string(*customer, "name");
    p["country"] = get_string(*customer, "country");
  }
  return p;
}

void request_session(StepContext& c) {
  c.txn.data["session_call_id"] = c.call("create_session", session_params(c.txn));
}

// Re-sends the session request under its first idempotency key: NovaSend answers with the session
// it created, or creates it once.
void retry_session(StepContext& c) {
  c.call_again(std::string(get_string(c.txn.data, "session_call_id")), "create_session", session_params(c.txn));
}

// Reconciliation in `unknown`: the session request again under its first key, so NovaSend answers
// what it did. Never a first request: without a key there is nothing to ask about.
void ask_session_again(StepContext& c) {
  if (!get_string(c.txn.data, "session_call_id").empty()) retry_session(c);
}

void check_status(StepContext& c) {
  c.call("check_status", {{"reference", get_string(c.txn.provider_refs, "reference")}});
}

void schedule_poll(StepContext& c) {
  const std::int64_t attempt = get_int(c.txn.data, "poll_attempt");
  const std::int64_t base = c.settings.get("poll_interval_ms", kPollIntervalMs);
  const std::int64_t cap = c.settings.get("poll_max_interval_ms", kPollMaxIntervalMs);
  std::int64_t delay = base;
  for (std::int64_t i = 0; i < attempt && delay < cap; ++i) delay *= 2;
  c.txn.data["poll_attempt"] = attempt + 1;
  c.set_timer("timer.poll", c.input.at_ms + std::min(delay, cap));
}

// Keeps what the seed says to store: NovaSend's reference, the customer reference, fee and
// chargedAmount ("Toujours stocker reference et customerReference").
void record_payin(StepContext& c) {
  const auto& d = c.input.data;
  if (auto ref = get_string(d, "reference"); !ref.empty()) c.txn.provider_refs["reference"] = ref;
  if (auto cref = get_string(d, "customerReference"); !cref.empty()) c.txn.provider_refs["customerReference"] = cref;
  if (d.contains("fee")) c.txn.data["fee"] = get_int(d, "fee");
  if (d.contains("chargedAmount")) c.txn.data["charged_amount"] = get_int(d, "chargedAmount");
  if (const json::object* t = get_object(d, "transaction")) {
    if (auto tref = get_string(*t, "reference"); !tref.empty()) c.txn.provider_refs["transaction"] = tref;
  }
}

void await_confirmation(StepContext& c) {
  record_payin(c);
  c.txn.next_action = {{"type", "redirect"}, {"url", get_string(c.input.data, "paymentUrl")}};
  const std::int64_t deadline = c.input.at_ms + c.settings.get("confirmation_ttl_ms", kConfirmationTtlMs);
  c.txn.data["confirmation_deadline_ms"] = deadline;
  c.txn.data["poll_attempt"] = 0;
  c.set_timer("timer.confirmation_expired", deadline);
  schedule_poll(c);
}

void await_final_status(StepContext& c) {
  record_payin(c);
  c.txn.data["poll_attempt"] = 0;
  schedule_poll(c);
}

// The webhook says the customer accepted; transaction.status is still the final truth, so ask now.
void confirmed_by_webhook(StepContext& c) {
  record_payin(c);
  c.cancel_timer("timer.confirmation_expired");
  c.txn.data["poll_attempt"] = 0;
  check_status(c);
  schedule_poll(c);
}

void accepted_on_check(StepContext& c) {
  record_payin(c);
  c.cancel_timer("timer.confirmation_expired");
  c.txn.data["poll_attempt"] = 0;
  schedule_poll(c);
}

void record_and_poll_again(StepContext& c) {
  record_payin(c);
  schedule_poll(c);
}

void succeed(StepContext& c) { record_payin(c); }

void fail_with_provider_reason(StepContext& c) {
  record_payin(c);
  std::string reason = "transaction.status failed";
  if (const json::object* f = get_object(c.input.data, "failure")) {
    if (auto m = get_string(*f, "message"); !m.empty()) reason += ": " + std::string(m);
  }
  c.set_reason(reason);
}

void declined(StepContext& c) {
  record_payin(c);
  c.set_reason("customer declined the payment");
}

void expired(StepContext& c) {
  record_payin(c);
  c.set_reason("confirmation delay passed");
}

void session_rejected(StepContext& c) {
  std::string reason = "session refused by NovaSend";
  if (auto e = get_string(c.input.data, "error"); !e.empty()) reason += ": " + std::string(e);
  c.set_reason(reason);
}

void outcome_unknown(StepContext& c) {
  std::string reason = "session request outcome unknown";
  if (auto e = get_string(c.input.data, "error"); !e.empty()) reason += ": " + std::string(e);
  c.set_reason(reason);
  c.set_timer("timer.retry", c.input.at_ms + c.settings.get("retry_after_ms", kRetryAfterMs));
}

Flow make_flow() {
  Flow f;
  f.id = "novasend.payin";
  f.provider = "novasend";
  f.name = "payin";
  f.required_fields = {"customer.msisdn"};
  f.states = {
      {"created", Status::pending},
      {"session_requested", Status::pending},
      {"awaiting_confirmation", Status::requires_action},
      {"confirmed", Status::processing},
      {"unknown", Status::unknown},
      {"succeeded", Status::succeeded, true},
      {"failed", Status::failed, true},
      {"declined", Status::declined, true},
      {"expired", Status::expired, true},
  };
  // clang-format off
  f.rows = {
    // from                    on                            guard                                          to                       action
    {"created",               "payment.create",             "",                        nullptr,              "session_requested",     request_session,       "POST /v1/payin/sessions with X-Idempotency-Key"},

    {"session_requested",     "session.created",            "confirmationRequired",    confirmation_required,    "awaiting_confirmation", await_confirmation, "confirmationRequired=true: the customer confirms through paymentUrl"},
    {"session_requested",     "session.created",            "!confirmationRequired",   no_confirmation_required, "confirmed",             await_final_status, "confirmationRequired=false: validated automatically"},
    {"session_requested",     "session.rejected",           "",                        nullptr,              "failed",                session_rejected,      "the API refused the session (4xx)"},
    {"session_requested",     "call.failed",                "",                        nullptr,              "unknown",               outcome_unknown,       "no answer after retries: outcome unknown"},
    // A webhook may overtake the session response it follows.
    {"session_requested",     "transaction.reconcile",      "",                        nullptr,              "session_requested",     nullptr,               "reconciliation: the session request is still out, its answer decides"},
    {"session_requested",     "payin.confirmed",            "",                        nullptr,              "confirmed",             confirmed_by_webhook,  "webhook payin.confirmed before the session response"},
    {"session_requested",     "payin.declined",             "",                        nullptr,              "declined",              declined,              "webhook payin.declined before the session response"},

    {"unknown",               "timer.retry",                "",                        nullptr,              "session_requested",     retry_session,         "retry the session under the same idempotency key"},
    {"unknown",               "transaction.reconcile",      "",                        nullptr,              "unknown",               ask_session_again,     "reconciliation: the session request again under the same idempotency key; NovaSend answers what it did"},
    {"unknown",               "call.failed",                "",                        nullptr,              "unknown",               nullptr,               "reconciliation could not reach NovaSend: still unknown"},
    {"unknown",               "session.created",            "confirmationRequired",    confirmation_required,    "awaiting_confirmation", await_confirmation, "late session response"},
    {"unknown",               "session.created",            "!confirmationRequired",   no_confirmation_required, "confirmed",             await_final_status, "late session response"},
    {"unknown",               "session.rejected",           "",                        nullptr,              "failed",                session_rejected,      "late refusal"},
    {"unknown",               "payin.confirmed",            "",                        nullptr,              "confirmed",             confirmed_by_webhook,  "webhook payin.confirmed"},
    {"unknown",               "payin.declined",             "",                        nullptr,              "declined",              declined,              "webhook payin.declined"},

    {"awaiting_confirmation", "payin.confirmed",            "",                        nullptr,              "confirmed",             confirmed_by_webhook,  "webhook payin.confirmed: confirmationStatus accepted"},
    {"awaiting_confirmation", "payin.declined",             "",                        nullptr,              "declined",              declined,              "webhook payin.declined: confirmationStatus declined"},
    {"awaiting_confirmation", "status.checked",             "transaction completed",   completed,            "succeeded",             succeed,               "transaction.status completed is the final truth"},
    {"awaiting_confirmation", "status.checked",             "transaction failed",      transaction_failed,   "failed",                fail_with_provider_reason, "transaction.status failed"},
    {"awaiting_confirmation", "status.checked",             "confirmation declined",   customer_declined,    "declined",              declined,              "confirmationStatus declined: not valid"},
    {"awaiting_confirmation", "status.checked",             "confirmation expired",    confirmation_expired, "expired",               expired,               "confirmationStatus expired: not valid"},
    {"awaiting_confirmation", "status.checked",             "confirmation accepted",   customer_accepted,    "confirmed",             accepted_on_check,     "confirmationStatus accepted"},
    {"awaiting_confirmation", "status.checked",             "past deadline",           past_confirmation_deadline, "expired",         expired,               "no confirmation within the TTL", kProvisional},
    {"awaiting_confirmation", "status.checked",             "",                        nullptr,              "awaiting_confirmation", record_and_poll_again, "still waiting: poll again, backing off"},
    {"awaiting_confirmation", "timer.poll",                 "",                        nullptr,              "awaiting_confirmation", check_status,          "GET /v1/payin/{reference}, at most every 5-10 s"},
    {"awaiting_confirmation", "timer.confirmation_expired", "",                        nullptr,              "awaiting_confirmation", check_status,          "TTL passed: a last check decides"},
    {"awaiting_confirmation", "transaction.reconcile",      "",                        nullptr,              "awaiting_confirmation", check_status,          "reconciliation: GET /v1/payin/{reference}"},
    {"awaiting_confirmation", "call.failed",                "",                        nullptr,              "awaiting_confirmation", schedule_poll,         "status check failed: poll again later"},

    {"confirmed",             "status.checked",             "transaction completed",   completed,            "succeeded",             succeed,               "processed + transaction.status completed: success"},
    {"confirmed",             "status.checked",             "transaction failed",      transaction_failed,   "failed",                fail_with_provider_reason, "processed + transaction.status failed"},
    {"confirmed",             "status.checked",             "",                        nullptr,              "confirmed",             record_and_poll_again, "transaction pending or absent: poll again"},
    {"confirmed",             "timer.poll",                 "",                        nullptr,              "confirmed",             check_status,          "GET /v1/payin/{reference}"},
    {"confirmed",             "transaction.reconcile",      "",                        nullptr,              "confirmed",             check_status,          "reconciliation: GET /v1/payin/{reference}"},
    {"confirmed",             "call.failed",                "",                        nullptr,              "confirmed",             schedule_poll,         "status check failed: poll again later"},
    {"confirmed",             "payin.confirmed",            "",                        nullptr,              "confirmed",             nullptr,               "duplicate webhook: nothing changes"},
    {"confirmed",             "session.created",            "",                        nullptr,              "confirmed",             record_payin,          "session response after the webhook: keep its references"},
  };
  // clang-format on
  return f;
}

}  // namespace

const Flow& novasend_payin_flow() {
  static const Flow flow = make_flow();
  return flow;
}

}  // namespace corridor
