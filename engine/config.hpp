#pragma once
// corridor's configuration: one YAML file, validated against a schema. Unknown keys are refused, and
// every error names the key's path and line. `${VAR}` and `${VAR:-default}` interpolate the
// environment (secrets stay out of the file).
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "adapters/adapter.hpp"
#include "statemachines/domain.hpp"

namespace corridor {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct MerchantConfig {
  std::string id;
  bool enabled = true;
  std::vector<std::string> providers;
  bool allows(std::string_view provider) const;
};

struct Config {
  struct Kafka {
    std::string bootstrap = "embedded";
    int partitions = 12;
    std::string group = "corridor";
    std::string commands = "corridor.commands";
    std::string inputs = "corridor.inputs";
    std::string events = "corridor.events";
    std::string deadletter = "corridor.deadletter";
    std::map<std::string, std::string> properties;  // passed to librdkafka as given (security, SASL)
  } kafka;
  struct Store {
    std::string kind = "sqlite";
    std::string path = "var/corridor.db";
    std::int64_t max_bytes = 0;  // 0: no cap
  } store;
  struct Http {
    std::string listen = "127.0.0.1:8080";
    std::string public_url;  // empty: http://<the address the ingress bound>
    std::int64_t max_body_bytes = 1 << 20;
  } http;
  struct Sandbox {
    bool enabled = true;
  } sandbox;
  struct Processor {
    std::int64_t batch_size = 5000;
  } processor;
  struct Executor {
    std::int64_t threads = 8;
    std::int64_t max_attempts = 5;
    std::int64_t initial_backoff_ms = 200;
    std::int64_t max_backoff_ms = 10000;
    std::int64_t timeout_ms = 30000;
    std::int64_t breaker_failures = 5;   // consecutive transient failures that open a provider's circuit
    std::int64_t breaker_open_ms = 30000;
  } executor;
  // Transactions left in doubt are reconciled on their own (statemachines/reconcile.hpp): Kill Bill's
  // janitor schedule by default. Delays from entering the state; the last one repeats.
  struct Janitor {
    bool enabled = true;
    std::vector<std::int64_t> unknown_after_ms{300000, 3600000, 86400000};  // 5 min, 1 h, then daily
    std::vector<std::int64_t> pending_after_ms{3600000, 86400000};          // 1 h, then daily
  } janitor;
  std::vector<MerchantConfig> merchants;
  std::map<std::string, ProviderSettings, std::less<>> providers;

  const MerchantConfig* merchant(std::string_view id) const;
  // The provider's integer settings, for its flows (poll intervals, TTLs).
  FlowSettings flow_settings(std::string_view provider) const;
};

Config parse_config(const std::string& yaml_text, const std::string& source_name);
Config load_config_file(const std::string& path);
// config/corridor.yaml as it was when corridor was built: the embedded defaults.
const std::string& embedded_default_config();

}  // namespace corridor
