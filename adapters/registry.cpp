#include "adapters/registry.hpp"

#include <set>
#include <stdexcept>
#include <string>

namespace corridor {

#define CORRIDOR_PROVIDER(name) ProviderPlugin name##_plugin();
#include "adapters/providers.def"
#undef CORRIDOR_PROVIDER

Result<Ok> validate_providers(const std::vector<ProviderPlugin>& plugins) {
  std::set<std::string_view> names, flow_ids;
  for (const auto& p : plugins) {
    const std::string name(p.name);
    if (p.name.empty()) return fail(adapter_errc::bad_registration, "a provider plugin has no name");
    if (!names.insert(p.name).second) return fail(adapter_errc::bad_registration, "provider '" + name + "' is registered twice");
    if (p.adapter.provider != p.name)
      return fail(adapter_errc::bad_registration, "provider '" + name + "' registers the adapter of '" + std::string(p.adapter.provider) + "'");
    if (p.adapter.make == nullptr) return fail(adapter_errc::bad_registration, "provider '" + name + "' has no adapter factory");
    std::set<std::string_view> keys;
    for (const auto& k : p.adapter.config_keys) {
      if (!keys.insert(k.name).second)
        return fail(adapter_errc::bad_registration, "provider '" + name + "' lists config key '" + std::string(k.name) + "' twice");
    }
    if (p.flows.empty()) return fail(adapter_errc::bad_registration, "provider '" + name + "' has no flow");
    for (const Flow* f : p.flows) {
      if (f == nullptr || f->provider != p.name)
        return fail(adapter_errc::bad_registration, "provider '" + name + "' registers a flow of another provider");
      if (!flow_ids.insert(f->id).second) return fail(adapter_errc::bad_registration, "flow '" + std::string(f->id) + "' is registered twice");
    }
    for (const auto& s : p.capabilities.sealed_fields) {
      if (s.object.empty() || s.key.empty() || s.sealed_as.empty() || s.key == s.sealed_as)
        return fail(adapter_errc::bad_registration, "provider '" + name + "' declares a sealed field without an object, a key and another key to seal it as");
    }
  }
  return Ok{};
}

ProviderRegistry::ProviderRegistry(std::vector<ProviderPlugin> plugins) : plugins_(std::move(plugins)) {
  if (auto ok = validate_providers(plugins_); !ok) throw std::logic_error(ok.error().message);
  for (const auto& p : plugins_) {
    flows_.insert(flows_.end(), p.flows.begin(), p.flows.end());
    sealed_fields_.insert(sealed_fields_.end(), p.capabilities.sealed_fields.begin(), p.capabilities.sealed_fields.end());
  }
}

const ProviderPlugin* ProviderRegistry::find(std::string_view provider) const {
  for (const auto& p : plugins_)
    if (p.name == provider) return &p;
  return nullptr;
}

const AdapterRegistration* ProviderRegistry::find_adapter(std::string_view provider) const {
  const ProviderPlugin* p = find(provider);
  return p == nullptr ? nullptr : &p->adapter;
}

const Flow* ProviderRegistry::find_flow(std::string_view id) const {
  for (const Flow* f : flows_)
    if (f->id == id) return f;
  return nullptr;
}

const Flow* ProviderRegistry::resolve_flow(std::string_view provider, std::string_view flow) const {
  const ProviderPlugin* p = find(provider);
  if (p == nullptr) return nullptr;
  if (!flow.empty()) {
    for (const Flow* f : p->flows)
      if (f->name == flow) return f;
    return nullptr;
  }
  return p->flows.size() == 1 ? p->flows.front() : nullptr;  // several: the command must name one
}

const ProviderRegistry& providers() {
  static const ProviderRegistry registry({
#define CORRIDOR_PROVIDER(name) name##_plugin(),
#include "adapters/providers.def"
#undef CORRIDOR_PROVIDER
  });
  return registry;
}

const std::vector<const Flow*>& all_flows() { return providers().flows(); }
const Flow* find_flow(std::string_view id) { return providers().find_flow(id); }
const Flow* resolve_flow(std::string_view provider, std::string_view flow) {
  return providers().resolve_flow(provider, flow);
}
const AdapterRegistration* find_adapter(std::string_view provider) { return providers().find_adapter(provider); }

}  // namespace corridor
