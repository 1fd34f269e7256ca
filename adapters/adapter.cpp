#include "adapters/adapter.hpp"

#include <algorithm>

namespace corridor {

std::string ProviderConstraints::check_amount(const Money& amount) const {
  if (!currencies.empty() && std::find(currencies.begin(), currencies.end(), amount.currency) == currencies.end()) {
    std::string list;
    for (auto c : currencies) list += (list.empty() ? "" : ", ") + std::string(c);
    return "currency " + amount.currency + " is not accepted by this provider (" + list + ")";
  }
  if (whole_units) {
    const auto exponent = currency_exponent(amount.currency).value_or(0);
    std::int64_t scale = 1;
    for (int e = 0; e < exponent; ++e) scale *= 10;
    if (amount.value % scale != 0)
      return "this provider takes whole units of " + amount.currency + " only: " +
             format_decimal_amount(amount.value, exponent) + " has a fraction";
  }
  return {};
}

std::string ProviderConstraints::check_card_number(std::string_view digits) const {
  if (card_digits_max == 0) return {};
  if (digits.size() < card_digits_min || digits.size() > card_digits_max)
    return "card.number must have " + std::to_string(card_digits_min) + " to " + std::to_string(card_digits_max) +
           " digits for this provider, not " + std::to_string(digits.size());
  return {};
}

std::string_view txn_id_of_call(std::string_view call_id) { return call_id.substr(0, call_id.find(':')); }

}  // namespace corridor
