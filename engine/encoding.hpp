#pragma once
// Byte encodings used at corridor's edges: base64 (standard alphabet, padded) and hex.
#include <optional>
#include <string>
#include <string_view>

namespace corridor {

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);
std::optional<std::string> hex_decode(std::string_view text);

}  // namespace corridor
