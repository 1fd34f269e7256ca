#pragma once
// The processor: reads batches from corridor.inputs, steps each record through its flow, and commits
// one store transaction per batch holding the new states, the outbox, calls, timers, the processed
// input ids and the next offset of each partition.
#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/config.hpp"
#include "engine/store.hpp"

namespace corridor {

struct InputRecord {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::int64_t timestamp_ms = 0;
  std::string value;
};

struct BatchStats {
  std::size_t applied = 0;
  std::size_t duplicates = 0;     // input ids already processed: redelivery
  std::size_t rejected = 0;       // inputs with no row in their flow
  std::size_t commands_rejected = 0;
  std::size_t deadlettered = 0;
  std::size_t events = 0;
};

// Turns records into the store batch that applies them. Pure but for reading the store; the same
// records on the same store give the same batch.
class BatchProcessor {
 public:
  BatchProcessor(Store& store, const Config& config);
  Result<StoreBatch> process(const std::vector<InputRecord>& records, BatchStats& stats);
  // Tells the processor that `batch`, the last one it made, is committed: its transactions are
  // kept, so the next batches neither read nor parse them again. Only for the store's one writer
  // (the engine's processor): another writer would make the kept copies stale. Without this call
  // every transaction is read from the store.
  void committed(StoreBatch&& batch);

 private:
  struct Pending;
  Store& store_;
  const Config& config_;
  std::unordered_map<std::string, FlowSettings> settings_;
  // Transactions as committed, in two generations that bound the memory: when the recent one is
  // full it becomes the older one and the older one is dropped. A batch takes its transactions out
  // and only a commit puts them back, so a batch that is not committed leaves nothing stale here.
  std::unordered_map<std::string, Transaction> recent_, older_;
};

class Processor {
 public:
  struct Hooks {
    std::function<void()> committed = {};  // wakes the relay, the executor and the scheduler
    std::function<void(const BatchStats&)> stats = {};
    std::function<void()> commit_failed = {};  // the batch will be retried
    std::function<void(const StoreBatch&)> applied = {};  // the batch just committed (hands calls to the executor)
  };
  Processor(Store& store, const Config& config, Hooks hooks);
  // Consumes corridor.inputs until `stop`; the batch in hand is committed before it returns.
  void run(const std::string& bootstrap, const std::atomic<bool>& stop);

 private:
  Store& store_;
  const Config& config_;
  Hooks hooks_;
  BatchProcessor batch_;
};

}  // namespace corridor
