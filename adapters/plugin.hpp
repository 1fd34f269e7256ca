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
#include "adapters/settlement.hpp"
#include "statemachines/flow.hpp"

namespace corridor {

// A command field the provider takes that is a secret (a security answer): `<object>.<key>` in the
// command. The router refuses it when it is not a string, seals it into `<object>.<sealed_as>` before
// the command reaches corridor.inputs, refuses a command that sends `<object>.<sealed_as>` itself, and
// a dead letter hides both. The executor opens it in memory only, for the call that needs it.
struct SealedField {
  std::string_view object;     // a top-level object of the command
  std::string_view key;        // the secret, in clear, as the upstream service sends it
  std::string_view sealed_as;  // where corridor keeps it sealed, beside it
};

// What a provider offers beyond its adapter and flows; the engine acts on each for any provider.
struct ProviderCapabilities {
  std::vector<SealedField> sealed_fields{};
  // Its settlement file, read and matched by `corridor reconcile --settlement FILE --provider P`;
  // unavailable when the provider publishes none.
  SettlementFormat settlement{};
};

struct ProviderPlugin {
  std::string_view name;           // providers.<name> in the config, "provider" in commands
  AdapterRegistration adapter;     // the adapter factory, its settings schema (config keys), its constraints
  std::vector<const Flow*> flows;  // at least one; a command may leave out "flow" when there is one
  ProviderCapabilities capabilities{};
};

}  // namespace corridor
