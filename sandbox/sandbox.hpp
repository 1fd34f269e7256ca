#pragma once
// The sandbox seam: each provider's sandbox is an HTTP server that behaves as its seed says. The
// runtime starts the registered ones when `sandbox.enabled` is true and points the providers at them.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/adapter.hpp"

namespace corridor {

class SandboxServer {
 public:
  virtual ~SandboxServer() = default;
  virtual std::string base_url() const = 0;  // "http://127.0.0.1:PORT"
};

struct SandboxContext {
  std::string host = "127.0.0.1";
  std::string corridor_url;     // corridor's public URL: webhooks go to <corridor_url>/webhooks/<provider>
  ProviderSettings settings;    // the provider's configuration (credentials the sandbox must accept)
};

// One payment `corridor demo` runs against the sandbox, and the status it must end at.
struct DemoScenario {
  std::string name;
  json::object command;  // payment.create fields besides type, command_id, merchant and reference
  std::string expected_status;
};

struct SandboxRegistration {
  std::string_view provider;
  std::unique_ptr<SandboxServer> (*start)(const SandboxContext& context);
  std::vector<DemoScenario> (*demo_scenarios)();
  ProviderSettings demo_settings;  // overrides for the demo (shorter polls and TTLs)
};

const std::vector<SandboxRegistration>& sandbox_registrations();
const SandboxRegistration* find_sandbox(std::string_view provider);

}  // namespace corridor
