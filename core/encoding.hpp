#pragma once
// Byte encodings used at corridor's edges: hex and base64 (standard alphabet, padded). One copy in
// the tree, for the adapters and the engine alike.
#include <optional>
#include <string>
#include <string_view>

namespace corridor {

// Lower-case hex of any bytes ("0a1b...").
std::string hex_encode(std::string_view bytes);

// The value of a hex digit (either case); -1 when `c` is not one.
int hex_digit(char c);

// Hex digits (either case, an even number of them) as bytes; nullopt otherwise.
std::optional<std::string> hex_decode(std::string_view text);

// Standard base64 (RFC 4648 alphabet), padded.
std::string base64_encode(std::string_view bytes);
// Strict standard base64 with padding; nullopt when malformed (no whitespace is skipped).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace corridor
