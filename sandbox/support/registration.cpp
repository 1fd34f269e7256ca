#include "sandbox/support/registration.hpp"

namespace corridor {

std::string setting(const ProviderSettings& settings, std::string_view key, std::string fallback) {
  auto it = settings.find(key);
  return it == settings.end() || it->second.empty() ? fallback : it->second;
}

}  // namespace corridor
