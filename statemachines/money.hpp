#pragma once
// Money is an integer count of minor units of an ISO 4217 currency. No floating point, anywhere.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace corridor {

struct Money {
  std::int64_t value = 0;  // minor units (XOF: francs; USD, CAD, CDF: cents)
  std::string currency;    // ISO 4217 alphabetic code
  bool operator==(const Money&) const = default;
};

// Number of decimal places of an ISO 4217 currency, or nullopt when corridor does not know it.
std::optional<int> currency_exponent(std::string_view code);

// Exact conversion between minor units and a decimal string as providers write it ("50.0", "153.00",
// "300"). Parsing refuses more decimals than the currency has, signs, exponents and anything else.
Result<std::int64_t> parse_decimal_amount(std::string_view text, int exponent);
std::string format_decimal_amount(std::int64_t minor, int exponent);

}  // namespace corridor
