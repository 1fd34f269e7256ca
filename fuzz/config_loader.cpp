// YAML text through parse_config: a bad configuration is a ConfigError naming the key, nothing else.
#include "engine/config/config.hpp"
#include "fuzz/targets.hpp"

namespace corridor::fuzz {

bool config_loader(std::string_view input) {
  Config config;
  try {
    config = parse_config(std::string(input), "fuzz.yaml");
  } catch (const ConfigError&) {
    return false;
  }
  for (const auto& [provider, settings] : config.providers) config.flow_settings(provider);
  return true;
}

}  // namespace corridor::fuzz
