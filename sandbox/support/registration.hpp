#pragma once
// What every provider's *_registration.cpp needs to start its sandbox for the runtime and the demo.
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "sandbox/sandbox.hpp"

namespace corridor {

// The provider's setting `key`, or `fallback` when it is missing or empty.
std::string setting(const ProviderSettings& settings, std::string_view key, std::string fallback);

// A provider sandbox listening on context.host, on a port the OS chooses, until destroyed.
template <class Sandbox>
class StartedSandbox final : public SandboxServer {
 public:
  template <class Options>
  StartedSandbox(const SandboxContext& context, Options options) : sandbox_(std::move(options)) {
    sandbox_.start(context.host, 0);
  }
  std::string base_url() const override { return sandbox_.base_url(); }

 private:
  Sandbox sandbox_;
};

template <class Sandbox, class Options>
std::unique_ptr<SandboxServer> start_sandbox(const SandboxContext& context, Options options) {
  return std::make_unique<StartedSandbox<Sandbox>>(context, std::move(options));
}

}  // namespace corridor
