#pragma once
// The store: transactions, the outbox, pending provider calls, durable timers, the ids of processed
// inputs and the next offset of each inputs partition. The processor writes one store transaction
// per batch holding all of them, so a crash loses nothing and applies nothing twice.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "statemachines/domain.hpp"
#include "core/result.hpp"

namespace corridor {

struct OutboxRow {
  std::int64_t id = 0;  // assigned by the store; the relay publishes in id order
  std::string topic;    // logical topic: "events" or "deadletter"
  std::string key;
  std::string body;
  // Its record headers (CloudEvents, traceparent: engine/pipeline/record_headers.hpp), in order.
  std::vector<std::pair<std::string, std::string>> headers{};
  // The corridor.inputs partition of the input that wrote it (-1: none); each process's relay
  // publishes the rows of the partitions it owns.
  std::int32_t partition = -1;
  // A transaction.state_changed row: the version of the event it publishes (0: none). When its batch
  // writes that event (StoreBatch::events, txn_id = key) with the same body, a store may keep the body
  // once, in the history, and read it back from there (SqliteStore does; PostgresStore keeps it in the
  // row as well: in a rolling upgrade an instance of an earlier corridor may publish the row).
  std::int64_t event_version = 0;
};

struct TimerRow {
  std::string txn_id;
  std::string name;
  std::int64_t due_at_ms = 0;
  std::string input_id;
  std::int32_t partition = -1;  // as OutboxRow::partition: the scheduler of its owner fires it
};

struct EventRecord {
  std::string txn_id;
  std::int64_t version = 0;
  std::string body;  // serialised once: the outbox row carries the same bytes
};

struct PendingCall {
  ProviderCall call;
  bool attempted = false;
  std::int32_t partition = -1;  // as OutboxRow::partition: the executor of its owner sends it
};

// ---- Partition ownership: several corridor processes on one store --------------------------------
// Each partition of corridor.inputs is applied by one process at a time, the one holding its newest
// epoch. A process claims a partition when Kafka's group assigns it (claim_partition: the epoch grows
// by one), and every batch it commits carries the epochs of its partitions (StoreBatch::fences). A
// process that lost a partition without knowing it (paused past its session, cut off) carries an
// epoch that is no longer the store's: its commit is refused and writes nothing.
struct PartitionEpoch {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t epoch = 0;
};
// Which partitions' rows a relay, executor or scheduler reads: nullptr is every row (one process
// owns them all); otherwise the rows whose partition is listed.
using PartitionFilter = const std::vector<std::int32_t>*;

// An input applied by a batch: its id recognises redelivery until it is pruned (store.processed_retention_ms
// after `at_ms`); a command's digest tells the same command from another one reusing its id.
struct ProcessedInput {
  std::string input_id;
  std::string digest;  // empty but for commands
  std::int64_t at_ms = 0;
};

// ---- The read side (GET /v1/payments, GET /v1/transactions/{id}/timeline; engine/ingress/queries.hpp) --
// One row of a transaction's journal: an input the processor applied (a command, a provider's answer,
// a webhook, a timer firing), at the input's time, with the effects it asked for (`calls`: op, call_id,
// answer_id; `timers`: name, due_at). Small and without secrets: names, ids, an outcome, a few safe
// fields; never a card, never a provider's body. The timeline draws it beside the transaction's events.
struct JournalRow {
  std::string txn_id;
  std::int64_t at_ms = 0;
  std::string kind;    // "command", "answer", "webhook", "timer"
  std::string name;    // the input's name
  std::string detail;  // a JSON object's text: input_id, result, state, ..., calls, timers
};

// What GET /v1/payments asks of the store: newest first (created_at, then txn_id, both descending),
// after `cursor` when set. Empty strings filter nothing.
struct TransactionQuery {
  std::string merchant, reference, status, provider, flow;
  std::optional<std::int64_t> since_ms;  // created_at >= since
  bool attention_only = false;           // only those needing a person (SqliteStore: needs_attention)
  std::size_t limit = 50;
  struct Cursor {
    std::int64_t created_at_ms = 0;
    std::string txn_id;
  };
  std::optional<Cursor> cursor;  // the last row of the page before
};

// Whether a transaction waits for a person: its status is unknown or an amount mismatch, or its last
// change was flagged (Transaction::attention of the current version: late outcome, dispute, ...).
bool needs_attention(const Transaction& t, std::string_view status);

struct PartitionOffset {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t next_offset = 0;
};

// Everything one processor batch changes, committed atomically.
struct StoreBatch {
  std::vector<Transaction> transactions;  // upserted
  std::vector<OutboxRow> outbox;
  std::vector<EventRecord> events;  // the history, the same bytes as the outbox rows
  std::vector<ProviderCall> calls;
  std::vector<std::int32_t> call_partitions;  // calls[i]'s partition (same order; empty: -1 for every call)
  // Calls whose answer this batch consumed (the answer's input id is the call's answer id, the key of
  // its row): their rows go, before `calls` is written. A call re-sent under its first idempotency
  // key has an answer id, and so a row, of its own.
  std::vector<std::string> calls_completed;
  std::vector<TimerRow> timers_set;                              // replaces (txn_id, name)
  std::vector<std::pair<std::string, std::string>> timers_cancelled;  // (txn_id, name); name "*" = all
  std::vector<ProcessedInput> processed_inputs;
  // (txn_id, traceparent) of transactions created by a command that brought a valid W3C traceparent:
  // every later event of the transaction carries it (engine/pipeline/record_headers.hpp).
  std::vector<std::pair<std::string, std::string>> traceparents;
  std::vector<PartitionOffset> offsets;
  // The commit is refused (store_errc::fenced), writing nothing, unless each listed partition's epoch
  // in the store is still the one given. The check holds the partitions against a claim until the
  // commit ends, so a claim that follows sees every batch its previous owner committed.
  std::vector<PartitionEpoch> fences;
  // Processed input ids of inputs older than this (by their time) are forgotten, a bounded number per
  // commit; 0: none.
  std::int64_t prune_processed_before_ms = 0;
  // The read side: the canonical status of each of `transactions` (same order; empty when the writer
  // does not know them: the columns the list filters on then keep their last value), and the journal.
  std::vector<std::string> statuses;
  std::vector<JournalRow> journal;
};

// Which of `b`'s outbox rows publish an event `b` writes with the same bytes (OutboxRow::event_version):
// a store may keep their bodies once, in the history, and read them back from there. That holds only
// while the batch's events are all written or the batch fails (a duplicate event fails the commit,
// never skipped). A row whose event the batch does not write, or writes with other bytes, keeps its own.
inline std::vector<char> outbox_bodies_in_history(const StoreBatch& b) {
  struct Hash {
    std::size_t operator()(const std::pair<std::string_view, std::int64_t>& k) const {
      return std::hash<std::string_view>()(k.first) ^ (static_cast<std::size_t>(k.second) * 0x9e3779b97f4a7c15ull);
    }
  };
  std::unordered_map<std::pair<std::string_view, std::int64_t>, const std::string*, Hash> events;
  events.reserve(b.events.size());
  for (const EventRecord& e : b.events) events.emplace(std::pair<std::string_view, std::int64_t>(e.txn_id, e.version), &e.body);
  std::vector<char> shared(b.outbox.size(), 0);
  for (std::size_t i = 0; i < b.outbox.size(); ++i) {
    const OutboxRow& o = b.outbox[i];
    if (o.event_version <= 0) continue;
    const auto e = events.find({o.key, o.event_version});
    shared[i] = e != events.end() && *e->second == o.body;
  }
  return shared;
}

class Store {
 public:
  virtual ~Store() = default;

