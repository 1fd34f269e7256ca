#include "statemachines/interac_support.hpp"

#include "statemachines/flow_support.hpp"

namespace corridor::interac {

namespace {
// Paysafe: "PaymentHandleToken expire dans 899 secondes".
constexpr std::int64_t kHandleTtlSeconds = 899;
}  // namespace

std::string_view status(const StepContext& c) { return get_string(c.input.data, "status"); }

void record_handle(StepContext& c) {
  const auto& d = c.input.data;
  if (auto id = get_string(d, "id"); !id.empty()) c.txn.provider_refs["payment_handle_id"] = id;
  if (auto token = get_string(d, "paymentHandleToken"); !token.empty()) c.txn.provider_refs["payment_handle_token"] = token;
}

void record_resource(StepContext& c, std::string_view key) {
  if (auto id = get_string(c.input.data, "id"); !id.empty()) c.txn.provider_refs[key] = id;
}

std::int64_t handle_deadline(const StepContext& c) {
  const std::int64_t ttl =
      get_int(c.input.data, "timeToLiveSeconds", c.settings.get("handle_ttl_seconds", kHandleTtlSeconds));
  return c.input.at_ms + ttl * 1000;
}

void arm_handle_ttl(StepContext& c, std::optional<std::int64_t>& handle_deadline_ms) {
  if (handle_deadline_ms) return;
  handle_deadline_ms = handle_deadline(c);
  c.set_timer("timer.handle_expired", *handle_deadline_ms);
}

bool handle_ttl_passed(const StepContext& c, const std::optional<std::int64_t>& handle_deadline_ms) {
  return handle_deadline_ms && c.input.at_ms >= *handle_deadline_ms;
}

bool reports_amount(const StepContext& c) {
  const json::value* amount = c.input.data.if_contains("amount");
  return amount != nullptr && !amount->is_null();
}

std::optional<Money> reported_amount(const StepContext& c) {
  const json::value* amount = c.input.data.if_contains("amount");
  if (amount == nullptr || !amount->is_int64()) return std::nullopt;
  std::string_view currency = get_string(c.input.data, "currencyCode");
  if (currency.empty()) currency = c.txn.amount.currency;
  return Money{amount->get_int64(), std::string(currency)};
}

bool amount_differs(const StepContext& c) { return reports_amount(c) && !same_money(reported_amount(c), c.txn.amount); }

void record_mismatch(StepContext& c, std::string_view what) { record_amount_mismatch(c, reported_amount(c), what); }

bool not_found(const StepContext& c) { return c.input.name == "call.failed" && get_bool(c.input.data, "not_found"); }

json::object consumer(const Transaction& t) {
  const json::object* customer = customer_of(t);
  if (customer == nullptr) return {{"consumerId", ""}, {"type", "EMAIL"}};
  if (auto email = get_string(*customer, "email"); !email.empty()) return {{"consumerId", email}, {"type", "EMAIL"}};
  return {{"consumerId", get_string(*customer, "msisdn")}, {"type", "PHONE"}};
}

}  // namespace corridor::interac
