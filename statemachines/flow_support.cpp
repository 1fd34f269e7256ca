#include "statemachines/flow_support.hpp"

#include <algorithm>
#include <climits>

namespace corridor {

void schedule_poll(StepContext& c, std::int64_t base_ms, std::int64_t cap_ms) {
  const std::int64_t attempt = c.txn.poll_attempt.value_or(0);
  const std::int64_t base = c.settings.get("poll_interval_ms", base_ms);
  const std::int64_t cap = c.settings.get("poll_max_interval_ms", cap_ms);
  std::int64_t delay = base;
  for (std::int64_t i = 0; i < attempt && delay < cap; ++i) delay *= 2;
  c.txn.poll_attempt = attempt + 1;
  c.set_timer("timer.poll", c.input.at_ms + std::min(delay, cap));
}

void reset_poll(StepContext& c) { c.txn.poll_attempt = 0; }

void schedule_retry(StepContext& c, std::int64_t fallback_ms) {
  const std::int64_t attempt = c.txn.retry_attempt.value_or(0);
  const std::int64_t base = c.settings.get("retry_after_ms", fallback_ms);
  const std::int64_t cap = c.settings.get("retry_max_interval_ms", base * 10);
  std::int64_t delay = base;
  for (std::int64_t i = 0; i < attempt && delay < cap; ++i) delay *= 2;
  c.txn.retry_attempt = attempt + 1;
  c.set_timer("timer.retry", c.input.at_ms + std::min(delay, cap));
}

void reset_retries(StepContext& c) { c.txn.retry_attempt = 0; }

bool polls_spent(const StepContext& c, std::int64_t default_max) {
  return c.txn.poll_attempt.value_or(0) >= c.settings.get("max_polls", default_max);
}

bool retries_spent(const StepContext& c, std::int64_t default_max) {
  return c.txn.retry_attempt.value_or(0) >= c.settings.get("max_retries", default_max);
}

bool refused_before_send(const StepContext& c) { return call_failure(c).refused.value_or(false); }

bool not_sent(const StepContext& c) { return !call_failure(c).sent.value_or(true); }

bool same_money(const std::optional<Money>& reported, const Money& asked) {
  return reported.has_value() && *reported == asked;
}

std::optional<Money> reported_money(const std::optional<json::value>& amount, std::string_view currency) {
  return reported_money(amount ? &*amount : nullptr, currency);
}

std::optional<Money> reported_money(const json::value* amount, std::string_view currency) {
  const auto exponent = currency_exponent(currency);
  if (amount == nullptr || !exponent) return std::nullopt;
  if (amount->is_string()) {
    const auto& text = amount->get_string();
    auto minor = parse_decimal_amount({text.data(), text.size()}, *exponent);
    if (!minor) return std::nullopt;
    return Money{*minor, std::string(currency)};
  }
  if (amount->is_int64() && amount->get_int64() >= 0) {
    std::int64_t scale = 1;
    for (int e = 0; e < *exponent; ++e) scale *= 10;
    if (amount->get_int64() > INT64_MAX / scale) return std::nullopt;
    return Money{amount->get_int64() * scale, std::string(currency)};
  }
  return std::nullopt;
}

void record_amount_mismatch(StepContext& c, const std::optional<Money>& reported, std::string_view what) {
  std::string said = "no readable amount";
  if (reported) {
    const auto exponent = currency_exponent(reported->currency).value_or(0);
    said = format_decimal_amount(reported->value, exponent) + " " + reported->currency;
    c.txn.provider_amount = *reported;
  }
  const auto exponent = currency_exponent(c.txn.amount.currency).value_or(0);
  c.set_reason(std::string(what) + " reports " + said + ", corridor asked " +
               format_decimal_amount(c.txn.amount.value, exponent) + " " + c.txn.amount.currency);
  c.flag(attention::kAmountMismatch);
}

const json::object* customer_of(const Transaction& t) {
  return t.customer && t.customer->value().is_object() ? &t.customer->value().get_object() : nullptr;
}

std::optional<SharedJson> shared_customer(const Transaction& t) {
  if (customer_of(t) == nullptr) return std::nullopt;
  return *t.customer;
}

std::string_view description_of(const Transaction& t) {
  if (!t.description || !t.description->value().is_string()) return {};
  const json::string& text = t.description->value().get_string();
  return {text.data(), text.size()};
}

const CallFailed& call_failure(const StepContext& c) {
  static const CallFailed none;
  if (c.input.name != "call.failed") return none;
  return c.input_as<CallFailed>();
}

std::string_view failed_op(const StepContext& c) { return call_failure(c).op; }

std::string with_detail(std::string_view what, std::string_view detail) {
  std::string out(what);
  if (!detail.empty()) {
    out += ": ";
    out += detail;
  }
  return out;
}

std::string with_failure(std::string_view what, const StepContext& c) { return with_detail(what, call_failure(c).error); }


void record_refusal(StepContext& c, std::string_view reason) {
  record_rejection(c.txn, c.input, std::string(reason));
}

std::string_view command_id(const StepContext& c) {
  auto id = get_string(c.input.data, "command_id");
  return id.empty() ? std::string_view(c.input.input_id) : id;
}

}  // namespace corridor
