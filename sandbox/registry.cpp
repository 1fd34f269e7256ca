// corridor's sandboxes, from the one list of providers.
#include <stdexcept>

#include "sandbox/sandbox.hpp"

namespace corridor {

#define CORRIDOR_PROVIDER(name) SandboxRegistration name##_sandbox_registration();
#include "adapters/providers.def"
#undef CORRIDOR_PROVIDER

SandboxRegistry::SandboxRegistry(std::vector<SandboxRegistration> sandboxes) : sandboxes_(std::move(sandboxes)) {
  for (std::size_t i = 0; i < sandboxes_.size(); ++i)
    for (std::size_t j = i + 1; j < sandboxes_.size(); ++j)
      if (sandboxes_[i].provider == sandboxes_[j].provider)
        throw std::logic_error("sandbox registered twice: " + std::string(sandboxes_[i].provider));
}

const SandboxRegistration* SandboxRegistry::find(std::string_view provider) const {
  for (const auto& r : sandboxes_)
    if (r.provider == provider) return &r;
  return nullptr;
}

const SandboxRegistry& sandboxes() {
  static const SandboxRegistry registry({
#define CORRIDOR_PROVIDER(name) name##_sandbox_registration(),
#include "adapters/providers.def"
#undef CORRIDOR_PROVIDER
  });
  return registry;
}

const std::vector<SandboxRegistration>& sandbox_registrations() { return sandboxes().all(); }
const SandboxRegistration* find_sandbox(std::string_view provider) { return sandboxes().find(provider); }

}  // namespace corridor
