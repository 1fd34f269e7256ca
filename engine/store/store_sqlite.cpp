// SqliteStore, the Store (store.hpp) on one SQLite file. One file: the schema, the statement cache,
// the reader connections and every query depend on one another, and nothing outside needs them.
#include <pthread.h>
#include <sqlite3.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>
#include <stdexcept>
#include <unordered_map>

#include "engine/store/errc.hpp"
#include "engine/store/outbox_headers.hpp"
#include "engine/store/store.hpp"

namespace corridor {

namespace {

// A partition filter as a JSON array, for `partition IN (SELECT value FROM json_each(?))`: one
// statement whatever the number of partitions.
std::string partition_list(const std::vector<std::int32_t>& partitions) {
  std::string out = "[";
  for (std::size_t i = 0; i < partitions.size(); ++i) out += (i ? "," : "") + std::to_string(partitions[i]);
  return out + "]";
}

struct DbDeleter {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
// A statement borrowed from the connection's cache: reset and unbound when released, so it never
// holds a read transaction open or carries bindings into its next use.
struct StmtRelease {
  void operator()(sqlite3_stmt* s) const {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtRelease>;
using StatementCache = std::unordered_map<std::string, std::unique_ptr<sqlite3_stmt, StmtDeleter>>;

// Statements are prepared once per connection and reused: preparing costs more than a lookup.
Result<Stmt> prepare_cached(sqlite3* db, StatementCache& cache, const char* sql) {
  auto& cached = cache[sql];
  if (!cached) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr) != SQLITE_OK)
      return fail(store_errc::statement_failed, std::string("store: prepare ") + sql + ": " + sqlite3_errmsg(db));
    cached.reset(raw);
  }
  return Stmt(cached.get());
}

// A connection that only reads. In WAL mode a reader sees the last commit and waits neither for the
// writer nor for its fsync: the relay's outbox, the executor's pending calls, the scheduler's timers
// and the ingress's lookups go on while a batch commits, and so do the processor's reads for the next
// batch. (A reader's page cache is dropped at each commit; the processor keeps the transactions it
// committed, so it reads few.)
class Reader {
 public:
  explicit Reader(const std::string& path) {
    sqlite3* raw = nullptr;
    if (sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
      std::string msg = raw ? sqlite3_errmsg(raw) : "out of memory";
      sqlite3_close_v2(raw);
      throw std::runtime_error("cannot open store " + path + " for reading: " + msg);
    }
    db_.reset(raw);
    sqlite3_busy_timeout(db_.get(), 5000);
    sqlite3_exec(db_.get(), "PRAGMA query_only = ON", nullptr, nullptr, nullptr);
  }
  Result<Stmt> prepare(const char* sql) { return prepare_cached(db_.get(), statements_, sql); }
  Error error(const std::string& what) {
    return fail(store_errc::statement_failed, "store: " + what + ": " + sqlite3_errmsg(db_.get()));
  }

  // Reads as of one snapshot: a statement outside a transaction takes and releases the WAL read
  // lock on each step.
  template <typename F>
  Result<Ok> in_read_transaction(F&& body) {
    if (sqlite3_exec(db_.get(), "BEGIN DEFERRED", nullptr, nullptr, nullptr) != SQLITE_OK) return error("begin read");
    auto r = body();
    sqlite3_exec(db_.get(), "COMMIT", nullptr, nullptr, nullptr);
    return r;
  }