  // Processor.
  // One-off reads (the HTTP API, replay): the batch reads' path, for one id.
  virtual Result<std::optional<Transaction>> load(const std::string& txn_id);
  virtual Result<bool> processed(const std::string& input_id);
  virtual Result<std::map<std::int32_t, std::int64_t>> offsets(const std::string& topic) = 0;
  // Forgets where the processor was in `topic` (the log was replaced): it reads the new log from its
  // start, and processed input ids still keep anything from being applied twice.
  virtual Result<Ok> reset_offsets(const std::string& topic) = 0;
  virtual Result<Ok> commit(const StoreBatch& batch) = 0;
  // A batch's reads at once, as of one snapshot: the transactions found among `txn_ids`, and the
  // input ids among `input_ids` already processed, each with its digest.
  virtual Result<std::map<std::string, Transaction>> load_many(const std::vector<std::string>& txn_ids) = 0;
  virtual Result<std::map<std::string, std::string>> processed_among(const std::vector<std::string>& input_ids) = 0;
  // The traceparents kept for those of `txn_ids` that have one (StoreBatch::traceparents).
  virtual Result<std::map<std::string, std::string>> traceparents_among(const std::vector<std::string>& txn_ids) = 0;

  // Ownership. Takes (topic, partition) for `owner` (a process's name, for operators): its epoch grows
  // by one and is returned, in one statement, so two claimants never hold the same epoch.
  virtual Result<std::int64_t> claim_partition(const std::string& topic, std::int32_t partition,
                                               const std::string& owner) = 0;
  // Each claimed partition of `topic` with its current epoch.
  virtual Result<std::map<std::int32_t, std::int64_t>> partition_epochs(const std::string& topic) = 0;

