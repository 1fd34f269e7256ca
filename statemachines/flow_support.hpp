#pragma once
// Small pieces several flows share: money in call params, capped polling, retries under the same
// idempotency key, visible refusals. Each is a few lines; they live here so the flows read alike.
#include <string>
#include <string_view>

#include "statemachines/flow.hpp"

namespace corridor {

// {"value": minor units, "currency": "XOF"}: every provider call carries amounts this way; the
// adapter writes the provider's own format (decimal string, integer) from it.
json::object money_json(const Money& m);

// Arms `timer.poll` after the next delay of a capped exponential backoff: settings
// `poll_interval_ms` (default `base_ms`) doubled per attempt up to `poll_max_interval_ms` (default
// `cap_ms`). The attempt counter lives in txn.data.poll_attempt; reset_poll() starts it over.
void schedule_poll(StepContext& c, std::int64_t base_ms, std::int64_t cap_ms);
void reset_poll(StepContext& c);

// Arms `timer.retry` after `retry_after_ms` (default `fallback_ms`).
void schedule_retry(StepContext& c, std::int64_t fallback_ms);

// The op of a `call.failed` input ({"op": ..., "error": ...}).
std::string_view failed_op(const StepContext& c);

// "what: detail" when the input carries `key`, else "what".
std::string with_detail(std::string_view what, const json::object& data, std::string_view key);

// Records a refusal decided by a row (for instance a refund over the remaining amount) the way the
// framework records an input with no row: rejected_inputs + 1 and last_rejection {input_id, name,
// state, reason, at}. The state does not change and no event is published.
void record_refusal(StepContext& c, std::string_view reason);

// The command id of a command input (data.command_id), or its input id when it has none.
std::string_view command_id(const StepContext& c);

}  // namespace corridor
