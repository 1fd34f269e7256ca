#include "engine/cli/sandboxes.hpp"

#include <vector>

#include "sandbox/sandbox.hpp"

namespace corridor {

std::shared_ptr<void> start_sandboxes(const std::string& host, const std::string& public_url,
                                      std::map<std::string, ProviderSettings, std::less<>>& providers) {
  auto servers = std::make_shared<std::vector<std::unique_ptr<SandboxServer>>>();
  for (auto& [provider, settings] : providers) {
    const SandboxRegistration* reg = find_sandbox(provider);
    if (reg == nullptr) continue;
    servers->push_back(reg->start(SandboxContext{host, public_url, settings}));
    settings["base_url"] = servers->back()->base_url();
  }
  return servers;
}

}  // namespace corridor
