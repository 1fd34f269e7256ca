#include "statemachines/flexpay_card.hpp"

#include <algorithm>

#include "statemachines/flow_support.hpp"

namespace corridor {

namespace {

// Settings (providers.flexpay). The seed gives no lifetime for the payment page; fifteen minutes is
// the usual hosted-card-page session.
constexpr std::int64_t kPaymentTtlMs = 900000;
constexpr std::int64_t kPollIntervalMs = 5000;
constexpr std::int64_t kPollMaxIntervalMs = 60000;
constexpr std::int64_t kRetryAfterMs = 30000;
// While the customer is on the page corridor checks too, slowly: a lost callback is then noticed
// before the page's delay runs out. The first check comes well after a normal callback would.
constexpr std::int64_t kAwaitingPollIntervalMs = 30000;
constexpr std::int64_t kAwaitingPollMaxIntervalMs = 120000;
// Checks that may fail in a row once the payment delay has passed before corridor stops guessing:
// the outcome is then unknown and reconciliation decides.
constexpr std::int64_t kMaxFailedChecksAfterDeadline = 5;

// ---- what FlexPay said --------------------------------------------------------------------------
// pay.accepted / pay.rejected carry the POST /v1/pay answer {code, message, orderNumber, url};
// flexpay.callback carries the callback JSON {code, reference, provider_reference, orderNumber};
// check.result carries GET /api/rest/v1/check/{orderNumber} {code, message, transaction|null}.

// FlexPay writes its codes as strings ("0"); accept a number too.
std::string code_of(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return {};
  if (it->value().is_string()) return std::string(it->value().get_string());
  if (it->value().is_int64()) return std::to_string(it->value().get_int64());
  return {};
}

const json::object* checked_transaction(const StepContext& c) {
  if (code_of(c.input.data, "code") != "0") return nullptr;
  return get_object(c.input.data, "transaction");
}

// Check transaction: status 0 = processed successfully, 1 = did not go through.
bool transaction_succeeded(const StepContext& c) {
  const json::object* t = checked_transaction(c);
  return t != nullptr && code_of(*t, "status") == "0";
}
// Money is exact: the adapter reads the check's decimal "amount" into integer minor units
// (amount_minor, with the check's own currency); both must be the transaction's.
bool amount_matches(const StepContext& c) {
  const json::object* t = checked_transaction(c);
  if (t == nullptr || get_string(*t, "currency") != c.txn.amount.currency) return false;
  const json::value* minor = t->if_contains("amount_minor");
  return minor != nullptr && minor->is_int64() && minor->get_int64() == c.txn.amount.value;
}
bool paid_in_full(const StepContext& c) { return transaction_succeeded(c) && amount_matches(c); }
bool paid_another_amount(const StepContext& c) { return transaction_succeeded(c) && !amount_matches(c); }
bool transaction_failed(const StepContext& c) {
  const json::object* t = checked_transaction(c);
  return t != nullptr && code_of(*t, "status") == "1";
}
// Status 1 says only "did not go through"; the customer's "annuler" is told by a callback (code 2)
// or the cancel_url return, which the adapter marks customer_cancelled. The check confirms the
// payment failed; the hint only says why.
bool cancelled_by_customer(const StepContext& c) {
  return transaction_failed(c) && get_bool(c.txn.data, "customer_cancelled");
}
bool no_transaction_past_deadline(const StepContext& c) {
  return checked_transaction(c) == nullptr &&
         c.input.at_ms >= get_int(c.txn.data, "payment_deadline_ms", INT64_MAX);
}
bool failed_pay(const StepContext& c) { return failed_op(c) == "pay"; }
bool failed_check(const StepContext& c) { return failed_op(c) == "check"; }
bool checks_exhausted(const StepContext& c) {
  return failed_check(c) && c.input.at_ms >= get_int(c.txn.data, "payment_deadline_ms", INT64_MAX) &&
         get_int(c.txn.data, "failed_checks_after_deadline") + 1 >=
             c.settings.get("max_failed_checks", kMaxFailedChecksAfterDeadline);
}

// ---- what corridor does -------------------------------------------------------------------------

json::object pay_params(const Transaction& t) {
  json::object p;
  p.reserve(3);  // built key by key: no regrowth on the way
  p["reference"] = t.txn_id;  // FlexPay echoes it in the callback: that is how it finds us
  p["amount"] = money_json(t.amount);
  if (auto d = get_string(t.data, "description"); !d.empty()) p["description"] = d;
  return p;
}

void request_payment(StepContext& c) {
  c.txn.data["pay_call_id"] = c.call("pay", pay_params(c.txn));
  const std::int64_t deadline = c.input.at_ms + c.settings.get("payment_ttl_ms", kPaymentTtlMs);
  c.txn.data["payment_deadline_ms"] = deadline;
  c.set_timer("timer.payment_expired", deadline);
}

// FlexPay keys a payment on its reference: the same request again is recognised, not paid twice.
void retry_payment(StepContext& c) {
  c.call_again(std::string(get_string(c.txn.data, "pay_call_id")), "pay", pay_params(c.txn));
}

// The pay answer is FlexPay's answer to corridor's own request: its orderNumber is authoritative.
void record_order(StepContext& c) {
  if (auto order = get_string(c.input.data, "orderNumber"); !order.empty()) c.txn.provider_refs["orderNumber"] = order;
}

// Anyone can post a callback: its orderNumber is only taken while FlexPay's own answer has given
// none (the callback overtook the pay answer), so a forged one cannot redirect the checks.
void record_callback_order(StepContext& c) {
  if (get_string(c.txn.provider_refs, "orderNumber").empty()) record_order(c);
}

void check(StepContext& c) {
  c.call("check", {{"orderNumber", get_string(c.txn.provider_refs, "orderNumber")}, {"reference", c.txn.txn_id}});
}

void poll_again(StepContext& c) { schedule_poll(c, kPollIntervalMs, kPollMaxIntervalMs); }

// The awaiting_customer cadence: capped doubling from awaiting_poll_interval_ms up to
// awaiting_poll_max_interval_ms, on the same attempt counter (reset when verifying starts).
void poll_slowly(StepContext& c) {
  const std::int64_t attempt = get_int(c.txn.data, "poll_attempt");
  const std::int64_t base = c.settings.get("awaiting_poll_interval_ms", kAwaitingPollIntervalMs);
  const std::int64_t cap = c.settings.get("awaiting_poll_max_interval_ms", kAwaitingPollMaxIntervalMs);
  std::int64_t delay = base;
  for (std::int64_t i = 0; i < attempt && delay < cap; ++i) delay *= 2;
  c.txn.data["poll_attempt"] = attempt + 1;
  c.set_timer("timer.poll", c.input.at_ms + std::min(delay, cap));
}

void redirect_customer(StepContext& c) {
  record_order(c);
  c.txn.next_action = {{"type", "redirect"}, {"url", get_string(c.input.data, "url")}};
  reset_poll(c);
  poll_slowly(c);
}

void checked_still_open(StepContext& c) {
  c.txn.data["failed_checks_after_deadline"] = 0;
  poll_slowly(c);
}

void keep_checking(StepContext& c) {
  c.txn.data["failed_checks_after_deadline"] = 0;
  poll_again(c);
}

// The callback is not signed: it only tells corridor to ask FlexPay. What it claimed is kept for
// the record, never acted on.
void verify_callback(StepContext& c) {
  record_callback_order(c);
  c.txn.data["callback_code"] = code_of(c.input.data, "code");
  if (auto p = get_string(c.input.data, "provider_reference"); !p.empty()) c.txn.data["callback_provider_reference"] = p;
  if (get_bool(c.input.data, "customer_cancelled")) c.txn.data["customer_cancelled"] = true;
  c.txn.data["failed_checks_after_deadline"] = 0;
  reset_poll(c);
  check(c);
  poll_again(c);
}

void verify_after_ttl(StepContext& c) {
  reset_poll(c);
  check(c);
  poll_again(c);
}

// Status 1 seen while the customer is on the page: confirmed by one more check at the verifying
// pace, so that a cancel callback sent at the same moment can still say why.
void confirm_failure(StepContext& c) {
  reset_poll(c);
  poll_again(c);
}

void count_failed_check(StepContext& c) {
  if (c.input.at_ms >= get_int(c.txn.data, "payment_deadline_ms", INT64_MAX))
    c.txn.data["failed_checks_after_deadline"] = get_int(c.txn.data, "failed_checks_after_deadline") + 1;
  poll_again(c);
}

void outcome_unknown(StepContext& c) {
  c.txn.data["failed_checks_after_deadline"] = get_int(c.txn.data, "failed_checks_after_deadline") + 1;
  c.set_reason(with_detail("FlexPay's check kept failing after the payment delay: outcome unknown, reconcile",
                           c.input.data, "error"));
}

// Reconciliation asks FlexPay again, from a clean slate.
void reconcile(StepContext& c) {
  c.txn.data["failed_checks_after_deadline"] = 0;
  verify_after_ttl(c);
}

void record_check(StepContext& c) {
  const json::object* t = checked_transaction(c);
  if (t == nullptr) return;
  // The adapter refuses a check answer about another order than the one asked.
  if (auto order = get_string(*t, "orderNumber"); !order.empty()) c.txn.provider_refs["orderNumber"] = order;
  if (auto exponent = currency_exponent(c.txn.amount.currency)) {
    if (auto charged = parse_decimal_amount(get_string(*t, "amountCustomer"), *exponent))
      c.txn.data["amount_customer"] = *charged;
  }
}

void succeed(StepContext& c) {
  record_check(c);
  if (auto p = get_string(c.txn.data, "callback_provider_reference"); !p.empty())
    c.txn.provider_refs["provider_reference"] = p;
}

void fail_checked(StepContext& c) {
  record_check(c);
  c.set_reason("FlexPay check: the transaction did not go through");
}

void wrong_amount(StepContext& c) {
  record_check(c);
  const json::object* t = checked_transaction(c);
  const json::value* minor = t ? t->if_contains("amount_minor") : nullptr;
  std::string paid = minor != nullptr && minor->is_int64() ? std::to_string(minor->get_int64()) : "no amount";
  c.set_reason("FlexPay check: paid " + paid + " " + std::string(t ? get_string(*t, "currency") : "") +
               " (minor units), the transaction is " + std::to_string(c.txn.amount.value) + " " +
               c.txn.amount.currency + ": not accepted as paid");
}

void cancel_checked(StepContext& c) {
  record_check(c);
  c.set_reason("the customer cancelled on FlexPay's page (FlexPay check: did not go through)");
}

void pay_refused(StepContext& c) { c.set_reason(with_detail("payment request refused by FlexPay", c.input.data, "message")); }

void expired_without_redirect(StepContext& c) { c.set_reason("no payment page before the deadline"); }

void expired_after_check(StepContext& c) { c.set_reason("payment delay passed and FlexPay has no transaction"); }

void retry_later(StepContext& c) { schedule_retry(c, kRetryAfterMs); }

Flow make_flow() {
  Flow f;
  f.id = "flexpay.card";
  f.provider = "flexpay";
  f.name = "card";
  f.states = {
      {"created", Status::pending},
      {"payment_requested", Status::pending},
      {"awaiting_customer", Status::requires_action},
      {"verifying", Status::processing},
      {"succeeded", Status::succeeded, true},
      {"failed", Status::failed, true},
      {"expired", Status::expired, true},
      {"cancelled", Status::cancelled, true},
      {"unknown", Status::unknown},
  };
  // clang-format off
  f.rows = {
    // from                 on                       guard                          to                   action
    {"created",             "payment.create",        "",                            nullptr,                      "payment_requested", request_payment,   "Payment Service: POST /v1/pay (merchant, reference, amount, currency, callback_url)"},

    {"payment_requested",   "pay.accepted",          "",                            nullptr,                      "awaiting_customer", redirect_customer, "FlexPay answers with the payment page: redirect the customer"},
    {"payment_requested",   "pay.rejected",          "",                            nullptr,                      "failed",            pay_refused,       "FlexPay refused the request"},
    {"payment_requested",   "call.failed",           "op pay",                      failed_pay,                   "payment_requested", retry_later,       "no answer after retries: try again later"},
    {"payment_requested",   "timer.retry",           "",                            nullptr,                      "payment_requested", retry_payment,     "same reference: FlexPay recognises the request"},
    {"payment_requested",   "transaction.reconcile", "",                            nullptr,                      "payment_requested", nullptr,           "reconciliation: the pay request is still out (no orderNumber to check), its answer decides"},
    {"payment_requested",   "flexpay.callback",      "",                            nullptr,                      "verifying",         verify_callback,   "the callback overtook the pay answer: check it"},
    {"payment_requested",   "timer.payment_expired", "",                            nullptr,                      "expired",           expired_without_redirect, "no payment page was ever handed out: nobody can have paid"},

    {"awaiting_customer",   "flexpay.callback",      "",                            nullptr,                      "verifying",         verify_callback,   "Résultat (callback URL): unsigned, so confirmed with Check transaction"},
    {"awaiting_customer",   "timer.payment_expired", "",                            nullptr,                      "verifying",         verify_after_ttl,  "the delay passed: Check transaction decides"},
    {"awaiting_customer",   "pay.accepted",          "",                            nullptr,                      "awaiting_customer", record_order,      "duplicate pay answer"},
    {"awaiting_customer",   "timer.poll",            "",                            nullptr,                      "awaiting_customer", check,             "no callback yet: GET /api/rest/v1/check/{orderNumber}, slowly"},
    {"awaiting_customer",   "check.result",          "paid in full",                paid_in_full,                 "succeeded",         succeed,           "Check transaction: status 0, amount and currency are the transaction's (the callback was lost)"},
    {"awaiting_customer",   "check.result",          "paid another amount",         paid_another_amount,          "failed",            wrong_amount,      "Check transaction: status 0 but amount or currency differ"},
    {"awaiting_customer",   "check.result",          "transaction failed",          transaction_failed,           "verifying",         confirm_failure,   "Check transaction: status 1; confirm once more, a cancel callback may be on its way"},
    {"awaiting_customer",   "check.result",          "",                            nullptr,                      "awaiting_customer", checked_still_open, "no transaction yet or pending: check again, slowly"},
    {"awaiting_customer",   "transaction.reconcile", "",                            nullptr,                      "awaiting_customer", check,             "reconciliation: Check transaction now"},
    {"awaiting_customer",   "call.failed",           "op check",                    failed_check,                 "awaiting_customer", poll_slowly,       "check failed: the payment delay still bounds the wait"},

    {"verifying",           "check.result",          "paid in full",                paid_in_full,                 "succeeded",         succeed,           "Check transaction: status 0, amount and currency are the transaction's"},
    {"verifying",           "check.result",          "paid another amount",         paid_another_amount,          "failed",            wrong_amount,      "Check transaction: status 0 but amount or currency differ: money is exact"},
    {"verifying",           "check.result",          "cancelled by customer",       cancelled_by_customer,        "cancelled",         cancel_checked,    "Check transaction: status 1, and the customer clicked annuler (cancel callback or cancel_url)"},
    {"verifying",           "check.result",          "transaction failed",          transaction_failed,           "failed",            fail_checked,      "Check transaction: status 1, did not go through"},
    {"verifying",           "check.result",          "no transaction past deadline", no_transaction_past_deadline, "expired",          expired_after_check, "code 1, no transaction found, and the delay has passed"},
    {"verifying",           "check.result",          "",                            nullptr,                      "verifying",         keep_checking,     "no transaction yet or still pending: check again, backing off"},
    {"verifying",           "timer.poll",            "",                            nullptr,                      "verifying",         check,             "GET /api/rest/v1/check/{orderNumber}"},
    {"verifying",           "timer.payment_expired", "",                            nullptr,                      "verifying",         check,             "the delay passed while verifying: check now"},
    {"verifying",           "flexpay.callback",      "",                            nullptr,                      "verifying",         verify_callback,   "another callback while verifying: check again, never trust it"},
    {"verifying",           "pay.accepted",          "",                            nullptr,                      "verifying",         record_order,      "the pay answer after the callback: keep the orderNumber"},
    {"verifying",           "transaction.reconcile", "",                            nullptr,                      "verifying",         check,             "reconciliation: Check transaction now"},
    {"verifying",           "call.failed",           "checks exhausted",            checks_exhausted,             "unknown",           outcome_unknown,   "the delay passed and max_failed_checks checks failed in a row: reconciliation decides"},
    {"verifying",           "call.failed",           "op check",                    failed_check,                 "verifying",         count_failed_check, "check failed: try again later"},

    {"unknown",             "transaction.reconcile", "",                            nullptr,                      "verifying",         reconcile,         "reconciliation: ask FlexPay again with Check transaction"},
    {"unknown",             "flexpay.callback",      "",                            nullptr,                      "verifying",         verify_callback,   "a callback after giving up: FlexPay answers again, check it"},
  };
  // clang-format on
  return f;
}

}  // namespace

const Flow& flexpay_card_flow() {
  static const Flow flow = make_flow();
  return flow;
}

}  // namespace corridor