 private:
  std::unique_ptr<sqlite3, DbDeleter> db_;
  StatementCache statements_;  // declared after db_: finalized before the connection closes
};

// Up to kReaders reading connections, opened when first needed; a thread prefers its own slot.
constexpr std::size_t kReaders = 6;
struct ReaderSlot {
  std::mutex mu;
  std::unique_ptr<Reader> reader;
};

// Transactions and events are rowid tables, found through a unique index. A WITHOUT ROWID table
// keeps at most about 1 KiB of a row in its leaf page and the rest in an overflow page of its own:
// an event body or a transaction document (1-2 KiB) cost a whole 4 KiB overflow page on each write.
// A rowid table keeps rows up to about 4 KiB in the leaf, and appends new ones at the end, so a
// batch's rows share pages.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS transactions (
  id INTEGER PRIMARY KEY, txn_id TEXT NOT NULL UNIQUE, state TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL,
  traceparent TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY, txn_id TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL, UNIQUE (txn_id, version)
);
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL,
  headers TEXT NOT NULL DEFAULT '', partition INTEGER NOT NULL DEFAULT -1, event_version INTEGER
);
CREATE TABLE IF NOT EXISTS calls (
  call_id TEXT PRIMARY KEY, doc TEXT NOT NULL, attempted INTEGER NOT NULL DEFAULT 0,
  partition INTEGER NOT NULL DEFAULT -1
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS timers (
  txn_id TEXT NOT NULL, name TEXT NOT NULL, due_at INTEGER NOT NULL, input_id TEXT NOT NULL,
  partition INTEGER NOT NULL DEFAULT -1, PRIMARY KEY (txn_id, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS partition_owners (
  topic TEXT NOT NULL, partition INTEGER NOT NULL, epoch INTEGER NOT NULL, owner TEXT NOT NULL,
  PRIMARY KEY (topic, partition)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS timers_due ON timers (due_at);
CREATE TABLE IF NOT EXISTS processed_inputs (
  input_id TEXT PRIMARY KEY, digest TEXT NOT NULL DEFAULT '', at_ms INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS offsets (
  topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL, PRIMARY KEY (topic, partition)
) WITHOUT ROWID;
)sql";

// The outbox as the relay reads it: an event's row (event_version set) takes its body from the
// history, through the events' unique index; any other row (event_version NULL) carries its own.
constexpr std::string_view kReadOutbox =
    "SELECT o.id, o.topic, o.key, CASE WHEN o.event_version IS NULL THEN o.body ELSE (SELECT e.body FROM events e "
    "WHERE e.txn_id = o.key AND e.version = o.event_version) END, o.headers, o.partition, o.event_version "
    "FROM outbox o";

// The read side (GET /v1/payments, the timeline): the columns the list filters and orders on, beside
// each transaction's document, and the journal. Added to stores made before them (ALTER TABLE in
// migrate_read_side; their rows are filled by list_unlisted). Indexes end in (created_at_ms, txn_id), the
// list's order, so a page is a range of one index however many rows the store holds; the attention
// index is partial (few rows). The journal is a rowid table (a batch's rows are appended together) with
// a small index on txn_id.
constexpr const char* kReadSideColumns[][2] = {
    {"merchant", "TEXT"},       {"reference", "TEXT"}, {"provider", "TEXT"},
    {"flow", "TEXT"},           {"status", "TEXT"},    {"created_at_ms", "INTEGER"},
    {"attention", "INTEGER NOT NULL DEFAULT 0"},
};
constexpr const char* kReadSideSchema = R"sql(
CREATE INDEX IF NOT EXISTS transactions_created ON transactions (created_at_ms, txn_id);
CREATE INDEX IF NOT EXISTS transactions_merchant ON transactions (merchant, created_at_ms, txn_id);
CREATE INDEX IF NOT EXISTS transactions_reference ON transactions (reference, created_at_ms, txn_id);
CREATE INDEX IF NOT EXISTS transactions_status ON transactions (status, created_at_ms, txn_id);
CREATE INDEX IF NOT EXISTS transactions_attention ON transactions (created_at_ms, txn_id) WHERE attention = 1;
CREATE TABLE IF NOT EXISTS journal (
  id INTEGER PRIMARY KEY, txn_id TEXT NOT NULL, at_ms INTEGER NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS journal_txn ON journal (txn_id);
)sql";

// Durability is untouched (WAL, synchronous=FULL: each commit is on disk when it returns). A batch
// updates transactions, events and calls keyed by hashed ids, so its rows land on pages all over the
// file: the default 2 MiB page cache re-read most of them from the OS on every batch (pread was the
// top of the profile). The writing connection keeps 64 MiB: its own commits keep that cache valid, and it stays well inside the memory budget at a million
// transactions. Checkpoints run on a thread of their own (checkpoint_loop); the writer checkpoints
// itself only when that one falls far behind.
constexpr const char* kCachePragmas = "PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=20000; PRAGMA temp_store=MEMORY;";

// A statement for one row and one for ManyRows::kRows rows: `head`, the row's `item` repeated
// (`separator` between), `tail`. A statement's fixed cost (its start, its end, its cursors) is paid
// once for many rows: with a statement a row it is about a third of a commit's instructions. Kept for
// the process's life. The batch's INSERTs say OR FAIL (or OR IGNORE): a row breaking a constraint
// ends its statement without undoing the rows before it, so SQLite keeps no statement journal of a
// multi-row statement's pages (a copy of every page it changes); commit() rolls the whole
// transaction back on any failure.
struct ManyRows {
  static constexpr std::size_t kRows = 32;  // 32 rows of 11 columns stay far below SQLite's 32,766 parameters
  ManyRows(std::string_view head, std::string_view item, std::string_view tail, int parameters_per_row,
           std::string_view separator = ", ")
      : parameters(parameters_per_row) {
    one.append(head).append(item).append(tail);
    many.append(head);
    for (std::size_t k = 0; k < kRows; ++k) many.append(k ? separator : "").append(item);
    many.append(tail);
  }
  std::string one, many;
  int parameters;
};

// Texts made for a statement's rows (a document, headers): bound without a copy, so kept until the
// statement has stepped. A deque: a text kept never moves when another is added.
class Texts {
 public:
  const std::string& keep(std::string text) { return kept_.emplace_back(std::move(text)); }
  void clear() { kept_.clear(); }

 private:
  std::deque<std::string> kept_;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(const std::string& path) {
    if (auto dir = std::filesystem::path(path).parent_path(); !dir.empty()) std::filesystem::create_directories(dir);
    sqlite3* raw = nullptr;
    if (sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      std::string msg = raw ? sqlite3_errmsg(raw) : "out of memory";
      sqlite3_close_v2(raw);
      throw std::runtime_error("cannot open store " + path + ": " + msg);
    }
    db_.reset(raw);
    sqlite3_busy_timeout(db_.get(), 5000);
    // secure_delete: deleted rows (a call's sealed card, a pruned id) are overwritten with zeros, not
    // left readable in free pages.
    exec_or_throw("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF; PRAGMA secure_delete=ON;");
    exec_or_throw(kCachePragmas);
    exec_or_throw(kSchema);
    migrate();
    migrate_read_side();
    path_ = path;
    checkpointer_ = std::thread([this] { checkpoint_loop(); });
  }

  ~SqliteStore() override {
    {
      std::lock_guard lock(checkpoint_mu_);
      stopping_ = true;
    }
    checkpoint_cv_.notify_all();
    checkpointer_.join();
  }

  // Stores made before processed inputs had a digest and a time get both columns (empty digest, time
  // 0: pruned first). The index on the time serves pruning.
  void migrate() {
    bool has_digest = false, has_at = false;
    {
      auto st = prepare("PRAGMA table_info(processed_inputs)");
      if (!st) throw std::runtime_error(st.error().message);
      while (sqlite3_step(st->get()) == SQLITE_ROW) {
        has_digest = has_digest || column_view(st->get(), 1) == "digest";
        has_at = has_at || column_view(st->get(), 1) == "at_ms";
      }
    }
    // Each missing column added, in one transaction.
    if (!has_digest || !has_at) {
      std::string sql = "BEGIN IMMEDIATE;";
      if (!has_digest) sql += "ALTER TABLE processed_inputs ADD COLUMN digest TEXT NOT NULL DEFAULT '';";
      if (!has_at) sql += "ALTER TABLE processed_inputs ADD COLUMN at_ms INTEGER NOT NULL DEFAULT 0;";
      sql += "COMMIT;";
      exec_or_throw(sql.c_str());
    }
    exec_or_throw("CREATE INDEX IF NOT EXISTS processed_inputs_at ON processed_inputs (at_ms);");
    // Stores made before records carried traces: their outbox rows are published without headers, and
    // their transactions' events carry a traceparent derived from the txn_id.
    if (!has_column("PRAGMA table_info(outbox)", "headers")) exec_or_throw("ALTER TABLE outbox ADD COLUMN headers TEXT NOT NULL DEFAULT '';");
    if (!has_column("PRAGMA table_info(transactions)", "traceparent"))
      exec_or_throw("ALTER TABLE transactions ADD COLUMN traceparent TEXT NOT NULL DEFAULT '';");
    // Stores made before partition ownership: their rows belong to no partition (-1), which only a
    // process reading every partition (the one process on a SQLite file) reads.
    if (!has_column("PRAGMA table_info(outbox)", "partition"))
      exec_or_throw("ALTER TABLE outbox ADD COLUMN partition INTEGER NOT NULL DEFAULT -1;");
    // An outbox row's event_version: NULL when the row carries its own body, as every row of a store
    // made without the column does.
    if (!has_column("PRAGMA table_info(outbox)", "event_version"))
      exec_or_throw("ALTER TABLE outbox ADD COLUMN event_version INTEGER;");
    if (!has_column("PRAGMA table_info(calls)", "partition"))
      exec_or_throw("ALTER TABLE calls ADD COLUMN partition INTEGER NOT NULL DEFAULT -1;");
    if (!has_column("PRAGMA table_info(timers)", "partition"))
      exec_or_throw("ALTER TABLE timers ADD COLUMN partition INTEGER NOT NULL DEFAULT -1;");
  }

  // `table_info` is a literal: statements are cached by their text's address.
  bool has_column(const char* table_info, std::string_view column) {
    auto st = prepare(table_info);
    if (!st) throw std::runtime_error(st.error().message);
    bool found = false;
    while (sqlite3_step(st->get()) == SQLITE_ROW) found = found || column_view(st->get(), 1) == column;
    return found;
  }

  // The processor's reads for a batch: on a reading connection, so that they go on while the batch
  // before commits on the writing one (the processor counts that batch as applied itself).
  Result<std::map<std::string, Transaction>> load_many(const std::vector<std::string>& txn_ids) override {
    std::map<std::string, Transaction> out;
    auto read = probe(txn_ids, "SELECT doc FROM transactions WHERE txn_id = ?", "load transactions",
                      [&](const std::string& id, sqlite3_stmt* st) -> Result<Ok> {
                        auto t = transaction_from_json(boost::json::parse(column_view(st, 0)));
                        if (!t) return t.error();
                        out.emplace(id, std::move(*t));
                        return Ok{};
                      });
    if (!read) return read.error();
    return out;
  }

  Result<std::map<std::string, std::string>> processed_among(const std::vector<std::string>& input_ids) override {
    std::map<std::string, std::string> out;
    auto read = probe(input_ids, "SELECT digest FROM processed_inputs WHERE input_id = ?", "look up processed inputs",
                      [&](const std::string& id, sqlite3_stmt* st) -> Result<Ok> {
                        out.emplace(id, std::string(column_view(st, 0)));
                        return Ok{};
                      });
    if (!read) return read.error();
    return out;
  }

  Result<std::map<std::string, std::string>> traceparents_among(const std::vector<std::string>& txn_ids) override {
    std::map<std::string, std::string> out;
    auto read = probe(txn_ids, "SELECT traceparent FROM transactions WHERE txn_id = ? AND traceparent <> ''",
                      "look up traceparents", [&](const std::string& id, sqlite3_stmt* st) -> Result<Ok> {
                        out.emplace(id, std::string(column_view(st, 0)));
                        return Ok{};
                      });
    if (!read) return read.error();
    return out;
  }

  Result<std::map<std::int32_t, std::int64_t>> offsets(const std::string& topic) override {
    return per_partition("SELECT partition, next_offset FROM offsets WHERE topic = ?", topic, "read offsets");
  }

  // A topic's partitions, each with one number (`sql`, a literal: statements are cached by address).
  Result<std::map<std::int32_t, std::int64_t>> per_partition(const char* sql, const std::string& topic,
                                                             const char* what) {
    auto reader = lease_reader();
    if (!reader) return reader.error();
    auto st = reader->connection->prepare(sql);
    if (!st) return st.error();
    bind(st->get(), 1, topic);
    std::map<std::int32_t, std::int64_t> out;
    int rc;
    while ((rc = sqlite3_step(st->get())) == SQLITE_ROW)
      out[sqlite3_column_int(st->get(), 0)] = sqlite3_column_int64(st->get(), 1);
    if (rc != SQLITE_DONE) return reader->connection->error(what);
    return out;
  }

  Result<Ok> reset_offsets(const std::string& topic) override {
    std::lock_guard lock(mu_);
    auto st = prepare("DELETE FROM offsets WHERE topic = ?");
    if (!st) return st.error();
    bind(st->get(), 1, topic);
    return step_done(st->get(), "reset offsets");
  }

  Result<Ok> commit(const StoreBatch& b) override {
    std::lock_guard lock(mu_);
    if (fsync_off_) {
      if (auto r = durable(); !r) return r;
    }
    if (auto r = exec("BEGIN IMMEDIATE"); !r) return r;
    auto result = check_fences(b.fences);
    if (result) result = write_batch(b);
    if (!result) {
      rollback();
      return result;
    }
    if (auto r = exec("COMMIT"); !r) {
      rollback();
      return r;
    }
    return Ok{};
  }

  Result<std::vector<OutboxRow>> outbox(std::size_t limit, std::int64_t after_id, PartitionFilter only) override {
    auto reader = lease_reader();
    if (!reader) return reader.error();
    static const std::string all = std::string(kReadOutbox) + " WHERE o.id > ? ORDER BY o.id LIMIT ?";
    static const std::string owned = std::string(kReadOutbox) +
                                     " WHERE o.id > ? AND o.partition IN (SELECT value FROM json_each(?3)) ORDER BY o.id "
                                     "LIMIT ?2";
    auto st = reader->connection->prepare(only == nullptr ? all.c_str() : owned.c_str());
    if (!st) return st.error();
    sqlite3_bind_int64(st->get(), 1, after_id);
    sqlite3_bind_int64(st->get(), 2, static_cast<sqlite3_int64>(limit));
    if (only != nullptr) bind(st->get(), 3, partition_list(*only));
    std::vector<OutboxRow> out;
    int rc;
    while ((rc = sqlite3_step(st->get())) == SQLITE_ROW) {
      auto row = outbox_row(st->get());
      if (!row) return row.error();
      out.push_back(std::move(*row));
    }
    if (rc != SQLITE_DONE) return reader->connection->error("read outbox");
    return out;
  }

  Result<std::vector<OutboxRow>> outbox_rows(const std::vector<std::int64_t>& ids) override {
    auto reader = lease_reader();
    if (!reader) return reader.error();
    static const std::string by_id = std::string(kReadOutbox) + " WHERE o.id = ?";
    auto st = reader->connection->prepare(by_id.c_str());
    if (!st) return st.error();
    std::vector<OutboxRow> out;
    for (auto id : ids) {
      sqlite3_reset(st->get());
      sqlite3_bind_int64(st->get(), 1, id);
      const int rc = sqlite3_step(st->get());
      if (rc == SQLITE_ROW) {
        auto row = outbox_row(st->get());
        if (!row) return row.error();
        out.push_back(std::move(*row));
      } else if (rc != SQLITE_DONE) {
        return reader->connection->error("read outbox rows");
      }
    }
    return out;
  }

  Result<Ok> remove_outbox(const std::vector<std::int64_t>& ids) override {
    std::lock_guard lock(mu_);
    return without_fsync([&]() -> Result<Ok> {
      static const ManyRows rows("DELETE FROM outbox WHERE id IN (", "?", ")", 1);
      return step_rows(rows, ids.size(), "delete outbox row",
                       [&](sqlite3_stmt* st, int at, std::size_t i, Texts&) { sqlite3_bind_int64(st, at, ids[i]); });
    });
  }

  Result<std::vector<PendingCall>> pending_calls(std::size_t limit, PartitionFilter only) override {
    auto reader = lease_reader();
    if (!reader) return reader.error();
    auto st = only == nullptr ? reader->connection->prepare("SELECT doc, attempted, partition FROM calls LIMIT ?")
                              : reader->connection->prepare(
                                    "SELECT doc, attempted, partition FROM calls WHERE partition IN "
                                    "(SELECT value FROM json_each(?2)) LIMIT ?1");
    if (!st) return st.error();
    sqlite3_bind_int64(st->get(), 1, static_cast<sqlite3_int64>(limit));
    if (only != nullptr) bind(st->get(), 2, partition_list(*only));
    std::vector<PendingCall> out;
    int rc;
    while ((rc = sqlite3_step(st->get())) == SQLITE_ROW) {
      auto c = provider_call_from_json(boost::json::parse(column(st->get(), 0)));
      if (c) out.push_back({std::move(*c), sqlite3_column_int(st->get(), 1) != 0, sqlite3_column_int(st->get(), 2)});
    }
    if (rc != SQLITE_DONE) return reader->connection->error("read calls");
    return out;
  }

  Result<Ok> mark_call_attempted(const std::string& call_id, const PartitionEpoch* fence) override {
    std::lock_guard lock(mu_);
    if (fsync_off_) {
      if (auto r = durable(); !r) return r;
    }
    auto mark = [&]() -> Result<Ok> {
      auto st = prepare("UPDATE calls SET attempted = 1 WHERE call_id = ?");
      if (!st) return st.error();
      bind(st->get(), 1, call_id);
      return step_done(st->get(), "mark call attempted");
    };
    if (fence == nullptr) return mark();
    // The epoch read and the mark in one write transaction: no claim comes between them.
    if (auto r = exec("BEGIN IMMEDIATE"); !r) return r;
    auto result = check_fences({*fence});
    if (result) result = mark();
    if (result) result = exec("COMMIT");
    if (!result) rollback();
    return result;
  }

  Result<std::int64_t> claim_partition(const std::string& topic, std::int32_t partition,
                                       const std::string& owner) override {
    std::lock_guard lock(mu_);
    if (fsync_off_) {
      if (auto r = durable(); !r) return r.error();
    }
    auto st = prepare(
        "INSERT INTO partition_owners (topic, partition, epoch, owner) VALUES (?, ?, 1, ?) "
        "ON CONFLICT(topic, partition) DO UPDATE SET epoch = epoch + 1, owner = excluded.owner RETURNING epoch");
    if (!st) return st.error();
    bind(st->get(), 1, topic);
    sqlite3_bind_int(st->get(), 2, partition);
    bind(st->get(), 3, owner);
    if (sqlite3_step(st->get()) != SQLITE_ROW) {
      auto e = error("claim partition");
      sqlite3_reset(st->get());
      return e;
    }
    const std::int64_t epoch = sqlite3_column_int64(st->get(), 0);
    if (auto r = step_done(st->get(), "claim partition"); !r) return r.error();
    return epoch;
  }

  Result<std::map<std::int32_t, std::int64_t>> partition_epochs(const std::string& topic) override {
    return per_partition("SELECT partition, epoch FROM partition_owners WHERE topic = ?", topic,
                         "read partition epochs");
  }

  Result<Ok> complete_call(const std::string& call_id) override {
    std::lock_guard lock(mu_);
    auto st = prepare("DELETE FROM calls WHERE call_id = ?");
    if (!st) return st.error();
    bind(st->get(), 1, call_id);
    return step_done(st->get(), "complete call");
  }

  Result<std::vector<TimerRow>> due_timers(std::int64_t now_ms, std::size_t limit, PartitionFilter only) override {
    auto reader = lease_reader();
    if (!reader) return reader.error();
    auto st = only == nullptr
                  ? reader->connection->prepare(
                        "SELECT txn_id, name, due_at, input_id, partition FROM timers WHERE due_at <= ? ORDER BY due_at "
                        "LIMIT ?")
                  : reader->connection->prepare(
                        "SELECT txn_id, name, due_at, input_id, partition FROM timers WHERE due_at <= ? AND partition IN "
                        "(SELECT value FROM json_each(?3)) ORDER BY due_at LIMIT ?2");
    if (!st) return st.error();
    sqlite3_bind_int64(st->get(), 1, now_ms);
    sqlite3_bind_int64(st->get(), 2, static_cast<sqlite3_int64>(limit));
    if (only != nullptr) bind(st->get(), 3, partition_list(*only));
    std::vector<TimerRow> out;
    int rc;
    while ((rc = sqlite3_step(st->get())) == SQLITE_ROW)
      out.push_back({column(st->get(), 0), column(st->get(), 1), sqlite3_column_int64(st->get(), 2),
                     column(st->get(), 3), sqlite3_column_int(st->get(), 4)});
    if (rc != SQLITE_DONE) return reader->connection->error("read timers");
    return out;
  }

  Result<Ok> remove_timers(const std::vector<TimerRow>& fired) override {
    std::lock_guard lock(mu_);
    return without_fsync([&]() -> Result<Ok> {
      auto st = prepare("DELETE FROM timers WHERE txn_id = ? AND name = ? AND input_id = ?");
      if (!st) return st.error();
      for (const auto& t : fired) {
        bind(st->get(), 1, t.txn_id);
        bind(st->get(), 2, t.name);
        bind(st->get(), 3, t.input_id);
        if (auto r = step_done(st->get(), "remove timer"); !r) return r;
      }
      return Ok{};
    });
  }

  Result<std::vector<json::object>> events_of(const std::string& txn_id) override {
    auto reader = lease_reader();
    if (!reader) return reader.error();
    auto st = reader->connection->prepare("SELECT body FROM events WHERE txn_id = ? ORDER BY version");
    if (!st) return st.error();
    bind(st->get(), 1, txn_id);
    std::vector<json::object> out;
    int rc;
    while ((rc = sqlite3_step(st->get())) == SQLITE_ROW) {
      auto v = boost::json::parse(column(st->get(), 0));
      if (v.is_object()) out.push_back(std::move(v.get_object()));
    }
    if (rc != SQLITE_DONE) return reader->connection->error("read events");
    return out;
  }

  Result<Ok> limit_size(std::int64_t max_bytes) override {
    std::lock_guard lock(mu_);
    const std::int64_t page = pragma_int("PRAGMA page_size");
    const std::int64_t pages = max_bytes <= 0 ? 4294967294LL : std::max<std::int64_t>(1, max_bytes / page);
    return exec(("PRAGMA max_page_count = " + std::to_string(pages)).c_str());
  }

  Result<Ok> set_read_only(bool read_only) override {
    std::lock_guard lock(mu_);
    return exec(read_only ? "PRAGMA query_only = ON" : "PRAGMA query_only = OFF");
  }

  Result<std::int64_t> size_bytes() override {
    std::lock_guard lock(mu_);
    return pragma_int("PRAGMA page_count") * pragma_int("PRAGMA page_size");
  }

  Result<std::vector<std::string>> transaction_ids() override {
    auto reader = lease_reader();
    if (!reader) return reader.error();
    auto st = reader->connection->prepare("SELECT txn_id FROM transactions ORDER BY txn_id");
    if (!st) return st.error();
    std::vector<std::string> out;
    int rc;
    while ((rc = sqlite3_step(st->get())) == SQLITE_ROW) out.push_back(column(st->get(), 0));
    if (rc != SQLITE_DONE) return reader->connection->error("list transactions");
    return out;
  }

  Result<bool> transaction_exists(const std::string& txn_id) override {
    auto reader = lease_reader();
    if (!reader) return reader.error();
    auto st = reader->connection->prepare("SELECT 1 FROM transactions WHERE txn_id = ?");
    if (!st) return st.error();
    bind(st->get(), 1, txn_id);
    int rc = sqlite3_step(st->get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return reader->connection->error("look up transaction");
  }

  Result<std::optional<RowColumns>> row_columns(const std::string& txn_id) override {
    auto reader = lease_reader();
    if (!reader) return reader.error();
    auto st = reader->connection->prepare("SELECT state, version FROM transactions WHERE txn_id = ?");
    if (!st) return st.error();
    bind(st->get(), 1, txn_id);
    const int rc = sqlite3_step(st->get());
    if (rc == SQLITE_DONE) return std::optional<RowColumns>();
    if (rc != SQLITE_ROW) return reader->connection->error("read a transaction's columns");
    return std::optional<RowColumns>(RowColumns{std::string(column_view(st->get(), 0)), sqlite3_column_int64(st->get(), 1)});
  }

  Result<std::int64_t> count_transactions() override {
    auto reader = lease_reader();
    if (!reader) return reader.error();
    auto st = reader->connection->prepare("SELECT COUNT(*) FROM transactions");
    if (!st) return st.error();
    if (sqlite3_step(st->get()) != SQLITE_ROW) return reader->connection->error("count transactions");
    return static_cast<std::int64_t>(sqlite3_column_int64(st->get(), 0));
  }

  // Counts on a reading connection, each through an index (outbox and calls by their keys, timers by
  // timers_due) and stopped at the cap.
  Result<Backlog> backlog(std::int64_t now_ms, std::int64_t cap) override {
    auto reader = lease_reader();
    if (!reader) return reader.error();
    auto st = reader->connection->prepare(
        "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM outbox LIMIT ?1)),"
        " (SELECT COUNT(*) FROM (SELECT 1 FROM calls LIMIT ?1)),"
        " (SELECT COUNT(*) FROM (SELECT 1 FROM timers WHERE due_at <= ?2 LIMIT ?1))");
    if (!st) return st.error();
    sqlite3_bind_int64(st->get(), 1, cap);
    sqlite3_bind_int64(st->get(), 2, now_ms);
    if (sqlite3_step(st->get()) != SQLITE_ROW) return reader->connection->error("count the backlog");
    return Backlog{sqlite3_column_int64(st->get(), 0), sqlite3_column_int64(st->get(), 1),
                   sqlite3_column_int64(st->get(), 2)};
  }

  // ---- The read side -------------------------------------------------------------------------
  Result<std::vector<Transaction>> list_transactions(const TransactionQuery& q) override {
    std::string sql = "SELECT doc FROM transactions WHERE 1 = 1";
    if (!q.merchant.empty()) sql += " AND merchant = ?";
    if (!q.reference.empty()) sql += " AND reference = ?";
    if (!q.status.empty()) sql += " AND status = ?";
    if (!q.provider.empty()) sql += " AND provider = ?";
    if (!q.flow.empty()) sql += " AND flow = ?";
    if (q.since_ms) sql += " AND created_at_ms >= ?";
    if (q.attention_only) sql += " AND attention = 1";  // as written: the partial index's condition
    if (q.cursor) sql += " AND (created_at_ms, txn_id) < (?, ?)";
    sql += " ORDER BY created_at_ms DESC, txn_id DESC LIMIT ?";
    auto reader = lease_reader();
    if (!reader) return reader.error();
    auto st = reader->connection->prepare(sql.c_str());  // at most 2^8 shapes, each prepared once
    if (!st) return st.error();
    int i = 0;
    for (const std::string* v : {&q.merchant, &q.reference, &q.status, &q.provider, &q.flow})
      if (!v->empty()) bind(st->get(), ++i, *v);
    if (q.since_ms) sqlite3_bind_int64(st->get(), ++i, *q.since_ms);
    if (q.cursor) {
      sqlite3_bind_int64(st->get(), ++i, q.cursor->created_at_ms);
      bind(st->get(), ++i, q.cursor->txn_id);
    }
    sqlite3_bind_int64(st->get(), ++i, static_cast<sqlite3_int64>(q.limit));
    std::vector<Transaction> out;
    int rc;
    while ((rc = sqlite3_step(st->get())) == SQLITE_ROW) {
      auto t = transaction_from_json(boost::json::parse(column_view(st->get(), 0)));
      if (!t) return t.error();
      out.push_back(std::move(*t));
    }
    if (rc != SQLITE_DONE) return reader->connection->error("list transactions");
    return out;
  }

  Result<std::vector<JournalRow>> journal_of(const std::string& txn_id) override {
    auto reader = lease_reader();
    if (!reader) return reader.error();
    auto st = reader->connection->prepare("SELECT at_ms, kind, name, detail FROM journal WHERE txn_id = ? ORDER BY id");
    if (!st) return st.error();
    bind(st->get(), 1, txn_id);
    std::vector<JournalRow> out;
    int rc;
    while ((rc = sqlite3_step(st->get())) == SQLITE_ROW)
      out.push_back({txn_id, sqlite3_column_int64(st->get(), 0), column(st->get(), 1), column(st->get(), 2),
                     column(st->get(), 3)});
    if (rc != SQLITE_DONE) return reader->connection->error("read journal");
    return out;
  }

  Result<std::size_t> list_unlisted(const std::function<std::string(const Transaction&)>& status_of) override {
    std::size_t done = 0;
    for (;;) {  // a thousand rows a transaction: a large store is filled without one huge commit
      std::vector<Transaction> rows;
      {
        auto reader = lease_reader();
        if (!reader) return reader.error();
        auto st = reader->connection->prepare("SELECT doc FROM transactions WHERE status IS NULL LIMIT 1000");
        if (!st) return st.error();
        int rc;
        while ((rc = sqlite3_step(st->get())) == SQLITE_ROW) {
          auto t = transaction_from_json(boost::json::parse(column_view(st->get(), 0)));
          if (!t) return t.error();
          rows.push_back(std::move(*t));
        }
        if (rc != SQLITE_DONE) return reader->connection->error("find unlisted transactions");
      }
      if (rows.empty()) return done;
      std::lock_guard lock(mu_);
      auto r = in_transaction([&]() -> Result<Ok> {
        auto st = prepare("UPDATE transactions SET merchant = ?, reference = ?, provider = ?, flow = ?, "
                          "created_at_ms = ?, status = ?, attention = ? WHERE txn_id = ?");
        if (!st) return st.error();
        for (const auto& t : rows) {
          const std::string status = status_of(t);
          bind_listing(st->get(), 1, t, &status);
          bind(st->get(), 8, t.txn_id);
          if (auto r = step_done(st->get(), "list a transaction"); !r) return r;
        }
        return Ok{};
      });
      if (!r) return r.error();
      done += rows.size();
    }
  }

 private:
  // Steps `sql` (one parameter: the id) for each of `ids` on a reading connection, in one read
  // transaction, in key order (neighbours share the pages just read); `found` sees each id's row.
  template <typename Found>
  Result<Ok> probe(const std::vector<std::string>& ids, const char* sql, const char* what, Found found) {
    const std::set<std::string> sorted(ids.begin(), ids.end());
    if (sorted.empty()) return Ok{};
    auto reader = lease_reader();
    if (!reader) return reader.error();
    Reader& db = *reader->connection;
    return db.in_read_transaction([&]() -> Result<Ok> {
      auto st = db.prepare(sql);
      if (!st) return st.error();
      for (const auto& id : sorted) {
        bind(st->get(), 1, id);
        const int rc = sqlite3_step(st->get());
        if (rc == SQLITE_ROW) {
          if (auto r = found(id, st->get()); !r) return r;
        } else if (rc != SQLITE_DONE) {
          return db.error(what);
        }
        sqlite3_reset(st->get());
      }
      return Ok{};
    });
  }

  // Inside a write transaction: each fence's partition still at its epoch (no row: epoch 0).
  Result<Ok> check_fences(const std::vector<PartitionEpoch>& fences) {
    if (fences.empty()) return Ok{};
    auto st = prepare("SELECT epoch FROM partition_owners WHERE topic = ? AND partition = ?");
    if (!st) return st.error();
    for (const auto& f : fences) {
      bind(st->get(), 1, f.topic);
      sqlite3_bind_int(st->get(), 2, f.partition);
      const int rc = sqlite3_step(st->get());
      if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        auto e = error("read partition epoch");
        sqlite3_reset(st->get());
        return e;
      }
      const std::int64_t epoch = rc == SQLITE_ROW ? sqlite3_column_int64(st->get(), 0) : 0;
      sqlite3_reset(st->get());
      if (epoch != f.epoch)
        return fail(store_errc::fenced, f.topic + " partition " + std::to_string(f.partition) + " is at epoch " +
                                            std::to_string(epoch) + ", not " + std::to_string(f.epoch) +
                                            ": another process owns it; nothing was written");
    }
    return Ok{};
  }

  Result<Ok> write_batch(const StoreBatch& b) {
    // The listing columns that never change are set by the insert alone; status and attention keep
    // their value when the batch does not know the status.
    static const ManyRows transactions(
        "INSERT OR FAIL INTO transactions (txn_id, state, version, doc, merchant, reference, provider, flow, "
        "created_at_ms, status, attention) VALUES ",
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, coalesce(?, 0))",
        " ON CONFLICT(txn_id) DO UPDATE SET state = excluded.state, version = excluded.version, doc = excluded.doc, "
        "status = coalesce(excluded.status, status), attention = iif(excluded.status IS NULL, attention, "
        "excluded.attention)",
        11);
    const bool statuses = b.statuses.size() == b.transactions.size();
    if (auto r = step_rows(transactions, b.transactions.size(), "write transaction",
                           [&](sqlite3_stmt* st, int at, std::size_t i, Texts& texts) {
                             const Transaction& t = b.transactions[i];
                             bind_kept(st, at, t.txn_id);
                             bind_kept(st, at + 1, t.state);
                             sqlite3_bind_int64(st, at + 2, t.version);
                             bind_kept(st, at + 3, texts.keep(serialize(t)));
                             bind_listing(st, at + 4, t, statuses ? &b.statuses[i] : nullptr);
                           });
        !r)
      return r;
    if (!b.traceparents.empty()) {
      auto st = prepare("UPDATE transactions SET traceparent = ? WHERE txn_id = ?");
      if (!st) return st.error();
      for (const auto& [txn_id, traceparent] : b.traceparents) {
        bind_kept(st->get(), 1, traceparent);
        bind_kept(st->get(), 2, txn_id);
        if (auto r = step_done(st->get(), "write traceparent"); !r) return r;
      }
    }
    // The rows of one INSERT take their ids in the order of its VALUES: the outbox keeps the batch's order.
    // An event's row names its event instead of carrying its body again (kReadOutbox reads it back).
    static const ManyRows outbox(
        "INSERT OR FAIL INTO outbox (topic, key, body, headers, partition, event_version) VALUES ",
        "(?, ?, ?, ?, ?, ?)", "", 6);
    const std::vector<char> in_history = outbox_bodies_in_history(b);
    if (auto r = step_rows(outbox, b.outbox.size(), "write outbox",
                           [&](sqlite3_stmt* st, int at, std::size_t i, Texts& texts) {
                             const OutboxRow& o = b.outbox[i];
                             bind_kept(st, at, o.topic);
                             bind_kept(st, at + 1, o.key);
                             if (in_history[i]) {
                               sqlite3_bind_text(st, at + 2, "", 0, SQLITE_STATIC);
                               sqlite3_bind_int64(st, at + 5, o.event_version);
                             } else {
                               bind_kept(st, at + 2, o.body);
                               sqlite3_bind_null(st, at + 5);
                             }
                             bind_kept(st, at + 3, texts.keep(headers_text(o.headers)));
                             sqlite3_bind_int(st, at + 4, o.partition);
                           });
        !r)
      return r;
    static const ManyRows events("INSERT OR FAIL INTO events (txn_id, version, body) VALUES ", "(?, ?, ?)", "", 3);
    if (auto r = step_rows(events, b.events.size(), "write event",
                           [&](sqlite3_stmt* st, int at, std::size_t i, Texts&) {
                             bind_kept(st, at, b.events[i].txn_id);
                             sqlite3_bind_int64(st, at + 1, b.events[i].version);
                             bind_kept(st, at + 2, b.events[i].body);
                           });
        !r)
      return r;
    static const ManyRows completed("DELETE FROM calls WHERE call_id IN (", "?", ")", 1);
    if (auto r = step_rows(completed, b.calls_completed.size(), "complete call",
                           [&](sqlite3_stmt* st, int at, std::size_t i, Texts&) {
                             bind_kept(st, at, b.calls_completed[i]);
                           });
        !r)
      return r;
    // A call sent again replaces its row, as a new row would (not attempted yet).
    static const ManyRows calls("INSERT OR FAIL INTO calls (call_id, doc, partition) VALUES ", "(?, ?, ?)",
                                " ON CONFLICT(call_id) DO UPDATE SET doc = excluded.doc, attempted = 0, "
                                "partition = excluded.partition",
                                3);
    const bool partitions = b.call_partitions.size() == b.calls.size();
    if (auto r = step_rows(calls, b.calls.size(), "write call",
                           [&](sqlite3_stmt* st, int at, std::size_t i, Texts& texts) {
                             const ProviderCall& c = b.calls[i];
                             // One row a send: a re-send has an answer id of its own.
                             bind_kept(st, at, c.answer_input_id());
                             bind_kept(st, at + 1, texts.keep(serialize(c)));
                             sqlite3_bind_int(st, at + 2, partitions ? b.call_partitions[i] : -1);
                           });
        !r)
      return r;
    {
      // Cancels are deletes, in any order among themselves, all before the batch's timers are set.
      std::vector<const std::string*> every;  // "*": every timer of these transactions
      std::vector<const std::pair<std::string, std::string>*> named;
      for (const auto& cancel : b.timers_cancelled) {
        if (cancel.second == "*") {
          every.push_back(&cancel.first);
        } else {
          named.push_back(&cancel);
        }
      }
      static const ManyRows all("DELETE FROM timers WHERE txn_id IN (", "?", ")", 1);
      if (auto r = step_rows(all, every.size(), "cancel timers",
                             [&](sqlite3_stmt* st, int at, std::size_t i, Texts&) { bind_kept(st, at, *every[i]); });
          !r)
        return r;
      // OR of (txn_id, name) pairs: each a search of the primary key.
      static const ManyRows one("DELETE FROM timers WHERE ", "(txn_id = ? AND name = ?)", "", 2, " OR ");
      if (auto r = step_rows(one, named.size(), "cancel timer",
                             [&](sqlite3_stmt* st, int at, std::size_t i, Texts&) {
                               bind_kept(st, at, named[i]->first);
                               bind_kept(st, at + 1, named[i]->second);
                             });
          !r)
        return r;
    }
    static const ManyRows timers("INSERT OR FAIL INTO timers (txn_id, name, due_at, input_id, partition) VALUES ",
                                 "(?, ?, ?, ?, ?)",
                                 " ON CONFLICT(txn_id, name) DO UPDATE SET due_at = excluded.due_at, "
                                 "input_id = excluded.input_id, partition = excluded.partition",
                                 5);
    if (auto r = step_rows(timers, b.timers_set.size(), "set timer",
                           [&](sqlite3_stmt* st, int at, std::size_t i, Texts&) {
                             const TimerRow& t = b.timers_set[i];
                             bind_kept(st, at, t.txn_id);
                             bind_kept(st, at + 1, t.name);
                             sqlite3_bind_int64(st, at + 2, t.due_at_ms);
                             bind_kept(st, at + 3, t.input_id);
                             sqlite3_bind_int(st, at + 4, t.partition);
                           });
        !r)
      return r;
    static const ManyRows processed("INSERT OR IGNORE INTO processed_inputs (input_id, digest, at_ms) VALUES ",
                                    "(?, ?, ?)", "", 3);
    if (auto r = step_rows(processed, b.processed_inputs.size(), "record processed input",
                           [&](sqlite3_stmt* st, int at, std::size_t i, Texts&) {
                             const ProcessedInput& p = b.processed_inputs[i];
                             bind_kept(st, at, p.input_id);
                             bind_kept(st, at + 1, p.digest);
                             sqlite3_bind_int64(st, at + 2, p.at_ms);
                           });
        !r)
      return r;
    if (b.prune_processed_before_ms > 0) {
      // A bounded share per batch: a large backlog of old ids goes over many commits, never in one.
      auto st = prepare(
          "DELETE FROM processed_inputs WHERE input_id IN "
          "(SELECT input_id FROM processed_inputs WHERE at_ms < ? ORDER BY at_ms LIMIT 1000)");
      if (!st) return st.error();
      sqlite3_bind_int64(st->get(), 1, b.prune_processed_before_ms);
      if (auto r = step_done(st->get(), "prune processed inputs"); !r) return r;
    }
    static const ManyRows journal("INSERT OR FAIL INTO journal (txn_id, at_ms, kind, name, detail) VALUES ",
                                  "(?, ?, ?, ?, ?)", "", 5);
    if (auto r = step_rows(journal, b.journal.size(), "write journal",
                           [&](sqlite3_stmt* st, int at, std::size_t i, Texts&) {
                             const JournalRow& j = b.journal[i];
                             bind_kept(st, at, j.txn_id);
                             sqlite3_bind_int64(st, at + 1, j.at_ms);
                             bind_kept(st, at + 2, j.kind);
                             bind_kept(st, at + 3, j.name);
                             bind_kept(st, at + 4, j.detail);
                           });
        !r)
      return r;
    {
      auto st = prepare("INSERT OR REPLACE INTO offsets (topic, partition, next_offset) VALUES (?, ?, ?)");
      if (!st) return st.error();
      for (const auto& o : b.offsets) {
        bind_kept(st->get(), 1, o.topic);
        sqlite3_bind_int(st->get(), 2, o.partition);
        sqlite3_bind_int64(st->get(), 3, o.next_offset);
        if (auto r = step_done(st->get(), "write offset"); !r) return r;
      }
    }
    return Ok{};
  }

  // Steps `sql` over `rows` rows, ManyRows::kRows to a statement and the rest one by one;
  // bind(statement, first parameter, row, texts) binds a row's parameters.
  template <typename Bind>
  Result<Ok> step_rows(const ManyRows& sql, std::size_t rows, const char* what, Bind bind) {
    Texts texts;
    std::size_t i = 0;
    if (rows >= ManyRows::kRows) {
      auto st = prepare(sql.many.c_str());
      if (!st) return st.error();
      for (; i + ManyRows::kRows <= rows; i += ManyRows::kRows) {
        for (std::size_t k = 0; k < ManyRows::kRows; ++k)
          bind(st->get(), static_cast<int>(k) * sql.parameters + 1, i + k, texts);
        auto r = step_done(st->get(), what);
        texts.clear();
        if (!r) return r;
      }
    }
    if (i < rows) {
      auto st = prepare(sql.one.c_str());
      if (!st) return st.error();
      for (; i < rows; ++i) {
        bind(st->get(), 1, i, texts);
        auto r = step_done(st->get(), what);
        texts.clear();
        if (!r) return r;
      }
    }
    return Ok{};
  }

  std::int64_t pragma_int(const char* sql) {
    auto st = prepare(sql);
    if (!st || sqlite3_step(st->get()) != SQLITE_ROW) return 0;
    return sqlite3_column_int64(st->get(), 0);
  }

  // A transaction whose loss with the machine's power (never with the process: the WAL is written
  // before it returns) does no harm: an outbox row published again (consumers deduplicate by
  // event_id), a timer fired again (its input id is applied once). It skips the fsync, during which
  // the processor's commit would wait; the next durable commit's fsync covers it.
  template <typename F>
  Result<Ok> without_fsync(F&& body) {
    if (auto r = exec("PRAGMA synchronous=NORMAL"); !r) return r;
    auto result = in_transaction(std::forward<F>(body));
    if (auto r = durable(); !r) return r;
    return result;
  }

  // Commits fsync again (synchronous=FULL); until that succeeds, durable writes are refused.
  Result<Ok> durable() {
    auto r = exec("PRAGMA synchronous=FULL");
    fsync_off_ = !r;
    return r;
  }

  template <typename F>
  Result<Ok> in_transaction(F&& body) {
    if (auto r = exec("BEGIN IMMEDIATE"); !r) return r;
    auto r = body();
    if (!r) {
      rollback();
      return r;
    }
    if (auto c = exec("COMMIT"); !c) {
      rollback();
      return c;
    }
    return Ok{};
  }

  Result<Stmt> prepare(const char* sql) { return prepare_cached(db_.get(), statements_, sql); }

  // Adds the read side's columns a store made before them lacks (kReadSideColumns), then its indexes
  // and journal. Their rows wait for list_unlisted.
  void migrate_read_side() {
    std::set<std::string> have;
    {
      auto st = prepare("PRAGMA table_info(transactions)");
      if (!st) throw std::runtime_error(st.error().message);
      while (sqlite3_step(st->get()) == SQLITE_ROW) have.emplace(column_view(st->get(), 1));
    }
    std::string sql;
    for (const auto& [name, type] : kReadSideColumns)
      if (!have.contains(name)) sql += std::string("ALTER TABLE transactions ADD COLUMN ") + name + " " + type + ";";
    if (!sql.empty()) exec_or_throw(("BEGIN IMMEDIATE;" + sql + "COMMIT;").c_str());
    exec_or_throw(kReadSideSchema);
  }

  // Binds merchant, reference, provider, flow, created_at_ms, status and attention from `first`.
  // `status` null: both bound NULL (the upsert keeps what the row had).
  // `t` and `status` outlive the statement's step (bind_kept).
  static void bind_listing(sqlite3_stmt* st, int first, const Transaction& t, const std::string* status) {
    bind_kept(st, first, t.merchant);
    bind_kept(st, first + 1, t.reference);
    bind_kept(st, first + 2, t.provider);
    bind_kept(st, first + 3, t.flow);
    sqlite3_bind_int64(st, first + 4, t.created_at_ms);
    if (status == nullptr) {
      sqlite3_bind_null(st, first + 5);
      sqlite3_bind_null(st, first + 6);
    } else {
      bind_kept(st, first + 5, *status);
      sqlite3_bind_int(st, first + 6, needs_attention(t, *status) ? 1 : 0);
    }
  }

  // Copies the WAL into the database file (and fsyncs it) off the processor's commit path, once a
  // second: well before the writer's own threshold at corridor's rates (wal_autocheckpoint, 20,000
  // pages), and seldom enough not to copy and sync again and again the pages every commit changes (at
  // 1,000 payins/s the lifecycle's p99 was worse with a checkpoint every 50 ms than with the writer's
  // alone; once a second, alike). PASSIVE: it never waits for, nor holds up, the writer or the readers.
  void checkpoint_loop() {
    pthread_setname_np(pthread_self(), "corridor-ckpt");
    sqlite3* raw = nullptr;
    if (sqlite3_open_v2(path_.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
      std::cerr << "store: cannot open " << path_ << " for checkpoints: " << (raw ? sqlite3_errmsg(raw) : "out of memory")
                << "; the writer checkpoints" << std::endl;
      sqlite3_close_v2(raw);
      return;
    }
    std::unique_ptr<sqlite3, DbDeleter> db(raw);
    sqlite3_busy_timeout(db.get(), 5000);
    // A connection learns that the file is in WAL mode when it first reads it: until then a checkpoint
    // through it copies nothing (and says so with -1 frames), and the writer checkpoints on its own.
    if (sqlite3_exec(db.get(), "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr) != SQLITE_OK)
      std::cerr << "store: cannot read " << path_ << " for checkpoints: " << sqlite3_errmsg(db.get())
                << "; the writer checkpoints" << std::endl;
    std::unique_lock lock(checkpoint_mu_);
    while (!stopping_) {
      checkpoint_cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
      if (stopping_) break;
      lock.unlock();
      int frames = 0, copied = 0;
      sqlite3_wal_checkpoint_v2(db.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &frames, &copied);
      lock.lock();
    }
  }

  struct ReaderLease {
    std::unique_lock<std::mutex> lock;
    Reader* connection = nullptr;
  };

  // A reading connection to itself: the calling thread's slot when free, else any free one, else it
  // waits for its own slot (another reader, never the writer).
  Result<ReaderLease> lease_reader() {
    const std::size_t home = std::hash<std::thread::id>{}(std::this_thread::get_id()) % kReaders;
    ReaderLease lease;
    for (std::size_t i = 0; i < kReaders && !lease.lock.owns_lock(); ++i) {
      const std::size_t slot = (home + i) % kReaders;
      lease.lock = std::unique_lock(readers_[slot].mu, std::try_to_lock);
      if (lease.lock.owns_lock()) lease.connection = open_reader(readers_[slot]);
    }
    if (!lease.lock.owns_lock()) {
      lease.lock = std::unique_lock(readers_[home].mu);
      lease.connection = open_reader(readers_[home]);
    }
    if (lease.connection == nullptr) return fail(store_errc::unavailable, "store: cannot open a reading connection to " + path_);
    return lease;
  }

  // Under the slot's lock.
  Reader* open_reader(ReaderSlot& slot) {
    if (!slot.reader) {
      try {
        slot.reader = std::make_unique<Reader>(path_);
      } catch (const std::exception& e) {
        std::cerr << e.what() << std::endl;
        return nullptr;
      }
    }
    return slot.reader.get();
  }

  static void bind(sqlite3_stmt* st, int i, const std::string& s) {
    sqlite3_bind_text(st, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  // Bound without a copy (SQLITE_STATIC): for text that stays as it is until the statement has stepped
  // and step_done() has cleared its bindings, as a batch's rows do while write_batch() writes them.
  static void bind_kept(sqlite3_stmt* st, int i, const std::string& s) {
    sqlite3_bind_text(st, i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
  }
  static void bind_kept(sqlite3_stmt* st, int i, std::string&& s) = delete;  // a temporary is gone before the step

  // A row of kReadOutbox. An event's row whose event the history lacks is an error, never an empty body
  // (the two are written in one transaction and events are never deleted: it does not happen).
  static Result<OutboxRow> outbox_row(sqlite3_stmt* st) {
    if (sqlite3_column_type(st, 3) == SQLITE_NULL)
      return fail(store_errc::statement_failed, "store: outbox row " + std::to_string(sqlite3_column_int64(st, 0)) +
                                                    " names event version " + std::to_string(sqlite3_column_int64(st, 6)) +
                                                    " of " + column(st, 2) + ", which the history does not hold");
    return OutboxRow{sqlite3_column_int64(st, 0), column(st, 1), column(st, 2), column(st, 3),
                     headers_from_text(column_view(st, 4)), sqlite3_column_int(st, 5)};
  }

  static std::string column(sqlite3_stmt* st, int i) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(st, i))) : std::string();
  }

  // Valid until the statement steps again or is reset.
  static std::string_view column_view(sqlite3_stmt* st, int i) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(st, i))) : std::string_view();
  }

  Result<Ok> step_done(sqlite3_stmt* st, const char* what) {
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) return error(what);
    return Ok{};
  }

  Result<Ok> exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_.get(), sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      return fail(store_errc::statement_failed, std::string("store: ") + sql + ": " + msg);
    }
    return Ok{};
  }

  // A failed rollback leaves nothing to do: SQLite rolls back on its own when the statement failed.
  void rollback() { (void)exec("ROLLBACK"); }

  void exec_or_throw(const char* sql) {
    if (auto r = exec(sql); !r) throw std::runtime_error(r.error().message);
  }

  Error error(const std::string& what) {
    // Disk full, read-only or busy: the batch is retried once the condition clears.
    return fail(store_errc::statement_failed, "store: " + what + ": " + sqlite3_errmsg(db_.get()));
  }

  std::mutex mu_;
  bool fsync_off_ = false;  // under mu_: without_fsync could not restore synchronous=FULL
  std::unique_ptr<sqlite3, DbDeleter> db_;
  // Declared after db_: finalized before the connection closes.
  StatementCache statements_;

  std::string path_;
  std::array<ReaderSlot, kReaders> readers_;

  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool stopping_ = false;
  std::thread checkpointer_;  // last: started once everything above exists
};

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const std::string& path) { return std::make_unique<SqliteStore>(path); }

StoreWriterLock::~StoreWriterLock() { ::close(fd_); }

Result<std::unique_ptr<StoreWriterLock>> lock_sqlite_writer(const std::string& path) {
  if (auto dir = std::filesystem::path(path).parent_path(); !dir.empty()) std::filesystem::create_directories(dir);
  const std::string lock_path = path + ".lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return fail(store_errc::unavailable, "cannot open " + lock_path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char pid[32] = {};
    const ssize_t n = ::pread(fd, pid, sizeof pid - 1, 0);
    ::close(fd);
    std::string holder = n > 0 ? std::string(pid, static_cast<std::size_t>(n)) : std::string();
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    return fail(store_errc::in_use, "the store " + path + " is in use by another corridor process" +
                                        (holder.empty() ? std::string() : " (pid " + holder + ")") +
                                        ": one process writes a SQLite store; several need store.kind postgres");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The lock holds without the pid: it only names the holder in the refusal.
  }
  return std::make_unique<StoreWriterLock>(fd);
}

bool needs_attention(const Transaction& t, std::string_view status) {
  return status == "unknown" || status == "amount_mismatch" || (t.attention && t.attention->version == t.version);
}

}  // namespace corridor
