#pragma once
// A provider as corridor carries it: one registration, defined in the provider's own folder
// (adapters/<provider>/<provider>_plugin.cpp) and listed once, in adapters/providers.def. The engine
// reaches providers only through the registry built from that list (adapters/registry.hpp) and names
// none. A provider's sandbox registers under the same line of the same list (sandbox/registry.cpp),
// in the command line's library only, so the runtime carries no simulator. CONTRIBUTING.md lists the
// files of a new provider.
#include <string_view>
#include <vector>

#include "adapters/adapter.hpp"
#include "statemachines/flow.hpp"

namespace corridor {

struct ProviderPlugin {
  std::string_view name;           // providers.<name> in the config, "provider" in commands
  AdapterRegistration adapter;     // the adapter factory, its settings schema (config keys), its constraints
  std::vector<const Flow*> flows;  // at least one; a command may leave out "flow" when there is one
};

}  // namespace corridor
