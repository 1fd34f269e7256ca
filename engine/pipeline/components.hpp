#pragma once
// The runtime's moving parts around the processor: router, relay, executor, scheduler. Each runs on
// its own thread until its stop flag is set; they only move bytes between Kafka, the store and HTTP.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <vector>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "adapters/adapter.hpp"
#include "engine/store/card_vault.hpp"
#include "engine/config/config.hpp"
#include "engine/io/health.hpp"
#include "engine/io/http_client.hpp"
#include "engine/io/kafka.hpp"
#include "engine/io/metrics.hpp"
#include "engine/store/store.hpp"

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

// A record to produce, and what goes instead when Kafka refuses it for what it is (too large).
struct Outgoing {
  std::string topic;
  std::string key;
  std::string value;
  std::string deadletter_topic;  // where its minimal form goes
  // The records that replace it; empty: nothing can (it is dropped, counted and logged).
  std::function<std::vector<Outgoing>(const Outgoing& refused, const std::string& error)> instead;
};

// A dead letter of a few hundred bytes standing for a refused record: where it was going, its size and
// SHA-256, and `context` (where it came from). It goes to refused.deadletter_topic.
std::vector<Outgoing> minimal_deadletter(std::string_view source, const Outgoing& refused, std::string_view error,
                                         std::int64_t at_ms, json::object context);

// Produces `records` in order and returns once Kafka holds each of them or what replaced it: a record
// Kafka refuses for what it is gives way to its `instead` records; while Kafka is unavailable the whole
// batch is produced again (order kept; the processor and consumers recognise repeated records),
// backing off up to 5 s, and `part` shows as stalled. False when `stop` is raised first.
bool deliver(KafkaProducer& producer, std::vector<Outgoing> records, Health& health, Health::Part part,
             const Clock& clock, Metrics& metrics, const std::atomic<bool>& stop);

// corridor.commands -> validation -> corridor.inputs keyed by txn_id; rejects -> command.rejected +
// dead letter. Group offsets are committed only after every record of the batch is acknowledged.
void run_router(const Config& config, const std::string& bootstrap, KafkaProducer& producer, const Clock& clock,
                const CardVault* vault, Metrics& metrics, Health& health, const std::atomic<bool>& stop);

// Outbox -> corridor.events / corridor.deadletter, oldest first; rows are removed once acknowledged.
// A row Kafka refuses for what it is goes as its minimal form (an event with its identifying fields and
// "truncated": true, or a minimal dead letter); while Kafka is unavailable the relay backs off and
// shows as stalled.
void run_relay(const Config& config, Store& store, KafkaProducer& producer, Signal& wake, const Clock& clock,
               Metrics& metrics, Health& health, const std::atomic<bool>& stop);

// Due timers -> timer inputs on corridor.inputs (at = the due time), then removed from the store.
void run_scheduler(const Config& config, Store& store, KafkaProducer& producer, const Clock& clock, Signal& wake,
                   Metrics& metrics, Health& health, const std::atomic<bool>& stop);

using AdapterMap = std::map<std::string, std::unique_ptr<ProviderAdapter>, std::less<>>;

// Pending provider calls -> HTTP (retries with capped exponential backoff and jitter) -> the result
// as an input on corridor.inputs with the call's id. The processor removes the call row in the batch
// that consumes the result (StoreBatch::calls_completed): no store commit per call here.
// Calls arrive from the processor's committed batches (applied()); the store's pending calls are read
// at start and then now and again, for what was not handed over (a restart, a failed publish).
class Executor {
 public:
  Executor(const Config& config, Store& store, KafkaProducer& producer, HttpClient& http, const AdapterMap& adapters,
           const Clock& clock, const CardVault* vault, Metrics& metrics, Health* health = nullptr);
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
