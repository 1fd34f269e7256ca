#pragma once
// CSV as reports write it and settlement files bring it (RFC 4180: comma-separated, fields with a
// comma, quote or line break in double quotes, a quote doubled).
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace corridor {

// One field, always quoted.
std::string csv_field(std::string_view text);

// The fields of one line (no line break inside: settlement lines have none).
Result<std::vector<std::string>> parse_csv_line(std::string_view line);

}  // namespace corridor
