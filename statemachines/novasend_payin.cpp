#include "statemachines/novasend_payin.hpp"

#include "statemachines/flow_support.hpp"
#include "statemachines/novasend_inputs.hpp"

namespace corridor {

namespace {

using Data = NovaSendPayinData;

Data& data(const StepContext& c) { return c.txn.data.as<Data>(); }

// Settings (providers.novasend in the config; docs/providers/novasend.md lists each with its
// default). The seed asks for at most one status poll every 5 to 10 seconds; polls back off from
// there up to a cap.
constexpr std::int64_t kPollIntervalMs = 5000;
constexpr std::int64_t kPollMaxIntervalMs = 60000;
constexpr std::int64_t kConfirmationTtlMs = 900000;
constexpr std::int64_t kRetryAfterMs = 60000;
// Status checks once the customer accepted, before the outcome is handed to `unknown` and the
// janitor: about an hour at the default pace (5 s doubling to 60 s).
constexpr std::int64_t kMaxPolls = 60;
// Re-sends of a session request that got no answer (or could not be sent), backing off from
// retry_after_ms (60 s, 120 s, 240 s by default); then the janitor asks.
constexpr std::int64_t kMaxRetries = 3;

// ---- what the provider said -------------------------------------------------------------------
// session.created (the POST /v1/payin/sessions answer), status.checked (GET /v1/payin/{reference})
// and the payin.confirmed and payin.declined webhooks carry the payin object, a NovaSendPayin;
// session.rejected a NovaSendRefusal (statemachines/novasend_inputs.hpp).

const NovaSendPayin& payin(const StepContext& c) { return c.input_as<NovaSendPayin>(); }

std::string transaction_status(const NovaSendPayin& p) {
  return p.transaction ? p.transaction->status : std::string();
}

bool completed(const StepContext& c) { return transaction_status(payin(c)) == "completed"; }
bool transaction_failed(const StepContext& c) { return transaction_status(payin(c)) == "failed"; }
bool customer_declined(const StepContext& c) { return payin(c).confirmationStatus == "declined"; }
bool confirmation_expired(const StepContext& c) {
  const auto& p = payin(c);
  return p.confirmationStatus == "expired" || p.status == "expired";
}
// "processed: Paiement validé par le client (mais ne définit pas le statut final)": the seed's own
// example answers status processed with confirmationStatus still none. Either says the customer
// confirmed; transaction.status then decides.
bool customer_accepted(const StepContext& c) {
  const auto& p = payin(c);
  return p.confirmationStatus == "accepted" || p.status == "processed";
}
bool past_confirmation_deadline(const StepContext& c) {
  return c.input.at_ms >= data(c).confirmation_deadline_ms.value_or(INT64_MAX);
}
bool confirmation_required(const StepContext& c) { return payin(c).confirmationRequired.value_or(true); }
bool no_confirmation_required(const StepContext& c) { return !confirmation_required(c); }

// ---- amounts -------------------------------------------------------------------------------------
// The seed: the payin's `amount` is "Montant brut du paiement" (whole units, the amount corridor
// asked), `transaction.amount` is "Montant effectivement traité" (decimal text, "153.00"). Both must
// be the amount asked. `fee` and `chargedAmount` (amount + fee) are the customer's fees on top: kept,
// never compared with the amount asked. The request carries no currency (the account's applies): the
// payin's `currency`, or the transaction's, is compared too. An amount NovaSend leaves out (or
// writes null) is not compared; one it writes and corridor cannot read counts as different.

struct ReportedAmount {
  std::optional<Money> money;
  std::string_view what;
};

std::string_view payin_currency(const NovaSendPayin& p, const Transaction& t) {
  return p.currency.empty() ? std::string_view(t.amount.currency) : std::string_view(p.currency);
}

// The first amount the input reports that is not the one asked.
std::optional<ReportedAmount> amount_not_asked(const StepContext& c) {
  const auto& p = payin(c);
  if (p.transaction && p.transaction->amount) {
    const auto& t = *p.transaction;
    const std::string_view currency = t.currency.empty() ? payin_currency(p, c.txn) : std::string_view(t.currency);
    auto reported = reported_money(&*t.amount, currency);
    if (!same_money(reported, c.txn.amount)) return ReportedAmount{reported, "NovaSend's transaction.amount"};
  }
  if (p.amount) {
    auto reported = reported_money(&*p.amount, payin_currency(p, c.txn));
    if (!same_money(reported, c.txn.amount)) return ReportedAmount{reported, "NovaSend's payin amount"};
  }
  return std::nullopt;
}
bool amount_differs(const StepContext& c) { return amount_not_asked(c).has_value(); }

// ---- budgets and calls that never left -------------------------------------------------------------

bool checks_spent(const StepContext& c) { return polls_spent(c, kMaxPolls); }
bool resends_spent(const StepContext& c) { return retries_spent(c, kMaxRetries); }
bool not_sent_and_resends_spent(const StepContext& c) { return not_sent(c) && resends_spent(c); }

// ---- what corridor does -------------------------------------------------------------------------

struct SessionParams {
  static constexpr bool kWritesEmptyText = true;
  std::string reference;  // corridor's reference at NovaSend: a webhook finds its transaction
  Money amount;
  std::optional<std::string> msisdn{};
  std::optional<std::string> customerName{};
  std::optional<std::string> country{};
};
BOOST_DESCRIBE_STRUCT(SessionParams, (), (reference, amount, msisdn, customerName, country))

SessionParams session_params(const Transaction& t) {
  SessionParams p{.reference = t.txn_id, .amount = t.amount};
  if (const json::object* customer = customer_of(t)) {
    p.msisdn = std::string(get_string(*customer, "msisdn"));
    p.customerName = std::string(get_string(*customer, "name"));
    p.country = std::string(get_string(*customer, "country"));
  }
  return p;
}

void request_session(StepContext& c) {
  data(c).session_call_id = c.call("create_session", session_params(c.txn));
}

// Re-sends the session request under its first idempotency key: NovaSend answers with the session
// it created, or creates it once.
void retry_session(StepContext& c) {
  c.call_again(data(c).session_call_id, "create_session", session_params(c.txn));
}

// GET /v1/payin/{reference}: NovaSend's own reference.
struct StatusParams {
  static constexpr bool kWritesEmptyText = true;
  std::string reference;
};
BOOST_DESCRIBE_STRUCT(StatusParams, (), (reference))

void check_status(StepContext& c) {
  c.call("check_status", StatusParams{std::string(c.txn.provider_refs.get(novasend_refs::kReference))});
}

// Reconciliation in `unknown`: with NovaSend's reference, GET /v1/payin/{reference}; without one (the
// session request got no answer), the session request again under its first key, so NovaSend answers
// what it did. Never a first request: without a key there is nothing to ask about.
void reconcile_unknown(StepContext& c) {
  if (!c.txn.provider_refs.get(novasend_refs::kReference).empty()) {
    check_status(c);
  } else if (!data(c).session_call_id.empty()) {
    retry_session(c);
  }
}

void poll(StepContext& c) { schedule_poll(c, kPollIntervalMs, kPollMaxIntervalMs); }

// Fees as minor units of the payin's currency (the seed writes them as whole units).
void record_fee(const std::optional<json::value>& fee, std::string_view currency, std::optional<std::int64_t>& kept) {
  if (!fee) return;
  if (auto m = reported_money(&*fee, currency)) kept = m->value;
}

// Keeps what the seed says to store: NovaSend's reference, the customer reference, fee and
// chargedAmount ("Toujours stocker reference et customerReference").
void keep_payin(StepContext& c, const NovaSendPayin& p) {
  c.txn.provider_refs.set(novasend_refs::kReference, p.reference);
  c.txn.provider_refs.set(novasend_refs::kCustomerReference, p.customerReference);
  record_fee(p.fee, payin_currency(p, c.txn), data(c).fee);
  record_fee(p.chargedAmount, payin_currency(p, c.txn), data(c).charged_amount);
  if (p.transaction) c.txn.provider_refs.set(novasend_refs::kTransaction, p.transaction->reference);
}

void record_payin(StepContext& c) { keep_payin(c, payin(c)); }

void await_confirmation(StepContext& c) {
  const auto& p = payin(c);
  keep_payin(c, p);
  c.txn.next_action = NextAction{.type = "redirect", .url = p.paymentUrl};
  const std::int64_t deadline = c.input.at_ms + c.settings.get("confirmation_ttl_ms", kConfirmationTtlMs);
  data(c).confirmation_deadline_ms = deadline;
  reset_poll(c);
  c.set_timer("timer.confirmation_expired", deadline);
  poll(c);
}

void await_final_status(StepContext& c) {
  record_payin(c);
  reset_poll(c);
  poll(c);
}

// The webhook says the customer accepted; transaction.status is still the final truth, so ask now.
void confirmed_by_webhook(StepContext& c) {
  record_payin(c);
  c.cancel_timer("timer.confirmation_expired");
  reset_poll(c);
  check_status(c);
  poll(c);
}

void accepted_on_check(StepContext& c) {
  record_payin(c);
  c.cancel_timer("timer.confirmation_expired");
  reset_poll(c);
  poll(c);
}

void record_and_poll_again(StepContext& c) {
  record_payin(c);
  poll(c);
}

void succeed(StepContext& c) { record_payin(c); }

void amount_mismatch(StepContext& c) {
  record_payin(c);
  const auto reported = amount_not_asked(c);
  record_amount_mismatch(c, reported ? reported->money : std::nullopt,
                         reported ? reported->what : std::string_view("NovaSend"));
}

void fail_with_provider_reason(StepContext& c) {
  const auto& p = payin(c);
  keep_payin(c, p);
  c.set_reason(with_detail("transaction.status failed", p.failure ? p.failure->message : std::string()));
}

void declined(StepContext& c) {
  record_payin(c);
  c.set_reason("customer declined the payment");
}

void expired(StepContext& c) {
  record_payin(c);
  c.set_reason("confirmation delay passed");
}

void expired_without_answer(StepContext& c) {
  c.set_reason(with_failure("confirmation delay passed and NovaSend did not answer the last status check", c));
}

void session_rejected(StepContext& c) {
  c.set_reason(with_detail("session refused by NovaSend", c.input_as<NovaSendRefusal>().error));
}

void session_refused_before_send(StepContext& c) {
  c.set_reason(with_failure("session request refused before it was sent", c));
}

void never_sent(StepContext& c) {
  c.set_reason(with_failure("NovaSend could not be reached: the session request was never sent", c));
}

void retry_later(StepContext& c) { schedule_retry(c, kRetryAfterMs); }

// The session request may have reached NovaSend: re-sent under its first key after a delay that backs
// off, max_retries times; then the janitor asks on its schedule.
void session_outcome_unknown(StepContext& c) {
  if (resends_spent(c)) {
    c.set_reason(with_failure("session request outcome unknown after max_retries re-sends: reconciliation decides", c));
    return;
  }
  c.set_reason(with_failure("session request outcome unknown", c));
  retry_later(c);
}

constexpr std::string_view kPollsSpent =
    "transaction.status still not final after max_polls status checks: reconciliation decides";

void polls_exhausted(StepContext& c) {
  record_payin(c);
  c.set_reason(kPollsSpent);
}

// The last status check got no answer: its error says why.
void polls_exhausted_unanswered(StepContext& c) { c.set_reason(with_failure(kPollsSpent, c)); }

Flow make_flow() {
  Flow f;
  f.id = "novasend.payin";
  f.provider = "novasend";
  f.name = "payin";
  f.required_fields = {"customer.msisdn"};
  f.bind = &bind_data<Data>;
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
      {"amount_mismatch", Status::amount_mismatch, true},
  };
  // clang-format off
  f.rows = {
    // from                    on                            guard                                          to                       action
    {"created",               "payment.create",             "",                        nullptr,              "session_requested",     request_session,       "POST /v1/payin/sessions with X-Idempotency-Key"},

    {"session_requested",     "session.created",            "amount not the one asked", amount_differs,      "amount_mismatch",       amount_mismatch,       "amount: montant brut du paiement, the amount asked"},
    {"session_requested",     "session.created",            "confirmationRequired",    confirmation_required,    "awaiting_confirmation", await_confirmation, "confirmationRequired=true: the customer confirms through paymentUrl"},
    {"session_requested",     "session.created",            "!confirmationRequired",   no_confirmation_required, "confirmed",             await_final_status, "confirmationRequired=false: validated automatically"},
    {"session_requested",     "session.rejected",           "",                        nullptr,              "failed",                session_rejected,      "the API refused the session (4xx)"},
    {"session_requested",     "call.failed",                "refused before send",     refused_before_send,  "failed",                session_refused_before_send, "the adapter refuses the request (amount in whole units only): nothing was sent"},
    {"session_requested",     "call.failed",                "not sent, retries spent", not_sent_and_resends_spent, "failed",          never_sent,            "max_retries re-sends never left corridor: no session exists", kProvisional},
    {"session_requested",     "call.failed",                "not sent",                not_sent,             "session_requested",     retry_later,           "nothing left corridor (circuit open): send again later, same idempotency key"},
    {"session_requested",     "call.failed",                "",                        nullptr,              "unknown",               session_outcome_unknown, "no answer after retries: outcome unknown; re-sent under the same key within max_retries"},
    {"session_requested",     "timer.retry",                "",                        nullptr,              "session_requested",     retry_session,         "X-Idempotency-Key: the same request again is recognised"},
    // A webhook may overtake the session response it follows.
    {"session_requested",     "transaction.reconcile",      "",                        nullptr,              "session_requested",     nullptr,               "reconciliation: the session request is still out, its answer decides"},
    {"session_requested",     "payin.confirmed",            "amount not the one asked", amount_differs,      "amount_mismatch",       amount_mismatch,       "webhook payin.confirmed: the amount is not the one asked"},
    {"session_requested",     "payin.confirmed",            "",                        nullptr,              "confirmed",             confirmed_by_webhook,  "webhook payin.confirmed before the session response"},
    {"session_requested",     "payin.declined",             "",                        nullptr,              "declined",              declined,              "webhook payin.declined before the session response"},

    {"unknown",               "timer.retry",                "",                        nullptr,              "session_requested",     retry_session,         "X-Idempotency-Key: the session request again, NovaSend answers what it did"},
    {"unknown",               "transaction.reconcile",      "",                        nullptr,              "unknown",               reconcile_unknown,     "reconciliation: GET /v1/payin/{reference}, or the session request again under its key"},
    {"unknown",               "call.failed",                "",                        nullptr,              "unknown",               nullptr,               "NovaSend could not be reached: the janitor asks again on its schedule"},
    {"unknown",               "session.created",            "amount not the one asked", amount_differs,      "amount_mismatch",       amount_mismatch,       "late session response: the amount is not the one asked"},
    {"unknown",               "session.created",            "confirmationRequired",    confirmation_required,    "awaiting_confirmation", await_confirmation, "late session response"},
    {"unknown",               "session.created",            "!confirmationRequired",   no_confirmation_required, "confirmed",             await_final_status, "late session response"},
    {"unknown",               "session.rejected",           "",                        nullptr,              "failed",                session_rejected,      "late refusal"},
    {"unknown",               "payin.confirmed",            "amount not the one asked", amount_differs,      "amount_mismatch",       amount_mismatch,       "webhook payin.confirmed: the amount is not the one asked"},
    {"unknown",               "payin.confirmed",            "",                        nullptr,              "confirmed",             confirmed_by_webhook,  "webhook payin.confirmed"},
    {"unknown",               "payin.declined",             "",                        nullptr,              "declined",              declined,              "webhook payin.declined"},
    {"unknown",               "status.checked",             "amount not the one asked", amount_differs,      "amount_mismatch",       amount_mismatch,       "transaction.amount: montant effectivement traité, not the one asked"},
    {"unknown",               "status.checked",             "transaction completed",   completed,            "succeeded",             succeed,               "transaction.status completed is the final truth"},
    {"unknown",               "status.checked",             "transaction failed",      transaction_failed,   "failed",                fail_with_provider_reason, "transaction.status failed"},
    {"unknown",               "status.checked",             "confirmation declined",   customer_declined,    "declined",              declined,              "confirmationStatus declined: not valid"},
    {"unknown",               "status.checked",             "confirmation expired",    confirmation_expired, "expired",               expired,               "confirmationStatus expired: not valid"},
    {"unknown",               "status.checked",             "",                        nullptr,              "unknown",               record_payin,          "not final yet: the janitor asks again on its schedule"},

    {"awaiting_confirmation", "payin.confirmed",            "amount not the one asked", amount_differs,      "amount_mismatch",       amount_mismatch,       "webhook payin.confirmed: the amount is not the one asked"},
    {"awaiting_confirmation", "payin.confirmed",            "",                        nullptr,              "confirmed",             confirmed_by_webhook,  "webhook payin.confirmed: confirmationStatus accepted"},
    {"awaiting_confirmation", "payin.declined",             "",                        nullptr,              "declined",              declined,              "webhook payin.declined: confirmationStatus declined"},
    {"awaiting_confirmation", "status.checked",             "amount not the one asked", amount_differs,      "amount_mismatch",       amount_mismatch,       "transaction.amount: montant effectivement traité, not the one asked"},
    {"awaiting_confirmation", "status.checked",             "transaction completed",   completed,            "succeeded",             succeed,               "transaction.status completed is the final truth"},
    {"awaiting_confirmation", "status.checked",             "transaction failed",      transaction_failed,   "failed",                fail_with_provider_reason, "transaction.status failed"},
    {"awaiting_confirmation", "status.checked",             "confirmation declined",   customer_declined,    "declined",              declined,              "confirmationStatus declined: not valid"},
    {"awaiting_confirmation", "status.checked",             "confirmation expired",    confirmation_expired, "expired",               expired,               "confirmationStatus expired: not valid"},
    {"awaiting_confirmation", "status.checked",             "accepted or processed",   customer_accepted,    "confirmed",             accepted_on_check,     "confirmationStatus accepted, or status processed: validé par le client"},
    {"awaiting_confirmation", "status.checked",             "past deadline",           past_confirmation_deadline, "expired",         expired,               "no confirmation within the TTL, by the last check", kProvisional},
    {"awaiting_confirmation", "status.checked",             "",                        nullptr,              "awaiting_confirmation", record_and_poll_again, "still waiting: poll again, backing off"},
    {"awaiting_confirmation", "timer.poll",                 "",                        nullptr,              "awaiting_confirmation", check_status,          "GET /v1/payin/{reference}, at most every 5-10 s"},
    {"awaiting_confirmation", "timer.confirmation_expired", "",                        nullptr,              "awaiting_confirmation", check_status,          "TTL passed: a last check decides"},
    {"awaiting_confirmation", "transaction.reconcile",      "",                        nullptr,              "awaiting_confirmation", check_status,          "reconciliation: GET /v1/payin/{reference}"},
    {"awaiting_confirmation", "call.failed",                "past deadline",           past_confirmation_deadline, "expired",         expired_without_answer, "TTL passed and the last check got no answer", kProvisional},
    {"awaiting_confirmation", "call.failed",                "",                        nullptr,              "awaiting_confirmation", poll,                  "status check failed: poll again later, until the TTL"},

    {"confirmed",             "status.checked",             "amount not the one asked", amount_differs,      "amount_mismatch",       amount_mismatch,       "transaction.amount: montant effectivement traité, not the one asked"},
    {"confirmed",             "status.checked",             "transaction completed",   completed,            "succeeded",             succeed,               "processed + transaction.status completed: success"},
    {"confirmed",             "status.checked",             "transaction failed",      transaction_failed,   "failed",                fail_with_provider_reason, "processed + transaction.status failed"},
    {"confirmed",             "status.checked",             "polls spent",             checks_spent,           "unknown",               polls_exhausted,       "max_polls checks without a final transaction.status: reconciliation decides"},
    {"confirmed",             "status.checked",             "",                        nullptr,              "confirmed",             record_and_poll_again, "transaction pending or absent: poll again"},
    {"confirmed",             "timer.poll",                 "",                        nullptr,              "confirmed",             check_status,          "GET /v1/payin/{reference}"},
    {"confirmed",             "transaction.reconcile",      "",                        nullptr,              "confirmed",             check_status,          "reconciliation: GET /v1/payin/{reference}"},
    {"confirmed",             "call.failed",                "polls spent",             checks_spent,           "unknown",               polls_exhausted_unanswered, "max_polls checks without an answer: reconciliation decides"},
    {"confirmed",             "call.failed",                "",                        nullptr,              "confirmed",             poll,                  "status check failed: poll again later"},
    {"confirmed",             "payin.confirmed",            "",                        nullptr,              "confirmed",             nullptr,               "duplicate webhook: nothing changes"},
    {"confirmed",             "session.created",            "",                        nullptr,              "confirmed",             record_payin,          "session response after the webhook: keep its references"},
  };
  // clang-format on
  f.index();
  return f;
}

}  // namespace

const Flow& novasend_payin_flow() {
  static const Flow flow = make_flow();
  return flow;
}

}  // namespace corridor
