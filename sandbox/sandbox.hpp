#pragma once
// The sandbox seam: each provider's sandbox is an HTTP server that behaves as its seed says. The
// command line has the runtime start the registered ones when `sandbox.enabled` is true and point
// the providers at them (engine/cli/sandboxes.hpp).
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

// A command the demo publishes on a scenario's transaction once it reaches `after_status`
// (an esipay refund once the payment is captured, say).
struct DemoFollowUp {
  std::string after_status;
  json::object command;  // fields besides command_id, merchant and reference ("type" included)
};

// One payment `corridor demo` runs against the sandbox, and the status it must end at.
struct DemoScenario {
  std::string name;
  json::object command;  // fields besides command_id, merchant and reference; "type" defaults to payment.create
  std::string expected_status;
  std::vector<DemoFollowUp> follow_ups = {};  // published in order, each once
};

struct SandboxRegistration {
  std::string_view provider;
  std::unique_ptr<SandboxServer> (*start)(const SandboxContext& context);
  std::vector<DemoScenario> (*demo_scenarios)();
  ProviderSettings demo_settings;  // overrides for the demo (shorter polls and TTLs)
};

// The sandboxes of a list of providers, one registration each; a provider's name twice is refused
// (std::logic_error).
class SandboxRegistry {
 public:
  explicit SandboxRegistry(std::vector<SandboxRegistration> sandboxes);
  const std::vector<SandboxRegistration>& all() const { return sandboxes_; }
  const SandboxRegistration* find(std::string_view provider) const;

 private:
  std::vector<SandboxRegistration> sandboxes_;
};

// corridor's sandboxes: one per line of adapters/providers.def, as providers() has one plugin per line.
const SandboxRegistry& sandboxes();
const std::vector<SandboxRegistration>& sandbox_registrations();  // sandboxes().all()
const SandboxRegistration* find_sandbox(std::string_view provider);  // sandboxes().find()

}  // namespace corridor
