#pragma once
// Time as corridor's flows see it: milliseconds since the Unix epoch, carried by inputs and written
// in events as RFC 3339 UTC with milliseconds. No clock is read here.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace corridor {

std::string format_time(std::int64_t epoch_ms);  // "2026-11-22T10:00:00.000Z"
void append_time(std::string& out, std::int64_t epoch_ms);  // the same text, at the end of `out`
// The same text at `out`, which has room for kMaxTimeChars; returns the end of what was written.
inline constexpr std::size_t kMaxTimeChars = 40;
char* write_time(char* out, std::int64_t epoch_ms);
// Accepts "YYYY-MM-DDTHH:MM:SS[.fff...](Z|+HH:MM|-HH:MM)".
std::optional<std::int64_t> parse_time(std::string_view text);

}  // namespace corridor
