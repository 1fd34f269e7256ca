#pragma once
// The built-in sandbox providers as the runtime starts them when sandbox.enabled is true
// (RuntimeOptions::start_sandboxes): the command line composes them with the runtime, which carries
// none of them itself.
#include <map>
#include <memory>
#include <string>

#include "adapters/adapter.hpp"

namespace corridor {

// Starts the registered sandbox of each provider in `providers` that has one, on `host`, its
// webhooks sent to `public_url`, and points that provider's base_url at it. The result keeps them
// running.
std::shared_ptr<void> start_sandboxes(const std::string& host, const std::string& public_url,
                                      std::map<std::string, ProviderSettings, std::less<>>& providers);

}  // namespace corridor
