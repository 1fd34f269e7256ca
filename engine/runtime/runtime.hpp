#pragma once
// The whole engine in one object: Kafka (embedded or real), the store, router, processor, relay,
// executor, scheduler, the HTTP ingress and, when enabled, the sandbox providers its caller supplies.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>

#include "engine/config/config.hpp"
#include "engine/io/health.hpp"
#include "engine/io/metrics.hpp"
#include "engine/pipeline/clock.hpp"
#include "engine/store/store.hpp"

namespace corridor {

// Starts the sandbox providers when sandbox.enabled is true: one for each provider in `providers`
// that has one, listening on `host` and sending its webhooks to corridor's `public_url`, with that
// provider's base_url pointed at it. What it returns keeps them running until the runtime stops. The
// command line supplies it (engine/cli/sandboxes.hpp): the runtime carries no simulator.
using StartSandboxes = std::function<std::shared_ptr<void>(
    const std::string& host, const std::string& public_url,
    std::map<std::string, ProviderSettings, std::less<>>& providers)>;

struct RuntimeOptions {
  const Clock* clock = nullptr;  // null: the system clock
  // The store has applied offsets beyond the end of corridor.inputs: the log was reset (a topic
  // re-created, an embedded cluster of another process restarted). corridor refuses to start unless
  // told to forget those offsets and read the new log from its start (`corridor run
  // --accept-log-reset`). With `kafka.bootstrap: embedded` the runtime's own in-process log starts
  // empty every time, so it always reads it from its start and keeps the store.
  bool accept_log_reset = false;
  // Needed when sandbox.enabled is true: without it such a configuration is refused at start.
  StartSandboxes start_sandboxes = {};
};

class Runtime {
 public:
  explicit Runtime(Config config, RuntimeOptions options = {});
  ~Runtime();  // stops
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Starts everything; throws std::runtime_error when something cannot start.
  void start();
  // Stops cleanly: the batch in hand is committed, the outbox drained in bounded time.
  void stop();

  std::string bootstrap() const;     // Kafka bootstrap servers
  std::string http_address() const;  // host:port the ingress listens on (webhooks, callbacks)
  std::string operations_address() const;  // host:port of transactions, payment methods, metrics
  std::string public_url() const;
  const Config& config() const;
  Store& store();
  Metrics& metrics();
  Health& health();
  class EmbeddedKafka* embedded_kafka();  // null with a real cluster

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace corridor
