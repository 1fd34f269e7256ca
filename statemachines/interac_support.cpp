#include "statemachines/interac_support.hpp"

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

json::object consumer(const Transaction& t) {
  const json::object* customer = get_object(t.data, "customer");
  if (customer == nullptr) return {{"consumerId", ""}, {"type", "EMAIL"}};
  if (auto email = get_string(*customer, "email"); !email.empty()) return {{"consumerId", email}, {"type", "EMAIL"}};
  return {{"consumerId", get_string(*customer, "msisdn")}, {"type", "PHONE"}};
}

}  // namespace corridor::interac
