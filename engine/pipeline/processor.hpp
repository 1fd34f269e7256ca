#pragma once
// The processor: reads batches from corridor.inputs, steps each record through its flow, and commits
// one store transaction per batch holding the new states, the outbox, calls, timers, the processed
// input ids and the next offset of each partition.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/config/config.hpp"
#include "engine/pipeline/ownership.hpp"
#include "engine/store/store.hpp"
#include "statemachines/flow.hpp"

namespace corridor {

class KafkaConsumer;

struct InputRecord {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::int64_t timestamp_ms = 0;
  std::string value;
  std::string traceparent{};  // the record's `traceparent` header: a command's, as the router passed it on
};

struct BatchStats {
  std::size_t applied = 0;
  std::size_t duplicates = 0;     // input ids already processed: redelivery
  std::size_t rejected = 0;       // inputs with no row in their flow
  std::size_t commands_rejected = 0;
  std::size_t deadlettered = 0;
  std::size_t events = 0;
  std::vector<std::string_view> attention;  // the attention code of each flagged event (attention::)
  // For metrics (engine/pipeline/metric_labels.hpp), counted once the batch is committed: each event,
  // with names from its flow's table (they live as long as the flow), and each command rejected.
  struct EventSample {
    const Flow* flow = nullptr;
    std::string_view state, previous_state, attention;
    Status status = Status::unknown;
    std::int64_t version = 0;
    std::int64_t created_at_ms = 0;   // the transaction's
    std::int64_t occurred_at_ms = 0;  // the event's
  };
  std::vector<EventSample> event_samples;
  struct Rejection {
    std::string_view type, provider, flow;  // closed sets (metric_labels.hpp), never what the sender wrote
  };
  std::vector<Rejection> rejections;
};

// Turns records into the store batch that applies them. Pure but for reading the store; the same
// records on the same store give the same batch.
class BatchProcessor {
 public:
  // How an input meets its flow: statemachines' step(); tests give one that fails on purpose.
  using StepFn = StepResult (*)(const Flow&, Transaction&, const Input&, const FlowSettings&, Effects&);

  BatchProcessor(Store& store, const Config& config, StepFn step = &corridor::step);
  // `committing`: the batch before this one when its commit is still under way. The new batch is
  // built on top of it (its transactions and processed input ids count as applied); if that commit
  // fails, the new batch must be thrown away and both made again.
  // An input its flow fails on (an exception: a bug meeting data it did not expect) is dead-lettered
  // with what failed and the batch is made again without it, so no single input stops the processor.
  Result<StoreBatch> process(const std::vector<InputRecord>& records, BatchStats& stats,
                             const StoreBatch* committing = nullptr);
  // Tells the processor that `batch` is committed: its transactions are kept, so the next batches
  // neither read nor parse them again; those `next` (the batch made meanwhile) changed again are
  // kept when `next` commits. Only for the store's one writer (the engine's processor): another
  // writer would make the kept copies stale. Without this call every transaction is read from the
  // store.
  void committed(StoreBatch&& batch, const StoreBatch* next = nullptr);
  // Drops every kept transaction: after a partition changed hands, its transactions may have changed
  // in the store behind this process.
  void forget();
  // The epoch under which this process holds a partition: each batch carries the epochs of the
  // partitions it applies (StoreBatch::fences). Without one, a partition's inputs are not fenced.
  void hold(const std::string& topic, std::int32_t partition, std::int64_t epoch) { epochs_[{topic, partition}] = epoch; }
  void release(const std::string& topic, std::int32_t partition) { epochs_.erase({topic, partition}); }

