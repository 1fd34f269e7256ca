#include "statemachines/interac_support.hpp"

#include "statemachines/flow_support.hpp"

namespace corridor::interac {

namespace {
// Paysafe: "PaymentHandleToken expire dans 899 secondes".
constexpr std::int64_t kHandleTtlSeconds = 899;
}  // namespace

void record_handle(StepContext& c, const InteracPaymentHandle& h) {
  c.txn.provider_refs.set(refs::kPaymentHandleId, h.id);
  c.txn.provider_refs.set(refs::kPaymentHandleToken, h.paymentHandleToken);
}

std::int64_t handle_deadline(const StepContext& c, const InteracPaymentHandle& h) {
  const std::int64_t ttl = h.timeToLiveSeconds.value_or(c.settings.get("handle_ttl_seconds", kHandleTtlSeconds));
  return c.input.at_ms + ttl * 1000;
}

void arm_handle_ttl(StepContext& c, const InteracPaymentHandle& h, std::optional<std::int64_t>& handle_deadline_ms) {
  if (handle_deadline_ms) return;
  handle_deadline_ms = handle_deadline(c, h);
  c.set_timer("timer.handle_expired", *handle_deadline_ms);
}

bool handle_ttl_passed(const StepContext& c, const std::optional<std::int64_t>& handle_deadline_ms) {
  return handle_deadline_ms && c.input.at_ms >= *handle_deadline_ms;
}

std::optional<Money> reported_amount(const Transaction& t, const std::optional<json::value>& amount,
                                     std::string_view currency_code) {
  if (!amount || !amount->is_int64()) return std::nullopt;
  return Money{amount->get_int64(), std::string(currency_code.empty() ? std::string_view(t.amount.currency) : currency_code)};
}

bool amount_differs(const Transaction& t, const std::optional<json::value>& amount, std::string_view currency_code) {
  return amount && !same_money(reported_amount(t, amount, currency_code), t.amount);
}

void record_mismatch(StepContext& c, const std::optional<json::value>& amount, std::string_view currency_code,
                     std::string_view what) {
  record_amount_mismatch(c, reported_amount(c.txn, amount, currency_code), what);
}

bool not_found(const StepContext& c) { return call_failure(c).not_found.value_or(false); }

Consumer consumer(const Transaction& t) {
  const json::object* customer = customer_of(t);
  if (customer == nullptr) return {"", "EMAIL"};
  if (auto email = get_string(*customer, "email"); !email.empty()) return {std::string(email), "EMAIL"};
  return {std::string(get_string(*customer, "msisdn")), "PHONE"};
}

}  // namespace corridor::interac
