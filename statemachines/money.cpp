#include "statemachines/money.hpp"

#include <array>
#include <limits>

#include "statemachines/errc.hpp"

namespace corridor {

namespace {
struct CurrencyInfo {
  std::string_view code;
  int exponent;
};
// The currencies of corridor's corridors (West and Central Africa, Canada) and the usual majors.
constexpr std::array kCurrencies{
    CurrencyInfo{"XOF", 0}, CurrencyInfo{"XAF", 0}, CurrencyInfo{"CDF", 2}, CurrencyInfo{"USD", 2},
    CurrencyInfo{"CAD", 2}, CurrencyInfo{"EUR", 2}, CurrencyInfo{"GBP", 2}, CurrencyInfo{"GNF", 0},
    CurrencyInfo{"NGN", 2}, CurrencyInfo{"GHS", 2}, CurrencyInfo{"KES", 2}, CurrencyInfo{"RWF", 0},
    CurrencyInfo{"UGX", 0}, CurrencyInfo{"TZS", 2}, CurrencyInfo{"MAD", 2}, CurrencyInfo{"ZAR", 2},
    CurrencyInfo{"CHF", 2}, CurrencyInfo{"JPY", 0}, CurrencyInfo{"BIF", 0}, CurrencyInfo{"KMF", 0},
    CurrencyInfo{"MGA", 2}, CurrencyInfo{"SLE", 2}, CurrencyInfo{"LRD", 2}, CurrencyInfo{"GMD", 2},
    CurrencyInfo{"CVE", 2}, CurrencyInfo{"MRU", 2}, CurrencyInfo{"XAU", 0}};
}  // namespace

std::optional<int> currency_exponent(std::string_view code) {
  for (const auto& c : kCurrencies) {
    if (c.code == code && c.code != "XAU") return c.exponent;
  }
  return std::nullopt;
}

Result<std::int64_t> parse_decimal_amount(std::string_view text, int exponent) {
  if (text.empty()) return fail(record_errc::bad_amount, "empty amount");
  std::int64_t whole = 0;
  std::size_t i = 0;
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  for (; i < text.size() && text[i] != '.'; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return fail(record_errc::bad_amount, "amount '" + std::string(text) + "' is not a decimal number");
    if (whole > (kMax - (c - '0')) / 10) return fail(record_errc::bad_amount, "amount '" + std::string(text) + "' is too large");
    whole = whole * 10 + (c - '0');
  }
  if (i == 0) return fail(record_errc::bad_amount, "amount '" + std::string(text) + "' has no integer part");
  int decimals = 0;
  std::int64_t fraction = 0;
  if (i < text.size()) {
    ++i;  // the '.'
    if (i == text.size()) return fail(record_errc::bad_amount, "amount '" + std::string(text) + "' ends with a point");
    for (; i < text.size(); ++i) {
      const char c = text[i];
      if (c < '0' || c > '9') return fail(record_errc::bad_amount, "amount '" + std::string(text) + "' is not a decimal number");
      if (decimals >= exponent) {
        // Trailing zeros past the currency's precision are harmless ("50.0" in XOF); anything else
        // would be a fraction of a minor unit.
        if (c != '0') return fail(record_errc::bad_amount, "amount '" + std::string(text) + "' has more decimals than the currency");
        continue;
      }
      fraction = fraction * 10 + (c - '0');
      ++decimals;
    }
  }
  for (; decimals < exponent; ++decimals) fraction *= 10;
  std::int64_t scale = 1;
  for (int e = 0; e < exponent; ++e) scale *= 10;
  if (whole > (std::numeric_limits<std::int64_t>::max() - fraction) / scale) return fail(record_errc::bad_amount, "amount too large");
  return whole * scale + fraction;
}

std::string format_decimal_amount(std::int64_t minor, int exponent) {
  // The magnitude as unsigned, where -INT64_MIN fits. The text is appended piece by piece: GCC 12 at
  // -O3 takes the inserts of the shorter form for overlapping copies (-Wrestrict).
  const std::uint64_t magnitude = minor < 0 ? 0 - static_cast<std::uint64_t>(minor) : static_cast<std::uint64_t>(minor);
  const std::string digits = std::to_string(magnitude);
  const std::size_t decimals = exponent > 0 ? static_cast<std::size_t>(exponent) : 0;
  const std::size_t whole = digits.size() > decimals ? digits.size() - decimals : 0;
  std::string out;
  out.reserve(digits.size() + decimals + 3);
  if (minor < 0) out.push_back('-');
  if (whole == 0) out.push_back('0');
  out.append(digits, 0, whole);
  if (decimals > 0) {
    out.push_back('.');
    out.append(decimals - (digits.size() - whole), '0');
    out.append(digits, whole, std::string::npos);
  }
  return out;
}

}  // namespace corridor