  // Relay: oldest first, from the row after `after_id` (ids only grow: the rows the relay already
  // handed to Kafka are not read again).
  virtual Result<std::vector<OutboxRow>> outbox(std::size_t limit, std::int64_t after_id = 0,
                                                PartitionFilter only = nullptr) = 0;
  virtual Result<Ok> remove_outbox(const std::vector<std::int64_t>& ids) = 0;
  // The rows of these ids that are still there (a refused row, read again to replace it).
  virtual Result<std::vector<OutboxRow>> outbox_rows(const std::vector<std::int64_t>& ids) = 0;

  // Executor. Call rows are keyed by ProviderCall::answer_input_id(). `attempted` is set, durably,
  // before a call that is not retry-safe is sent: the call's claim. With `fence`, the claim is refused
  // (store_errc::fenced, nothing written) once the call's partition has a newer owner.
  virtual Result<std::vector<PendingCall>> pending_calls(std::size_t limit, PartitionFilter only = nullptr) = 0;
  virtual Result<Ok> mark_call_attempted(const std::string& answer_id, const PartitionEpoch* fence = nullptr) = 0;
  virtual Result<Ok> complete_call(const std::string& answer_id) = 0;

  // Scheduler.
  virtual Result<std::vector<TimerRow>> due_timers(std::int64_t now_ms, std::size_t limit,
                                                  PartitionFilter only = nullptr) = 0;
  // Removes a fired timer unless it was replaced meanwhile (same txn and name, another input id).
  virtual Result<Ok> remove_timers(const std::vector<TimerRow>& fired) = 0;

  // Caps the store's size (0: no cap). A commit that would pass it fails like a full disk, and
  // succeeds again once the cap is lifted: operators use it to keep the store off a shared disk's
  // last bytes, tests to fill the "disk" on purpose.
  virtual Result<Ok> limit_size(std::int64_t max_bytes) = 0;
  virtual Result<std::int64_t> size_bytes() = 0;
  // Maintenance mode: while set, every write fails as on a read-only disk, and succeeds again once
  // lifted. Reads go on (GET /v1/transactions keeps answering).
  virtual Result<Ok> set_read_only(bool read_only) = 0;

