#pragma once
// Byte encodings used at corridor's edges: base64 (standard alphabet, padded) comes from
// adapters/support/wire, the one copy in the tree; hex_decode is the card vault's.
#include <optional>
#include <string>
#include <string_view>

#include "adapters/support/wire.hpp"

namespace corridor {

std::optional<std::string> hex_decode(std::string_view text);

}  // namespace corridor
