#include "tests/toy/registry.hpp"

namespace corridor {

#define CORRIDOR_PROVIDER(name) \
  ProviderPlugin name##_plugin();  \
  SandboxRegistration name##_sandbox_registration();
#include "tests/toy/providers.def"
#undef CORRIDOR_PROVIDER

const ProviderRegistry& toy_providers() {
  static const ProviderRegistry registry({
#define CORRIDOR_PROVIDER(name) name##_plugin(),
#include "tests/toy/providers.def"
#undef CORRIDOR_PROVIDER
  });
  return registry;
}

const SandboxRegistry& toy_sandboxes() {
  static const SandboxRegistry registry({
#define CORRIDOR_PROVIDER(name) name##_sandbox_registration(),
#include "tests/toy/providers.def"
#undef CORRIDOR_PROVIDER
  });
  return registry;
}

}  // namespace corridor
