#pragma once
// corridor's configuration: one YAML file, validated against a schema. Unknown keys are refused, and
// every error names the key's path and line. `${VAR}` and `${VAR:-default}` interpolate the
// environment (secrets stay out of the file).
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "adapters/registry.hpp"
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
  std::vector<std::string> tokens{};  // bearer tokens of the operations listener that see this merchant only
  bool allows(std::string_view provider) const;
};

struct Config {
  struct Kafka {
    std::string bootstrap = "embedded";
    int partitions = 12;
    std::string group = "corridor";
    // "all": this process reads every partition of corridor.inputs (the one process on a SQLite
    // store); "group": the processes of `group` share them through Kafka's rebalances, each owning
    // its partitions in the store (a shared store: postgres). Not given: chosen by store.kind.
    std::string assignment;
    std::string commands = "corridor.commands";
    std::string inputs = "corridor.inputs";
    std::string events = "corridor.events";
    std::string deadletter = "corridor.deadletter";
    std::map<std::string, std::string> properties;  // passed to librdkafka as given (security, SASL)
  } kafka;
  struct Store {
    std::string kind = "sqlite";        // sqlite (one process) or postgres (several share it)
    std::string path = "var/corridor.db";  // sqlite
    std::string url;  // postgres: postgresql://user:password@host:port/db, a secret (never logged)
    std::int64_t max_bytes = 0;  // 0: no cap
    // How long the ids of processed inputs are kept (by the input's time) to recognise redelivery.
    std::int64_t processed_retention_ms = 30LL * 86400000;
  } store;
  struct Http {
    std::string listen = "127.0.0.1:8080";  // public: webhooks and callbacks
    std::string public_url;  // empty: http://<the address the ingress bound>
    // Transactions, payment methods, metrics: loopback, or tokens (auth) elsewhere.
    std::string operations_listen = "127.0.0.1:8081";
  } http;
  struct Auth {
    std::vector<std::string> operator_tokens;  // bearer tokens that see everything on the operations listener
  } auth;
  // Every input is bounded before anything else reads it; what exceeds a limit is refused with a
  // dead letter that keeps a prefix, the size and the SHA-256 of the payload.
  struct Limits {
    std::int64_t command_bytes = 256 * 1024;   // a record on corridor.commands
    std::int64_t webhook_bytes = 256 * 1024;   // a request body on the public listener
    std::int64_t input_bytes = 512 * 1024;     // a record on corridor.inputs
    std::int64_t deadletter_payload_bytes = 4096;  // the prefix of a payload a dead letter keeps
    std::int64_t record_bytes = 900 * 1024;    // any record corridor produces (below Kafka's 1 MB default)
    std::int64_t refusals_per_minute = 60;     // dead letters of refused requests, per source address
  } limits;
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
  // The providers this configuration is read against, and the runtime serves: their settings schemas,
  // flows and capabilities. corridor's own unless a test brings another list.
  const ProviderRegistry* registry = &corridor::providers();

  const MerchantConfig* merchant(std::string_view id) const;
  // The provider's integer settings, for its flows (poll intervals, TTLs).
  FlowSettings flow_settings(std::string_view provider) const;
};

// Each providers.<name> section is validated against the settings schema of that provider in
// `registry` (its plugin's config keys); a provider `registry` does not carry is an error.
Config parse_config(const std::string& yaml_text, const std::string& source_name,
                    const ProviderRegistry& registry = providers());
Config load_config_file(const std::string& path);
// config/corridor.yaml as it was when corridor was built: the embedded defaults.
const std::string& embedded_default_config();

}  // namespace corridor
