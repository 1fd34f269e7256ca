#pragma once
// The runtime's moving parts around the processor: router, relay, executor, scheduler. Each runs on
// its own thread until its stop flag is set; they only move bytes between Kafka, the store and HTTP.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "adapters/adapter.hpp"
#include "engine/card_vault.hpp"
#include "engine/config.hpp"
#include "engine/http_client.hpp"
#include "engine/kafka.hpp"
#include "engine/metrics.hpp"
#include "engine/store.hpp"

namespace corridor {

// The time source of the runtime's shell (router, ingress, executor, scheduler). Flows never see it:
// they read the `at` it stamped on their inputs.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t now_ms() const = 0;
};
class SystemClock final : public Clock {
 public:
  std::int64_t now_ms() const override;
};

// Names the calling thread as `top -H` and `perf report --sort comm` show it (at most 15 characters).
void name_thread(const char* name);

// A wake-up call: notify() from one thread, wait_for() in another; spurious wake-ups are harmless.
class Signal {
 public:
  void notify();
  void wait_for(std::chrono::milliseconds timeout);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool raised_ = false;
};

// corridor.commands -> validation -> corridor.inputs keyed by txn_id; rejects -> command.rejected +
// dead letter. Group offsets are committed only after every record of the batch is acknowledged.
void run_router(const Config& config, const std::string& bootstrap, KafkaProducer& producer, const Clock& clock,
                const CardVault* vault, Metrics& metrics, const std::atomic<bool>& stop);

// Outbox -> corridor.events / corridor.deadletter, oldest first; rows are removed once acknowledged.
void run_relay(const Config& config, Store& store, KafkaProducer& producer, Signal& wake, Metrics& metrics,
               const std::atomic<bool>& stop);

// Due timers -> timer inputs on corridor.inputs (at = the due time), then removed from the store.
void run_scheduler(const Config& config, Store& store, KafkaProducer& producer, const Clock& clock, Signal& wake,
                   Metrics& metrics, const std::atomic<bool>& stop);

using AdapterMap = std::map<std::string, std::unique_ptr<ProviderAdapter>, std::less<>>;

// Pending provider calls -> HTTP (retries with capped exponential backoff and jitter) -> the result
// as an input on corridor.inputs with the call's id. The processor removes the call row in the batch
// that consumes the result (StoreBatch::calls_completed): no store commit per call here.
// Calls arrive from the processor's committed batches (applied()); the store's pending calls are read
// at start and then now and again, for what was not handed over (a restart, a failed publish).
class Executor {
 public:
  Executor(const Config& config, Store& store, KafkaProducer& producer, HttpClient& http, const AdapterMap& adapters,
           const Clock& clock, const CardVault* vault, Metrics& metrics);
  ~Executor();
  void start();
  // A processor batch is durable: its calls may be made, its completed calls are done.
  void applied(const StoreBatch& batch);
  // Reads the store's pending calls now.
  void notify() { wake_.notify(); }
  // Stops; the calls whose results Kafka acknowledged but no batch consumed yet are removed from the
  // store, so a clean restart does not make them again.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  Signal wake_;
};

}  // namespace corridor
