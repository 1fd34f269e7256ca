// The one place that lists the sandbox providers.
#include <stdexcept>

#include "sandbox/cynod/cynod_sandbox.hpp"
#include "sandbox/esipay/esipay_sandbox.hpp"
#include "sandbox/flexpay/flexpay_sandbox.hpp"
#include "sandbox/interac/interac_sandbox.hpp"
#include "sandbox/novasend/novasend_sandbox.hpp"
#include "sandbox/sandbox.hpp"

namespace corridor {

const std::vector<SandboxRegistration>& sandbox_registrations() {
  static const std::vector<SandboxRegistration> registrations = [] {
    std::vector<SandboxRegistration> r;
    r.push_back(novasend_sandbox_registration());
    r.push_back(flexpay_sandbox_registration());
    r.push_back(cynod_sandbox_registration());
    r.push_back(esipay_sandbox_registration());
    r.push_back(interac_sandbox_registration());
    for (std::size_t i = 0; i < r.size(); ++i)
      for (std::size_t j = i + 1; j < r.size(); ++j)
        if (r[i].provider == r[j].provider)
          throw std::logic_error("sandbox registered twice: " + std::string(r[i].provider));
    return r;
  }();
  return registrations;
}

const SandboxRegistration* find_sandbox(std::string_view provider) {
  for (const auto& r : sandbox_registrations())
    if (r.provider == provider) return &r;
  return nullptr;
}

}  // namespace corridor
