// The toy's sandbox, a stub: it answers nothing, it only says where it would listen.
#include "sandbox/sandbox.hpp"

namespace corridor {

namespace {

class ToySandbox final : public SandboxServer {
 public:
  std::string base_url() const override { return "http://127.0.0.1:9"; }
};

std::vector<DemoScenario> demo_scenarios() {
  return {{"done", {{"provider", "toy"}, {"amount", {{"value", 500}, {"currency", "XOF"}}}}, "succeeded"}};
}

}  // namespace

SandboxRegistration toy_sandbox_registration() {
  return {"toy", [](const SandboxContext&) -> std::unique_ptr<SandboxServer> { return std::make_unique<ToySandbox>(); },
          demo_scenarios, {}};
}

}  // namespace corridor
