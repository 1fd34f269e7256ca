#pragma once
// Small pieces several flows share: money in call params, capped polling, retries under the same
// idempotency key, visible refusals. Each is a few lines; they live here so the flows read alike.
#include <optional>
#include <string>
#include <string_view>

#include "statemachines/flow.hpp"

namespace corridor {

// Arms `timer.poll` after the next delay of a capped exponential backoff: settings
// `poll_interval_ms` (default `base_ms`) doubled per attempt up to `poll_max_interval_ms` (default
// `cap_ms`). The attempt counter is Transaction::poll_attempt; reset_poll() starts it over.
void schedule_poll(StepContext& c, std::int64_t base_ms, std::int64_t cap_ms);
void reset_poll(StepContext& c);

// Arms `timer.retry` after `retry_after_ms` (default `fallback_ms`), doubled per retry up to
// `retry_max_interval_ms` (default ten times the first delay). The count lives in
// Transaction::retry_attempt; reset_retries() starts it over.
void schedule_retry(StepContext& c, std::int64_t fallback_ms);
void reset_retries(StepContext& c);

// ---- budgets: every wait and retry ends ---------------------------------------------------------
// A flow checks these in a guarded row placed above its ordinary poll or retry row, and hands the
// transaction to `unknown` (attention, then the janitor) once the budget is spent. The budgets are
// settings (`max_polls`, `max_retries`) with the flow's defaults; docs/providers/<provider>.md
// documents them.
bool polls_spent(const StepContext& c, std::int64_t default_max);
bool retries_spent(const StepContext& c, std::int64_t default_max);

// ---- calls that never left -----------------------------------------------------------------------
// The executor's call.failed says `"sent": false` when no request left corridor (a circuit open, the
// card vault unavailable, the adapter refusing the parameters) and `"refused": true` when that is
// final (the adapter, or the vault, will refuse it again): nothing can have happened at the provider.
bool refused_before_send(const StepContext& c);
bool not_sent(const StepContext& c);

// ---- amounts the provider reports ----------------------------------------------------------------
// Every amount a provider reports is compared with the one asked (DESIGN.md section 9). A reported
// amount that cannot be read counts as different: it is never taken for the one asked.
bool same_money(const std::optional<Money>& reported, const Money& asked);
// A decimal string ("50.0", "153.00") or an integer of major units in `currency`, exactly, in minor
// units; nullopt when it is neither, overflows, or has more decimals than the currency.
std::optional<Money> reported_money(const json::value* amount, std::string_view currency);
// The same, of an amount an input struct keeps as the provider wrote it (absent: nullopt).
std::optional<Money> reported_money(const std::optional<json::value>& amount, std::string_view currency);
// Keeps the reported amount (Transaction::provider_amount, which every later event carries as
// provider_amount), says both in the reason and flags the change amount_mismatch.
void record_amount_mismatch(StepContext& c, const std::optional<Money>& reported, std::string_view what);

// The create command's `customer` object and `description` text, as the transaction keeps them
// (null and empty when the command had none, or another type).
const json::object* customer_of(const Transaction& t);
// The customer object itself, for a call that sends it on: shared, not copied (nullopt as above).
std::optional<SharedJson> shared_customer(const Transaction& t);
std::string_view description_of(const Transaction& t);

// A `call.failed` input's data (valid for the step); empty for any other input.
const CallFailed& call_failure(const StepContext& c);
// The op of a `call.failed` input; empty for any other input.
std::string_view failed_op(const StepContext& c);

// "what: detail", or "what" when `detail` is empty.
std::string with_detail(std::string_view what, std::string_view detail);
// with_detail(what, the `call.failed` input's error).
std::string with_failure(std::string_view what, const StepContext& c);

// Records a refusal decided by a row (for instance a refund over the remaining amount) the way the
// framework records an input with no row: rejected_inputs + 1 and last_rejection {input_id, name,
// state, reason, at}. The state does not change and no event is published.
void record_refusal(StepContext& c, std::string_view reason);

// The command id of a command input (data.command_id), or its input id when it has none.
std::string_view command_id(const StepContext& c);

}  // namespace corridor
