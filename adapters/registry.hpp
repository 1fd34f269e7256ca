#pragma once
// The provider registry: the plugins of a list of providers (adapters/plugin.hpp), checked once, and
// what the engine looks up in them: a provider, its adapter, its flows. corridor's own registry,
// providers(), holds one plugin per line of adapters/providers.def; a test builds one of its own from
// another list, and the engine serves it the same way (Config::registry).
#include <string_view>
#include <vector>

#include "adapters/plugin.hpp"

namespace corridor {

// Checks a list of plugins: names present and unique, the adapter's registered under the plugin's name
// with a factory and no config key twice, at least one flow, each of this provider and with an id no
// other flow has, sealed fields named in full.
Result<Ok> validate_providers(const std::vector<ProviderPlugin>& plugins);

class ProviderRegistry {
 public:
  // Throws std::logic_error with validate_providers' message when the list is not valid.
  explicit ProviderRegistry(std::vector<ProviderPlugin> plugins);

  const std::vector<ProviderPlugin>& all() const { return plugins_; }
  const ProviderPlugin* find(std::string_view provider) const;
  const AdapterRegistration* find_adapter(std::string_view provider) const;

  // Every provider's flows, in list order.
  const std::vector<const Flow*>& flows() const { return flows_; }
  const Flow* find_flow(std::string_view id) const;
  // The flow a command names: `flow` may be omitted where the provider has only one.
  const Flow* resolve_flow(std::string_view provider, std::string_view flow) const;

  // Every provider's sealed command fields, in list order.
  const std::vector<SealedField>& sealed_fields() const { return sealed_fields_; }

 private:
  std::vector<ProviderPlugin> plugins_;
  std::vector<const Flow*> flows_;
  std::vector<SealedField> sealed_fields_;
};

// corridor's providers: one plugin per line of adapters/providers.def.
const ProviderRegistry& providers();

// The same lookups in providers(), for the command line, tools and tests.
const std::vector<const Flow*>& all_flows();
const Flow* find_flow(std::string_view id);
const Flow* resolve_flow(std::string_view provider, std::string_view flow);
const AdapterRegistration* find_adapter(std::string_view provider);

}  // namespace corridor
