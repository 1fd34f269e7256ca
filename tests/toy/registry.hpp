#pragma once
// The toy's registries, built from tests/toy/providers.def the way corridor's are built from
// adapters/providers.def (adapters/registry.cpp, sandbox/registry.cpp). Production carries neither.
#include "adapters/registry.hpp"
#include "sandbox/sandbox.hpp"

namespace corridor {

const ProviderRegistry& toy_providers();
const SandboxRegistry& toy_sandboxes();

}  // namespace corridor