 private:
  struct Pending;
  Result<StoreBatch> process_once(const std::vector<InputRecord>& records, BatchStats& stats,
                                  const StoreBatch* committing, const std::map<std::size_t, std::string>& poisoned);
  Store& store_;
  const Config& config_;
  StepFn step_;
  std::unordered_map<std::string, FlowSettings> settings_;
  // Transactions as committed, in two generations that bound the memory: when the recent one is
  // full it becomes the older one and the older one is dropped. A batch takes its transactions out
  // and only a commit puts them back, so a batch that is not committed leaves nothing stale here.
  std::unordered_map<std::string, Transaction> recent_, older_;
  // The traceparent each committed transaction's events carried, in two generations the same way: it
  // never changes once the transaction's create is committed, so a batch asks the store for it (or
  // derives it) only for transactions it has not seen lately.
  std::unordered_map<std::string, std::string> traces_recent_, traces_older_;
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> epochs_;
};

class Processor {
 public:
  struct Hooks {
    std::function<void()> committed = {};  // wakes the relay, the executor and the scheduler
    std::function<void(const BatchStats&)> stats = {};
    std::function<void()> commit_failed = {};  // the batch will be retried
    std::function<void(const StoreBatch&)> applied = {};  // the batch just committed (hands calls to the executor)
    // For tests that need batches of known records, whatever Kafka's fetches bring: called on the
    // thread of run with the records in hand (those it held back, then those just polled, in the
    // order consumed), it returns how many of them make the next batch. The rest are held back for
    // the next poll (at stop they are dropped, and read again on the next start). 0 makes no batch
    // and polls again without waiting for the batch in flight. Unset, a batch is what one poll
    // returns.
    std::function<std::size_t(const std::vector<InputRecord>&)> batch_end = {};
    // Called once the consumer of corridor.inputs is assigned (metrics read its lag); what it returns
    // is kept until the consumer closes.
    std::function<std::shared_ptr<void>(KafkaConsumer&)> consuming = {};
    // Partition ownership (store.hpp), on the thread of run: a partition given by the group and
    // claimed at `epoch`; partitions given up; a commit refused because `partition`, held here at
    // `epoch`, has a newer owner (the process was paused or cut off past its session).
    std::function<void(const std::vector<std::int32_t>& partitions)> assigned = {};  // each to be claimed
    std::function<void(std::int32_t partition, std::int64_t epoch)> claimed = {};
    std::function<void(const std::vector<std::int32_t>& partitions)> released = {};
    std::function<void(std::int32_t partition, std::int64_t epoch)> fenced = {};
  };
  // `ownership`, when given, is kept up to date with the partitions claimed and given up here (the
  // relay, executor and scheduler read it).
  Processor(Store& store, const Config& config, Hooks hooks, Ownership* ownership = nullptr);
  // Consumes corridor.inputs until `stop`; the batch in hand is committed before it returns.
  // Batches are pipelined: one commits (on a thread of its own) while the next is read and made.
  // The hooks but batch_end run on the committing thread, in batch order.
  void run(const std::string& bootstrap, const std::atomic<bool>& stop);

 private:
  class Committer;
  struct InFlight;
  void after_commit(const StoreBatch& batch, const BatchStats& stats);
  enum class Applied { committed, stopped, fenced };
  // Makes and commits `records` alone, retrying until it commits, `stop`, or a partition of the
  // batch turns out to have a newer owner.
  Applied apply_now(const std::vector<InputRecord>& records, const std::atomic<bool>& stop);
  // Takes `partition` for this process (its epoch grows) and returns where to read it from: the
  // store's offset (negative: the beginning). Retried while the store does not answer, until `stop`
  // (nullopt then: not claimed, its records are not applied here).
  std::optional<std::int64_t> claim(std::int32_t partition, const std::atomic<bool>& stop);
  void release(const std::vector<std::int32_t>& partitions);
  // After a commit was refused by a fence: the partitions taken by another process are given up and
  // no longer read; the others are read again from the store's offsets, so nothing read since the
  // last commit is skipped.
  void recover_from_fence(KafkaConsumer& consumer, const std::atomic<bool>& stop);

  Store& store_;
  const Config& config_;
  Hooks hooks_;
  BatchProcessor batch_;
  Ownership* ownership_;
  std::string owner_;  // this process, as the store's ownership rows name it
  std::map<std::int32_t, std::int64_t> owned_;  // corridor.inputs partitions held here, at their epoch
};

}  // namespace corridor
