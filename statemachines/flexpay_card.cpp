#include "statemachines/flexpay_card.hpp"

#include "statemachines/flow_support.hpp"

namespace corridor {

namespace {

// Settings (providers.flexpay). The seed gives no lifetime for the payment page; fifteen minutes is
// the usual hosted-card-page session.
constexpr std::int64_t kPaymentTtlMs = 900000;
constexpr std::int64_t kPollIntervalMs = 5000;
constexpr std::int64_t kPollMaxIntervalMs = 60000;
constexpr std::int64_t kRetryAfterMs = 30000;

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
bool transaction_failed(const StepContext& c) {
  const json::object* t = checked_transaction(c);
  return t != nullptr && code_of(*t, "status") == "1";
}
bool no_transaction_past_deadline(const StepContext& c) {
  return checked_transaction(c) == nullptr &&
         c.input.at_ms >= get_int(c.txn.data, "payment_deadline_ms", INT64_MAX);
}
bool failed_pay(const StepContext& c) { return failed_op(c) == "pay"; }
bool failed_check(const StepContext& c) { return failed_op(c) == "check"; }

// ---- what corridor does -------------------------------------------------------------------------

json::object pay_params(const Transaction& t) {
  json::object p;
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

void record_order(StepContext& c) {
  if (auto order = get_string(c.input.data, "orderNumber"); !order.empty()) c.txn.provider_refs["orderNumber"] = order;
}

void redirect_customer(StepContext& c) {
  record_order(c);
  c.txn.next_action = {{"type", "redirect"}, {"url", get_string(c.input.data, "url")}};
}

void check(StepContext& c) {
  c.call("check", {{"orderNumber", get_string(c.txn.provider_refs, "orderNumber")}, {"reference", c.txn.txn_id}});
}

void poll_again(StepContext& c) { schedule_poll(c, kPollIntervalMs, kPollMaxIntervalMs); }

// The callback is not signed: it only tells corridor to ask FlexPay. What it claimed is kept for
// the record, never acted on.
void verify_callback(StepContext& c) {
  record_order(c);
  c.txn.data["callback_code"] = code_of(c.input.data, "code");
  if (auto p = get_string(c.input.data, "provider_reference"); !p.empty()) c.txn.data["callback_provider_reference"] = p;
  reset_poll(c);
  check(c);
  poll_again(c);
}

void verify_after_ttl(StepContext& c) {
  reset_poll(c);
  check(c);
  poll_again(c);
}

void record_check(StepContext& c) {
  const json::object* t = checked_transaction(c);
  if (t == nullptr) return;
  record_order(c);
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
  };
  // clang-format off
  f.rows = {
    // from                 on                       guard                          to                   action
    {"created",             "payment.create",        "",                            nullptr,                      "payment_requested", request_payment,   "Payment Service: POST /v1/pay (merchant, reference, amount, currency, callback_url)"},

    {"payment_requested",   "pay.accepted",          "",                            nullptr,                      "awaiting_customer", redirect_customer, "FlexPay answers with the payment page: redirect the customer"},
    {"payment_requested",   "pay.rejected",          "",                            nullptr,                      "failed",            pay_refused,       "FlexPay refused the request"},
    {"payment_requested",   "call.failed",           "op pay",                      failed_pay,                   "payment_requested", retry_later,       "no answer after retries: try again later"},
    {"payment_requested",   "timer.retry",           "",                            nullptr,                      "payment_requested", retry_payment,     "same reference: FlexPay recognises the request"},
    {"payment_requested",   "flexpay.callback",      "",                            nullptr,                      "verifying",         verify_callback,   "the callback overtook the pay answer: check it"},
    {"payment_requested",   "timer.payment_expired", "",                            nullptr,                      "expired",           expired_without_redirect, "no payment page was ever handed out: nobody can have paid"},

    {"awaiting_customer",   "flexpay.callback",      "",                            nullptr,                      "verifying",         verify_callback,   "Résultat (callback URL): unsigned, so confirmed with Check transaction"},
    {"awaiting_customer",   "timer.payment_expired", "",                            nullptr,                      "verifying",         verify_after_ttl,  "the delay passed: Check transaction decides"},
    {"awaiting_customer",   "pay.accepted",          "",                            nullptr,                      "awaiting_customer", record_order,      "duplicate pay answer"},

    {"verifying",           "check.result",          "transaction succeeded",       transaction_succeeded,        "succeeded",         succeed,           "Check transaction: status 0, processed successfully"},
    {"verifying",           "check.result",          "transaction failed",          transaction_failed,           "failed",            fail_checked,      "Check transaction: status 1, did not go through"},
    {"verifying",           "check.result",          "no transaction past deadline", no_transaction_past_deadline, "expired",          expired_after_check, "code 1, no transaction found, and the delay has passed"},
    {"verifying",           "check.result",          "",                            nullptr,                      "verifying",         poll_again,        "no transaction yet or still pending: check again, backing off"},
    {"verifying",           "timer.poll",            "",                            nullptr,                      "verifying",         check,             "GET /api/rest/v1/check/{orderNumber}"},
    {"verifying",           "timer.payment_expired", "",                            nullptr,                      "verifying",         check,             "the delay passed while verifying: check now"},
    {"verifying",           "flexpay.callback",      "",                            nullptr,                      "verifying",         verify_callback,   "another callback while verifying: check again, never trust it"},
    {"verifying",           "pay.accepted",          "",                            nullptr,                      "verifying",         record_order,      "the pay answer after the callback: keep the orderNumber"},
    {"verifying",           "call.failed",           "op check",                    failed_check,                 "verifying",         poll_again,        "check failed: try again later"},
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
