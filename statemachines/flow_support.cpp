#include "statemachines/flow_support.hpp"

#include <algorithm>

#include "statemachines/timefmt.hpp"

namespace corridor {

json::object money_json(const Money& m) { return {{"value", m.value}, {"currency", m.currency}}; }

void schedule_poll(StepContext& c, std::int64_t base_ms, std::int64_t cap_ms) {
  const std::int64_t attempt = get_int(c.txn.data, "poll_attempt");
  const std::int64_t base = c.settings.get("poll_interval_ms", base_ms);
  const std::int64_t cap = c.settings.get("poll_max_interval_ms", cap_ms);
  std::int64_t delay = base;
  for (std::int64_t i = 0; i < attempt && delay < cap; ++i) delay *= 2;
  c.txn.data["poll_attempt"] = attempt + 1;
  c.set_timer("timer.poll", c.input.at_ms + std::min(delay, cap));
}

void reset_poll(StepContext& c) { c.txn.data["poll_attempt"] = 0; }

void schedule_retry(StepContext& c, std::int64_t fallback_ms) {
  c.set_timer("timer.retry", c.input.at_ms + c.settings.get("retry_after_ms", fallback_ms));
}

std::string_view failed_op(const StepContext& c) { return get_string(c.input.data, "op"); }

std::string with_detail(std::string_view what, const json::object& data, std::string_view key) {
  std::string out(what);
  if (auto detail = get_string(data, key); !detail.empty()) {
    out += ": ";
    out += detail;
  }
  return out;
}

void record_refusal(StepContext& c, std::string_view reason) {
  ++c.txn.rejected_inputs;
  c.txn.last_rejection = {{"input_id", c.input.input_id}, {"name", c.input.name}, {"state", c.txn.state},
                          {"reason", reason},             {"at", format_time(c.input.at_ms)}};
}

std::string_view command_id(const StepContext& c) {
  auto id = get_string(c.input.data, "command_id");
  return id.empty() ? std::string_view(c.input.input_id) : id;
}

}  // namespace corridor
