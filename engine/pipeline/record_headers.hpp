#pragma once
// The headers of the records corridor publishes: the W3C trace context (`traceparent`) a command
// brings and every record it causes carries, and CloudEvents' binary mode (`ce_*`) on corridor.events
// and corridor.deadletter (docs/events.md, docs/asyncapi.yaml). Pure functions: the router, the
// processor and the relay only attach what these give.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace corridor {

using RecordHeaders = std::vector<std::pair<std::string, std::string>>;

// A received `traceparent` as corridor passes it on, or nullopt when it is not one (W3C Trace Context
// level 1: "00-<32 hex trace-id>-<16 hex parent-id>-<2 hex flags>", lower case, ids not all zero,
// version ff refused; a later version is read by its first four fields and passed on as version 00).
// An invalid one is ignored, never an error: the caller derives one instead.
std::optional<std::string> valid_traceparent(std::string_view header);

// The traceparent of something that came without one: derived from `seed` (a txn_id), so a replay and
// every record of one transaction give the same. Flags 00: corridor records no spans of its own.
std::string derived_traceparent(std::string_view seed);

// `given` when valid, else derived from `seed`.
std::string traceparent_or_derived(std::string_view given, std::string_view seed);

// CloudEvents 1.0 binary-mode headers of an event: ce_specversion, ce_id, ce_type, ce_source
// ("corridor/<provider>.<flow>", or "corridor" when `flow_id` is empty), ce_subject (left out when
// `subject` is empty), ce_time, content-type, then traceparent.
RecordHeaders event_headers(std::string_view id, std::string_view type, std::string_view flow_id,
                            std::string_view subject, std::string_view time, std::string_view traceparent);

// The same for a dead letter `body` written by `source` (router, processor, relay): ce_type
// "corridor.deadletter", ce_source "corridor/<source>", ce_id "deadletter:" + the first 32 hex digits
// of the body's SHA-256 (a dead letter has no id of its own; the same record gives the same id),
// ce_subject the txn_id when known, traceparent when known.
RecordHeaders deadletter_headers(std::string_view source, std::string_view body, std::string_view time,
                                 std::string_view txn_id, std::string_view traceparent);

// The value of header `name` among `headers` ("" when absent).
std::string_view header_value(const RecordHeaders& headers, std::string_view name);

}  // namespace corridor
