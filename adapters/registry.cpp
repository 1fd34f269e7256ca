#include "adapters/registry.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "adapters/cynod/cynod_adapter.hpp"
#include "adapters/esipay/esipay_adapter.hpp"
#include "adapters/flexpay/flexpay_adapter.hpp"
#include "adapters/interac/interac_adapter.hpp"
#include "adapters/novasend/novasend_adapter.hpp"

namespace corridor {

namespace {
// The one place that lists providers: adding one adds a line here and a folder under adapters/.
std::vector<AdapterRegistration> make_registrations() {
  std::vector<AdapterRegistration> all;
  all.push_back(novasend_registration());
  all.push_back(flexpay_registration());
  all.push_back(cynod_registration());
  all.push_back(esipay_registration());
  all.push_back(interac_registration());
  return all;
}
}  // namespace

Result<bool> validate_registrations(const std::vector<AdapterRegistration>& registrations) {
  std::set<std::string_view> seen;
  for (const auto& r : registrations) {
    if (r.provider.empty()) return fail("an adapter registration has no provider name");
    if (r.make == nullptr) return fail("adapter '" + std::string(r.provider) + "' has no factory");
    if (!seen.insert(r.provider).second) return fail("adapter '" + std::string(r.provider) + "' is registered twice");
    std::set<std::string_view> keys;
    for (const auto& k : r.config_keys) {
      if (!keys.insert(k.name).second) {
        return fail("adapter '" + std::string(r.provider) + "' lists config key '" + std::string(k.name) + "' twice");
      }
    }
  }
  return true;
}

const std::vector<AdapterRegistration>& adapter_registrations() {
  static const std::vector<AdapterRegistration> registrations = [] {
    auto all = make_registrations();
    if (auto ok = validate_registrations(all); !ok) throw std::logic_error(ok.error().message);
    return all;
  }();
  return registrations;
}

const AdapterRegistration* find_adapter(std::string_view provider) {
  for (const auto& r : adapter_registrations()) {
    if (r.provider == provider) return &r;
  }
  return nullptr;
}

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
