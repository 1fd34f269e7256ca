#pragma once
#include <map>
#include <memory>
#include <string>

#include "adapters/adapter.hpp"
#include "engine/config/config.hpp"
#include "engine/io/health.hpp"
#include "engine/io/http_client.hpp"
#include "engine/io/kafka.hpp"
#include "engine/io/metrics.hpp"
#include "engine/pipeline/clock.hpp"
#include "engine/pipeline/ownership.hpp"
#include "engine/pipeline/threads.hpp"
#include "engine/store/card_vault.hpp"
#include "engine/store/store.hpp"

namespace corridor {

using AdapterMap = std::map<std::string, std::unique_ptr<ProviderAdapter>, std::less<>>;

// Pending provider calls -> HTTP (retries with capped exponential backoff and jitter) -> the result
// as an input on corridor.inputs with the call's id. The processor removes the call row in the batch
// that consumes the result (StoreBatch::calls_completed): no store commit per call here.
// Calls arrive from the processor's committed batches (applied()); the store's pending calls are read
// at start and then now and again, for what was not handed over (a restart, a failed publish).
// With `ownership`, only the calls of the partitions owned here, and a call that is not retry-safe is
// claimed (its attempt recorded under the partition's epoch) before it is sent: a process that lost
// the partition cannot send it.
class Executor {
 public:
  Executor(const Config& config, Store& store, KafkaProducer& producer, HttpClient& http, const AdapterMap& adapters,
           const Clock& clock, const CardVault* vault, Metrics& metrics, Health* health = nullptr,
           const Ownership* ownership = nullptr);
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