  // Queries.
  virtual Result<std::vector<json::object>> events_of(const std::string& txn_id) = 0;
  virtual Result<std::int64_t> count_transactions() = 0;
  // Whether the store holds `txn_id` (the ingress checks a webhook's transaction; a reading
  // connection, never held up by a commit).
  virtual Result<bool> transaction_exists(const std::string& txn_id) = 0;
  virtual Result<std::vector<std::string>> transaction_ids() = 0;
  // The columns a transaction's row keeps beside its document (state and version, which queries read
  // without the document): replay compares them too, so a row changed behind corridor's back in
  // either place is caught. nullopt: no such transaction.
  struct RowColumns {
    std::string state;
    std::int64_t version = 0;
  };
  virtual Result<std::optional<RowColumns>> row_columns(const std::string& txn_id) = 0;

  // Metrics, sampled at most once a second (never on the hot path): outbox rows waiting for the relay,
  // provider calls waiting for their answer, timers due at `now_ms`; each count stops at `cap`, so a
  // sample costs a bounded read. The default reads the rows through the calls above.
  struct Backlog {
    std::int64_t outbox = 0;
    std::int64_t pending_calls = 0;
    std::int64_t timers_due = 0;
  };
  virtual Result<Backlog> backlog(std::int64_t now_ms, std::int64_t cap);

  // The read side (engine/ingress/queries.hpp). A page of transactions as `query` asks.
  virtual Result<std::vector<Transaction>> list_transactions(const TransactionQuery& query) = 0;
  // A transaction's journal, in the order it was written.
  virtual Result<std::vector<JournalRow>> journal_of(const std::string& txn_id) = 0;
  // Fills the listing columns (status, attention) of transactions stored before they existed;
  // `status_of` gives a transaction's canonical status (the flow registry's). Returns how many.
  virtual Result<std::size_t> list_unlisted(const std::function<std::string(const Transaction&)>& status_of) = 0;
};

inline Result<Store::Backlog> Store::backlog(std::int64_t now_ms, std::int64_t cap) {
  const auto limit = static_cast<std::size_t>(cap);
  auto outbox_rows = outbox(limit);
  if (!outbox_rows) return outbox_rows.error();
  auto calls = pending_calls(limit);
  if (!calls) return calls.error();
  auto due = due_timers(now_ms, limit);
  if (!due) return due.error();
  return Backlog{static_cast<std::int64_t>(outbox_rows->size()), static_cast<std::int64_t>(calls->size()),
                 static_cast<std::int64_t>(due->size())};
}

inline Result<std::optional<Transaction>> Store::load(const std::string& txn_id) {
  auto found = load_many({txn_id});
  if (!found) return found.error();
  if (found->empty()) return std::optional<Transaction>();
  return std::optional<Transaction>(std::move(found->begin()->second));
}

inline Result<bool> Store::processed(const std::string& input_id) {
  auto found = processed_among({input_id});
  if (!found) return found.error();
  return !found->empty();
}


// One writing process per SQLite file. The runtime holds this for as long as it runs: a second
// corridor started on the same file is refused (store.in_use) with the other's pid, rather than both
// applying inputs to one store. The lock is the kernel's (flock on `<path>.lock`), so a process killed
// in any way leaves none behind. replay and reconcile only read the live store and take none.
class StoreWriterLock {
 public:
  explicit StoreWriterLock(int fd) : fd_(fd) {}
  ~StoreWriterLock();
  StoreWriterLock(const StoreWriterLock&) = delete;
  StoreWriterLock& operator=(const StoreWriterLock&) = delete;

 private:
  int fd_;
};
Result<std::unique_ptr<StoreWriterLock>> lock_sqlite_writer(const std::string& path);

// SQLite in WAL mode with synchronous=FULL: every commit is durable. One writing connection,
// serialised; reads go to connections of their own (a file path, not ":memory:").
std::unique_ptr<Store> open_sqlite_store(const std::string& path);

}  // namespace corridor
