// PostgresStore, the Store (store.hpp) on PostgreSQL through libpq. One file, as store_sqlite.cpp is:
// the wire helpers, the connections, the migrations and the queries depend on one another, and
// nothing outside needs them.
//
// Parameters and results travel in PostgreSQL's binary format: text as its bytes, integers big-endian,
// arrays as one buffer. A batch's rows go as arrays, one statement per table (unnest), so a batch of
// any size costs the same dozen statements, sent together in one round trip (libpq's pipeline mode).
#include "engine/store/store_postgres.hpp"

#include <arpa/inet.h>
#include <libpq-fe.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "engine/store/errc.hpp"
#include "engine/store/outbox_headers.hpp"

namespace corridor {

namespace {


// ---- The binary wire format ----------------------------------------------------------------------
constexpr Oid kInt4 = 23, kInt8 = 20, kText = 25;

// The SQLSTATE corridor_check_fences raises for a stale epoch (class CF: corridor's own).
constexpr std::string_view kFencedState = "CF001";

void put32(std::string& out, std::int32_t v) {
  const std::uint32_t n = htonl(static_cast<std::uint32_t>(v));
  out.append(reinterpret_cast<const char*>(&n), 4);
}
void put64(std::string& out, std::int64_t v) {
  const auto u = static_cast<std::uint64_t>(v);
  put32(out, static_cast<std::int32_t>(u >> 32));
  put32(out, static_cast<std::int32_t>(u & 0xffffffffu));
}
std::int32_t get32(const char* p) {
  std::uint32_t n;
  std::memcpy(&n, p, 4);
  return static_cast<std::int32_t>(ntohl(n));
}
std::int64_t get64(const char* p) {
  return static_cast<std::int64_t>((static_cast<std::uint64_t>(static_cast<std::uint32_t>(get32(p))) << 32) |
                                   static_cast<std::uint32_t>(get32(p + 4)));
}

constexpr auto same = [](const auto& v) -> const auto& { return v; };

// A one-dimensional array: its header, then each element's length (-1: NULL) and bytes.
class ArrayWriter {
 public:
  ArrayWriter(Oid element, std::size_t count) {
    put32(out_, count == 0 ? 0 : 1);
    put32(out_, 0);  // has-nulls flag: the server reads each element's length anyway
    put32(out_, static_cast<std::int32_t>(element));
    if (count > 0) {
      put32(out_, static_cast<std::int32_t>(count));
      put32(out_, 1);
    }
  }
  void text(std::string_view s) {
    put32(out_, static_cast<std::int32_t>(s.size()));
    out_.append(s);
  }
  void null() { put32(out_, -1); }
  void int8(std::int64_t v) {
    put32(out_, 8);
    put64(out_, v);
  }
  void int4(std::int32_t v) {
    put32(out_, 4);
    put32(out_, v);
  }
  std::string done() { return std::move(out_); }

 private:
  std::string out_;
};

// A statement's parameters, each in binary format.
class Params {
 public:
  Params& text(std::string_view s) { return add(std::string(s)); }
  Params& int8(std::int64_t v) {
    std::string b;
    put64(b, v);
    return add(std::move(b));
  }
  Params& int4(std::int32_t v) {
    std::string b;
    put32(b, v);
    return add(std::move(b));
  }
  template <typename Range, typename F>
  Params& texts(const Range& items, F get) {
    ArrayWriter a(kText, std::size(items));
    for (const auto& item : items) a.text(get(item));
    return add(a.done());
  }
  template <typename Range, typename F>
  Params& int8s(const Range& items, F get) {
    ArrayWriter a(kInt8, std::size(items));
    for (const auto& item : items) a.int8(get(item));
    return add(a.done());
  }
  template <typename Range, typename F>
  Params& int4s(const Range& items, F get) {
    ArrayWriter a(kInt4, std::size(items));
    for (const auto& item : items) a.int4(get(item));
    return add(a.done());
  }
  Params& add_array(std::string bytes) { return add(std::move(bytes)); }

  int count() const { return static_cast<int>(buffers_.size()); }
  // Pointers into this object's buffers, taken when asked: a copied Params points into its own.
  const char* const* values() const {
    values_.clear();
    for (const auto& b : buffers_) values_.push_back(b.data());
    return values_.data();
  }
  const int* lengths() const {
    lengths_.clear();
    for (const auto& b : buffers_) lengths_.push_back(static_cast<int>(b.size()));
    return lengths_.data();
  }
  const int* formats() const {
    formats_.assign(buffers_.size(), 1);
    return formats_.data();
  }

 private:
  Params& add(std::string bytes) {
    buffers_.push_back(std::move(bytes));
    return *this;
  }
  std::deque<std::string> buffers_;
  mutable std::vector<const char*> values_;
  mutable std::vector<int> lengths_, formats_;
};

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// A statement's rows in binary format.
class Rows {
 public:
  explicit Rows(ResultPtr r) : r_(std::move(r)) {}
  int size() const { return PQntuples(r_.get()); }
  bool null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string_view text(int row, int col) const {
    return {PQgetvalue(r_.get(), row, col), static_cast<std::size_t>(PQgetlength(r_.get(), row, col))};
  }
  std::string str(int row, int col) const { return std::string(text(row, col)); }
  std::int64_t int8(int row, int col) const { return get64(PQgetvalue(r_.get(), row, col)); }
  std::int32_t int4(int row, int col) const { return get32(PQgetvalue(r_.get(), row, col)); }
  bool boolean(int row, int col) const { return PQgetvalue(r_.get(), row, col)[0] != 0; }

 private:
  ResultPtr r_;
};

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// One connection and the statements prepared on it. Broken (the server restarted, the network
// failed), it is opened again at its next use; what it had prepared is prepared again.
class Connection {
 public:
  // `setup` runs on every (re)connection: the session's settings.
  Connection(std::string url, std::function<Result<Ok>(Connection&)> setup = {})
      : url_(std::move(url)), setup_(std::move(setup)) {}

  Result<Ok> ready() {
    if (conn_ && PQstatus(conn_.get()) == CONNECTION_OK) return Ok{};
    prepared_.clear();
    // The URL's own settings win over these defaults: they come after them (expand_dbname).
    const char* const keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
    const char* const values[] = {"10", "corridor", url_.c_str(), nullptr};
    conn_.reset(PQconnectdbParams(keywords, values, 1));
    if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK) {
      std::string why = conn_ ? trimmed(PQerrorMessage(conn_.get())) : "out of memory";
      conn_.reset();
      return fail(store_errc::unavailable, "store: cannot connect to PostgreSQL at " + where() + ": " +
                                               redact_postgres_url(url_, why));
    }
    // The server's notices ("already exists, skipping") are not corridor's to print.
    PQsetNoticeProcessor(conn_.get(), [](void*, const char*) {}, nullptr);
    if (setup_) {
      if (auto r = setup_(*this); !r) {
        conn_.reset();
        return r;
      }
    }
    return Ok{};
  }

  // Runs `sql` as a statement prepared once on this connection; rows in binary format.
  Result<Rows> run(const std::string& sql, const Params& p, const char* what) {
    if (auto r = ready(); !r) return r.error();
    auto name = prepare(sql, what);
    if (!name) return name.error();
    ResultPtr r(PQexecPrepared(conn_.get(), name->c_str(), p.count(), p.values(), p.lengths(), p.formats(), 1));
    if (!r || (PQresultStatus(r.get()) != PGRES_TUPLES_OK && PQresultStatus(r.get()) != PGRES_COMMAND_OK))
      return error(what, r.get());
    return Rows(std::move(r));
  }

  // A statement without parameters or rows (BEGIN, COMMIT, SET).
  Result<Ok> exec(const char* sql, const char* what) {
    if (auto r = ready(); !r) return r;
    ResultPtr r(PQexec(conn_.get(), sql));
    if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) return error(what, r.get());
    return Ok{};
  }

  // Statements sent together and answered together (one round trip), each `what` naming its
  // statement in a failure. They run in order and stop at the first failure; a transaction they began
  // and did not end is rolled back.
  struct Queued {
    std::string sql;
    Params params;
    const char* what;
  };
  Result<std::vector<Rows>> pipeline(std::vector<Queued>& queued) {
    if (auto r = ready(); !r) return r.error();
    for (auto& q : queued) {
      if (auto name = prepare(q.sql, q.what); !name) return name.error();
    }
    PGconn* c = conn_.get();
    if (PQenterPipelineMode(c) != 1) return error("enter pipeline mode", nullptr);
    bool sent = true;
    for (auto& q : queued) {
      const std::string& name = prepared_[q.sql];
      if (PQsendQueryPrepared(c, name.c_str(), q.params.count(), q.params.values(), q.params.lengths(),
                              q.params.formats(), 1) != 1) {
        sent = false;
        break;
      }
    }
    if (sent) sent = PQpipelineSync(c) == 1;
    std::vector<Rows> out;
    std::optional<Error> failed;
    if (!sent) failed = error("send a batch", nullptr);
    // Every answer is read up to the sync, whatever failed, so that the connection is usable after:
    // each statement's result then a null; an error aborts the statements after it.
    for (std::size_t i = 0; sent && i < queued.size(); ++i) {
      ResultPtr first(PQgetResult(c));
      if (!first) {
        failed = failed ? failed : error(queued[i].what, nullptr);
        sent = false;
        break;
      }
      while (ResultPtr more{PQgetResult(c)}) {
      }
      const auto status = PQresultStatus(first.get());
      if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
        out.emplace_back(std::move(first));
      } else if (!failed) {
        failed = error(queued[i].what, first.get());
      }
    }
    bool clean = false;
    if (sent) {
      ResultPtr sync(PQgetResult(c));
      clean = sync && PQresultStatus(sync.get()) == PGRES_PIPELINE_SYNC;
    }
    if (!clean || PQexitPipelineMode(c) != 1) {
      conn_.reset();  // answers out of step: a fresh connection next time
      return failed ? *failed : fail(store_errc::unavailable, "store: a batch's answers were lost with the connection");
    }
    if (PQtransactionStatus(c) == PQTRANS_INERROR || PQtransactionStatus(c) == PQTRANS_INTRANS) {
      ResultPtr r(PQexec(c, "ROLLBACK"));
    }
    if (failed) return *failed;
    return out;
  }

  Error error(const char* what, const PGresult* r) {
    const bool broken = !conn_ || PQstatus(conn_.get()) != CONNECTION_OK;
    std::string why = r != nullptr ? PQresultErrorMessage(r) : "";
    if (why.empty() && conn_) why = PQerrorMessage(conn_.get());
    const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    std::string message = "store: " + std::string(what) + ": " + redact_postgres_url(url_, trimmed(why));
    if (state != nullptr && std::string_view(state) == kFencedState) return fail(store_errc::fenced, message);
    return fail(broken ? store_errc::unavailable : store_errc::statement_failed, message);
  }

  // host:port/db, without the user's password: for messages.
  std::string where() const {
    PQconninfoOption* opts = PQconninfoParse(url_.c_str(), nullptr);
    if (opts == nullptr) return "(a connection string that does not parse)";
    std::string host, port, db;
    for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
      if (o->val == nullptr) continue;
      if (std::strcmp(o->keyword, "host") == 0 || (std::strcmp(o->keyword, "hostaddr") == 0 && host.empty())) host = o->val;
      if (std::strcmp(o->keyword, "port") == 0) port = o->val;
      if (std::strcmp(o->keyword, "dbname") == 0) db = o->val;
    }
    PQconninfoFree(opts);
    return redact_postgres_url(url_, (host.empty() ? "localhost" : host) + ":" + (port.empty() ? "5432" : port) + "/" + db);
  }

 private:
  Result<std::string> prepare(const std::string& sql, const char* what) {
    auto it = prepared_.find(sql);
    if (it != prepared_.end()) return it->second;
    std::string name = "corridor_" + std::to_string(prepared_.size());
    ResultPtr r(PQprepare(conn_.get(), name.c_str(), sql.c_str(), 0, nullptr));
    if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) return error(what, r.get());
    prepared_.emplace(sql, name);
    return name;
  }

  std::string url_;
  std::function<Result<Ok>(Connection&)> setup_;
  std::unique_ptr<PGconn, ConnDeleter> conn_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
};

// ---- Migrations -----------------------------------------------------------------------------------
// Applied in order, each once, inside the transaction that takes the advisory lock below; a version
// is never edited once released, only followed. Text keys are compared as bytes (COLLATE "C"), as
// SQLite compares them, so orders and keyset cursors are the same on both stores whatever the
// database's locale.
struct Migration {
  int version;
  const char* sql;
};
constexpr Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE transactions (
  txn_id text COLLATE "C" PRIMARY KEY, state text NOT NULL, version bigint NOT NULL, doc text NOT NULL,
  traceparent text NOT NULL DEFAULT '',
  merchant text COLLATE "C", reference text COLLATE "C", provider text COLLATE "C", flow text COLLATE "C",
  status text COLLATE "C", created_at_ms bigint, attention integer NOT NULL DEFAULT 0
);
CREATE INDEX transactions_created ON transactions (created_at_ms, txn_id);
CREATE INDEX transactions_merchant ON transactions (merchant, created_at_ms, txn_id);
CREATE INDEX transactions_reference ON transactions (reference, created_at_ms, txn_id);
CREATE INDEX transactions_status ON transactions (status, created_at_ms, txn_id);
CREATE INDEX transactions_attention ON transactions (created_at_ms, txn_id) WHERE attention = 1;
CREATE INDEX transactions_unlisted ON transactions (txn_id) WHERE status IS NULL;
CREATE TABLE events (
  txn_id text COLLATE "C" NOT NULL, version bigint NOT NULL, body text NOT NULL, PRIMARY KEY (txn_id, version)
);
CREATE TABLE outbox (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, topic text NOT NULL, key text NOT NULL, body text NOT NULL,
  headers text NOT NULL DEFAULT ''
);
CREATE TABLE calls (
  call_id text COLLATE "C" PRIMARY KEY, doc text NOT NULL, attempted boolean NOT NULL DEFAULT false
);
CREATE TABLE timers (
  txn_id text COLLATE "C" NOT NULL, name text COLLATE "C" NOT NULL, due_at bigint NOT NULL, input_id text NOT NULL,
  PRIMARY KEY (txn_id, name)
);
CREATE INDEX timers_due ON timers (due_at, txn_id, name);
CREATE TABLE processed_inputs (
  input_id text COLLATE "C" PRIMARY KEY, digest text NOT NULL DEFAULT '', at_ms bigint NOT NULL DEFAULT 0
);
CREATE INDEX processed_inputs_at ON processed_inputs (at_ms);
CREATE TABLE offsets (
  topic text COLLATE "C" NOT NULL, partition integer NOT NULL, next_offset bigint NOT NULL, PRIMARY KEY (topic, partition)
);
CREATE TABLE journal (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, txn_id text COLLATE "C" NOT NULL, at_ms bigint NOT NULL,
  kind text NOT NULL, name text NOT NULL, detail text NOT NULL
);
CREATE INDEX journal_txn ON journal (txn_id, id);
)sql"},
    // Partition ownership (store.hpp): each partition's epoch and owner, and the partition of the
    // rows each process's relay, executor and scheduler read. Rows made before it belong to none (-1).
    {2, R"sql(
CREATE TABLE partition_owners (
  topic text COLLATE "C" NOT NULL, partition integer NOT NULL, epoch bigint NOT NULL, owner text NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (topic, partition)
);
ALTER TABLE outbox ADD COLUMN partition integer NOT NULL DEFAULT -1;
ALTER TABLE calls ADD COLUMN partition integer NOT NULL DEFAULT -1;
ALTER TABLE timers ADD COLUMN partition integer NOT NULL DEFAULT -1;
CREATE INDEX outbox_partition ON outbox (partition, id);
CREATE INDEX calls_partition ON calls (partition, call_id);
CREATE INDEX timers_partition_due ON timers (partition, due_at);
-- A batch's fences, first in its transaction: the partitions' rows held against a claim (FOR SHARE, in
-- key order) until the transaction ends, then each epoch compared with the one the batch carries (no
-- row: epoch 0). Raises CF001 when one is stale, which fails the transaction.
CREATE FUNCTION corridor_check_fences(topics text[], partitions integer[], epochs bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  stale text;
BEGIN
  PERFORM 1 FROM partition_owners p
    WHERE (p.topic, p.partition) IN (SELECT u.topic, u.partition FROM unnest(topics, partitions) AS u(topic, partition))
    ORDER BY p.topic, p.partition FOR SHARE;
  SELECT string_agg(format('%s partition %s is at epoch %s, not %s', f.topic, f.partition, coalesce(p.epoch, 0), f.epoch),
                    '; ')
    INTO stale
    FROM unnest(topics, partitions, epochs) AS f(topic, partition, epoch)
    LEFT JOIN partition_owners p ON p.topic = f.topic AND p.partition = f.partition
    WHERE coalesce(p.epoch, 0) <> f.epoch;
  IF stale IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CF001', MESSAGE = stale || ': another process owns it; nothing was written';
  END IF;
END $$;
)sql"},
};

// Any 64-bit number corridor alone uses: the lock every opening process takes before migrating.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7310302853146650946)";

// Up to kReaders reading connections, opened when first needed; a thread prefers its own slot.
constexpr std::size_t kReaders = 6;
struct ReaderSlot {
  std::mutex mu;
  std::unique_ptr<Connection> connection;
};

// The last value for each key among `items` (SqliteStore's INSERT OR REPLACE keeps the last of a batch;
// one PostgreSQL upsert may not touch a row twice), in first-seen order.
template <typename T, typename Key>
std::vector<const T*> last_by(const std::vector<T>& items, Key key) {
  std::map<decltype(key(items.front())), std::size_t> at;
  std::vector<const T*> out;
  for (const auto& item : items) {
    auto [it, fresh] = at.emplace(key(item), out.size());
    if (fresh) out.push_back(&item);
    else out[it->second] = &item;
  }
  return out;
}

class PostgresStore final : public Store {
 public:
  explicit PostgresStore(std::string url)
      : url_(std::move(url)), writer_(url_, [this](Connection& c) { return writer_setup(c); }) {}

  Result<Ok> open() {
    if (auto r = writer_.ready(); !r) return r;
    return migrate();
  }

  Result<std::map<std::string, Transaction>> load_many(const std::vector<std::string>& txn_ids) override {
    std::map<std::string, Transaction> out;
    if (txn_ids.empty()) return out;
    auto rows = read("SELECT txn_id, doc FROM transactions WHERE txn_id = ANY($1::text[])",
                     Params().texts(txn_ids, same), "load transactions");
    if (!rows) return rows.error();
    for (int i = 0; i < rows->size(); ++i) {
      auto t = transaction_from_json(boost::json::parse(rows->text(i, 1)));
      if (!t) return t.error();
      out.emplace(rows->str(i, 0), std::move(*t));
    }
    return out;
  }

  Result<std::map<std::string, std::string>> processed_among(const std::vector<std::string>& input_ids) override {
    return pairs("SELECT input_id, digest FROM processed_inputs WHERE input_id = ANY($1::text[])", input_ids,
                 "look up processed inputs");
  }

  Result<std::map<std::string, std::string>> traceparents_among(const std::vector<std::string>& txn_ids) override {
    return pairs("SELECT txn_id, traceparent FROM transactions WHERE txn_id = ANY($1::text[]) AND traceparent <> ''",
                 txn_ids, "look up traceparents");
  }

  Result<std::map<std::int32_t, std::int64_t>> offsets(const std::string& topic) override {
    auto rows = read("SELECT partition, next_offset FROM offsets WHERE topic = $1::text", Params().text(topic),
                     "read offsets");
    if (!rows) return rows.error();
    std::map<std::int32_t, std::int64_t> out;
    for (int i = 0; i < rows->size(); ++i) out[rows->int4(i, 0)] = rows->int8(i, 1);
    return out;
  }

  Result<Ok> reset_offsets(const std::string& topic) override {
    return write("DELETE FROM offsets WHERE topic = $1::text", Params().text(topic), "reset offsets");
  }

  Result<Ok> commit(const StoreBatch& b) override {
    std::lock_guard lock(mu_);
    if (auto r = within_size(); !r) return r;
    std::vector<Connection::Queued> q;
    q.push_back({"BEGIN", Params(), "begin a batch"});
    queue_fences(b.fences, q);
    queue_batch(b, q);
    q.push_back({"COMMIT", Params(), "commit a batch"});
    auto r = writer_.pipeline(q);
    if (!r) return r.error();
    return Ok{};
  }

  // With a filter, one index range per partition (outbox_partition), merged in id order.
  Result<std::vector<OutboxRow>> outbox(std::size_t limit, std::int64_t after_id, PartitionFilter only) override {
    Params p;
    p.int8(after_id).int8(static_cast<std::int64_t>(limit));
    if (only != nullptr) p.int4s(*only, same);
    auto rows = read(only == nullptr ? "SELECT id, topic, key, body, headers, partition FROM outbox WHERE id > $1::int8 "
                                       "ORDER BY id LIMIT $2::int8"
                                     : "SELECT id, topic, key, body, headers, partition FROM outbox WHERE id > $1::int8 "
                                       "AND partition = ANY($3::int4[]) ORDER BY id LIMIT $2::int8",
                     p, "read outbox");
    if (!rows) return rows.error();
    return outbox_from(*rows);
  }

  Result<std::vector<OutboxRow>> outbox_rows(const std::vector<std::int64_t>& ids) override {
    auto rows = read("SELECT o.id, o.topic, o.key, o.body, o.headers, o.partition FROM unnest($1::int8[]) WITH ORDINALITY AS u(id, n) "
                     "JOIN outbox o ON o.id = u.id ORDER BY u.n",
                     Params().int8s(ids, same), "read outbox rows");
    if (!rows) return rows.error();
    return outbox_from(*rows);
  }

  // Losing this commit with the machine's power does no harm (a row published again; consumers
  // deduplicate by event_id): it does not wait for the WAL's flush, as SqliteStore's does not fsync.
  Result<Ok> remove_outbox(const std::vector<std::int64_t>& ids) override {
    if (ids.empty()) return Ok{};
    std::lock_guard lock(mu_);
    std::vector<Connection::Queued> q;
    q.push_back({"BEGIN", Params(), "begin"});
    q.push_back({"SET LOCAL synchronous_commit = off", Params(), "skip the flush"});
    q.push_back({"DELETE FROM outbox WHERE id = ANY($1::int8[])", Params().int8s(ids, same), "delete outbox rows"});
    q.push_back({"COMMIT", Params(), "commit"});
    auto r = writer_.pipeline(q);
    if (!r) return r.error();
    return Ok{};
  }

  Result<std::vector<PendingCall>> pending_calls(std::size_t limit, PartitionFilter only) override {
    Params p;
    p.int8(static_cast<std::int64_t>(limit));
    if (only != nullptr) p.int4s(*only, same);
    auto rows = read(only == nullptr ? "SELECT doc, attempted, partition FROM calls ORDER BY call_id LIMIT $1::int8"
                                     : "SELECT doc, attempted, partition FROM calls WHERE partition = ANY($2::int4[]) "
                                       "ORDER BY call_id LIMIT $1::int8",
                     p, "read calls");
    if (!rows) return rows.error();
    std::vector<PendingCall> out;
    for (int i = 0; i < rows->size(); ++i) {
      auto c = provider_call_from_json(boost::json::parse(rows->text(i, 0)));
      if (c) out.push_back({std::move(*c), rows->boolean(i, 1), rows->int4(i, 2)});
    }
    return out;
  }

  // With a fence, the claim of a call before it is sent: the partition's epoch checked and held, then
  // the mark, in one transaction (one round trip: the check fails the transaction when stale).
  Result<Ok> mark_call_attempted(const std::string& answer_id, const PartitionEpoch* fence) override {
    const char* mark = "UPDATE calls SET attempted = true WHERE call_id = $1::text";
    if (fence == nullptr) return write(mark, Params().text(answer_id), "mark call attempted");
    std::lock_guard lock(mu_);
    std::vector<Connection::Queued> q;
    q.push_back({"BEGIN", Params(), "begin"});
    queue_fences({*fence}, q);
    q.push_back({mark, Params().text(answer_id), "mark call attempted"});
    q.push_back({"COMMIT", Params(), "commit"});
    auto r = writer_.pipeline(q);
    if (!r) return r.error();
    return Ok{};
  }

  // One statement: the epoch grows by one (or starts at 1) and is returned; two claimants never hold
  // the same one. A commit holding the partition (its fence's FOR SHARE) makes the claim wait for it.
  Result<std::int64_t> claim_partition(const std::string& topic, std::int32_t partition,
                                       const std::string& owner) override {
    std::lock_guard lock(mu_);
    auto rows = writer_.run(
        "INSERT INTO partition_owners AS p (topic, partition, epoch, owner) VALUES ($1::text, $2::int4, 1, $3::text) "
        "ON CONFLICT (topic, partition) DO UPDATE SET epoch = p.epoch + 1, owner = excluded.owner, claimed_at = now() "
        "RETURNING epoch",
        Params().text(topic).int4(partition).text(owner), "claim partition");
    if (!rows) return rows.error();
    return rows->int8(0, 0);
  }

  Result<std::map<std::int32_t, std::int64_t>> partition_epochs(const std::string& topic) override {
    auto rows = read("SELECT partition, epoch FROM partition_owners WHERE topic = $1::text", Params().text(topic),
                     "read partition epochs");
    if (!rows) return rows.error();
    std::map<std::int32_t, std::int64_t> out;
    for (int i = 0; i < rows->size(); ++i) out[rows->int4(i, 0)] = rows->int8(i, 1);
    return out;
  }

  Result<Ok> complete_call(const std::string& answer_id) override {
    return write("DELETE FROM calls WHERE call_id = $1::text", Params().text(answer_id), "complete call");
  }

  Result<std::vector<TimerRow>> due_timers(std::int64_t now_ms, std::size_t limit, PartitionFilter only) override {
    Params p;
    p.int8(now_ms).int8(static_cast<std::int64_t>(limit));
    if (only != nullptr) p.int4s(*only, same);
    auto rows = read(only == nullptr ? "SELECT txn_id, name, due_at, input_id, partition FROM timers WHERE due_at <= $1::int8 "
                                       "ORDER BY due_at, txn_id, name LIMIT $2::int8"
                                     : "SELECT txn_id, name, due_at, input_id, partition FROM timers WHERE due_at <= $1::int8 "
                                       "AND partition = ANY($3::int4[]) ORDER BY due_at, txn_id, name LIMIT $2::int8",
                     p, "read timers");
    if (!rows) return rows.error();
    std::vector<TimerRow> out;
    for (int i = 0; i < rows->size(); ++i)
      out.push_back({rows->str(i, 0), rows->str(i, 1), rows->int8(i, 2), rows->str(i, 3), rows->int4(i, 4)});
    return out;
  }

  Result<Ok> remove_timers(const std::vector<TimerRow>& fired) override {
    if (fired.empty()) return Ok{};
    std::lock_guard lock(mu_);
    std::vector<Connection::Queued> q;
    q.push_back({"BEGIN", Params(), "begin"});
    q.push_back({"SET LOCAL synchronous_commit = off", Params(), "skip the flush"});
    q.push_back({"DELETE FROM timers t USING unnest($1::text[], $2::text[], $3::text[]) AS u(txn_id, name, input_id) "
                 "WHERE t.txn_id = u.txn_id AND t.name = u.name AND t.input_id = u.input_id",
                 Params()
                     .texts(fired, [](const TimerRow& t) -> std::string_view { return t.txn_id; })
                     .texts(fired, [](const TimerRow& t) -> std::string_view { return t.name; })
                     .texts(fired, [](const TimerRow& t) -> std::string_view { return t.input_id; }),
                 "remove timers"});
    q.push_back({"COMMIT", Params(), "commit"});
    auto r = writer_.pipeline(q);
    if (!r) return r.error();
    return Ok{};
  }

  // PostgreSQL has no page cap: the cap is compared with pg_database_size before each batch, so a
  // batch that starts under it may end a batch's size above it (a batch is a few MiB at most).
  Result<Ok> limit_size(std::int64_t max_bytes) override {
    std::lock_guard lock(mu_);
    max_bytes_ = max_bytes > 0 ? max_bytes : 0;
    return Ok{};
  }

  Result<std::int64_t> size_bytes() override {
    auto rows = read("SELECT pg_database_size(current_database())", Params(), "read the database's size");
    if (!rows) return rows.error();
    return rows->int8(0, 0);
  }

  // Read-only through the writing connection's session default (default_transaction_read_only): every
  // write is refused by the server (SQLSTATE 25006, store.statement_failed) and reads go on.
  Result<Ok> set_read_only(bool read_only) override {
    std::lock_guard lock(mu_);
    read_only_ = read_only;
    return writer_.exec(read_only ? "SET default_transaction_read_only = on" : "SET default_transaction_read_only = off",
                        "set read-only");
  }

  Result<std::vector<json::object>> events_of(const std::string& txn_id) override {
    auto rows = read("SELECT body FROM events WHERE txn_id = $1::text ORDER BY version", Params().text(txn_id),
                     "read events");
    if (!rows) return rows.error();
    std::vector<json::object> out;
    for (int i = 0; i < rows->size(); ++i) {
      auto v = boost::json::parse(rows->text(i, 0));
      if (v.is_object()) out.push_back(std::move(v.get_object()));
    }
    return out;
  }

  Result<std::int64_t> count_transactions() override {
    auto rows = read("SELECT count(*) FROM transactions", Params(), "count transactions");
    if (!rows) return rows.error();
    return rows->int8(0, 0);
  }

  Result<bool> transaction_exists(const std::string& txn_id) override {
    auto rows = read("SELECT 1 FROM transactions WHERE txn_id = $1::text", Params().text(txn_id), "look up transaction");
    if (!rows) return rows.error();
    return rows->size() > 0;
  }

  Result<std::vector<std::string>> transaction_ids() override {
    auto rows = read("SELECT txn_id FROM transactions ORDER BY txn_id", Params(), "list transactions");
    if (!rows) return rows.error();
    std::vector<std::string> out;
    for (int i = 0; i < rows->size(); ++i) out.push_back(rows->str(i, 0));
    return out;
  }

  Result<std::optional<RowColumns>> row_columns(const std::string& txn_id) override {
    auto rows = read("SELECT state, version FROM transactions WHERE txn_id = $1::text", Params().text(txn_id),
                     "read a transaction's columns");
    if (!rows) return rows.error();
    if (rows->size() == 0) return std::optional<RowColumns>();
    return std::optional<RowColumns>(RowColumns{rows->str(0, 0), rows->int8(0, 1)});
  }

  Result<Backlog> backlog(std::int64_t now_ms, std::int64_t cap) override {
    auto rows = read("SELECT (SELECT count(*) FROM (SELECT 1 FROM outbox LIMIT $1::int8) o),"
                     " (SELECT count(*) FROM (SELECT 1 FROM calls LIMIT $1::int8) c),"
                     " (SELECT count(*) FROM (SELECT 1 FROM timers WHERE due_at <= $2::int8 LIMIT $1::int8) t)",
                     Params().int8(cap).int8(now_ms), "count the backlog");
    if (!rows) return rows.error();
    return Backlog{rows->int8(0, 0), rows->int8(0, 1), rows->int8(0, 2)};
  }

  Result<std::vector<Transaction>> list_transactions(const TransactionQuery& q) override {
    std::string sql = "SELECT doc FROM transactions WHERE true";
    Params p;
    int n = 0;
    auto next = [&n] { return "$" + std::to_string(++n); };
    const std::pair<const char*, const std::string*> filters[] = {
        {"merchant", &q.merchant}, {"reference", &q.reference}, {"status", &q.status},
        {"provider", &q.provider}, {"flow", &q.flow}};
    for (const auto& [column, value] : filters)
      if (!value->empty()) {
        sql += std::string(" AND ") + column + " = " + next() + "::text";
        p.text(*value);
      }
    if (q.since_ms) {
      sql += " AND created_at_ms >= " + next() + "::int8";
      p.int8(*q.since_ms);
    }
    if (q.attention_only) sql += " AND attention = 1";  // as written: the partial index's condition
    if (q.cursor) {
      sql += " AND (created_at_ms, txn_id) < (" + next() + "::int8, ";
      sql += next() + "::text)";
      p.int8(q.cursor->created_at_ms).text(q.cursor->txn_id);
    }
    sql += " ORDER BY created_at_ms DESC, txn_id DESC LIMIT " + next() + "::int8";
    p.int8(static_cast<std::int64_t>(q.limit));
    auto rows = read(sql, p, "list transactions");  // at most 2^8 shapes, each prepared once a connection
    if (!rows) return rows.error();
    std::vector<Transaction> out;
    for (int i = 0; i < rows->size(); ++i) {
      auto t = transaction_from_json(boost::json::parse(rows->text(i, 0)));
      if (!t) return t.error();
      out.push_back(std::move(*t));
    }
    return out;
  }

  Result<std::vector<JournalRow>> journal_of(const std::string& txn_id) override {
    auto rows = read("SELECT at_ms, kind, name, detail FROM journal WHERE txn_id = $1::text ORDER BY id",
                     Params().text(txn_id), "read journal");
    if (!rows) return rows.error();
    std::vector<JournalRow> out;
    for (int i = 0; i < rows->size(); ++i)
      out.push_back({txn_id, rows->int8(i, 0), rows->str(i, 1), rows->str(i, 2), rows->str(i, 3)});
    return out;
  }

  Result<std::size_t> list_unlisted(const std::function<std::string(const Transaction&)>& status_of) override {
    std::size_t done = 0;
    for (;;) {  // a thousand rows a transaction: a large store is filled without one huge commit
      auto rows = read("SELECT doc FROM transactions WHERE status IS NULL ORDER BY txn_id LIMIT 1000", Params(),
                       "find unlisted transactions");
      if (!rows) return rows.error();
      if (rows->size() == 0) return done;
      std::vector<Transaction> ts;
      std::vector<std::string> statuses;
      for (int i = 0; i < rows->size(); ++i) {
        auto t = transaction_from_json(boost::json::parse(rows->text(i, 0)));
        if (!t) return t.error();
        statuses.push_back(status_of(*t));
        ts.push_back(std::move(*t));
      }
      std::vector<std::size_t> index(ts.size());
      for (std::size_t i = 0; i < index.size(); ++i) index[i] = i;
      Params p;
      listing_params(p, index, ts, &statuses);
      auto r = write("UPDATE transactions t SET merchant = u.merchant, reference = u.reference, provider = u.provider, "
                     "flow = u.flow, created_at_ms = u.created_at_ms, status = u.status, attention = u.attention "
                     "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int8[], $7::text[], "
                     "$8::int4[]) AS u(txn_id, merchant, reference, provider, flow, created_at_ms, status, attention) "
                     "WHERE t.txn_id = u.txn_id",
                     std::move(p), "list transactions");
      if (!r) return r.error();
      done += ts.size();
    }
  }

 private:
  Result<Ok> writer_setup(Connection& c) {
    // A process stopped in the middle of a batch's transaction (SIGSTOP, a frozen VM) holds its
    // partitions' rows (the fences' FOR SHARE) and would hold up their next owner's claim for as long
    // as it stays stopped: the server ends such a session after 10 s, as Kafka's group ends its
    // membership, and the stopped process finds its connection gone when it wakes.
    if (auto r = c.exec("SET idle_in_transaction_session_timeout = '10s'", "bound a transaction's idle time"); !r)
      return r;
    // Reads of this connection (none but the migration's) see every commit; read-only survives a reconnection.
    if (read_only_) return c.exec("SET default_transaction_read_only = on", "set read-only");
    return Ok{};
  }

  Result<Ok> migrate() {
    std::lock_guard lock(mu_);
    if (auto r = writer_.exec("BEGIN", "begin the migration"); !r) return r;
    auto body = [&]() -> Result<Ok> {
      if (auto r = writer_.run(kMigrationLock, Params(), "take the migration lock"); !r) return r.error();
      if (auto r = writer_.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
                                "applied_at timestamptz NOT NULL DEFAULT now())",
                                "create schema_migrations");
          !r)
        return r;
      auto at = writer_.run("SELECT coalesce(max(version), 0)::int4 FROM schema_migrations", Params(),
                            "read the schema's version");
      if (!at) return at.error();
      const int version = at->int4(0, 0);
      if (version > postgres_schema_version())
        return fail(store_errc::schema_too_new,
                    "store: the database at " + writer_.where() + " has schema version " + std::to_string(version) +
                        ", newer than the " + std::to_string(postgres_schema_version()) +
                        " this corridor knows: run the corridor that migrated it, or a newer one");
      for (const auto& m : kMigrations) {
        if (m.version <= version) continue;
        if (auto r = writer_.exec(m.sql, "apply a migration"); !r) return r;
        if (auto r = writer_.run("INSERT INTO schema_migrations (version) VALUES ($1::int4)", Params().int4(m.version),
                                 "record a migration");
            !r)
          return r.error();
      }
      return Ok{};
    };
    auto r = body();
    if (!r) {
      (void)writer_.exec("ROLLBACK", "roll the migration back");
      return r;
    }
    return writer_.exec("COMMIT", "commit the migration");
  }

  Result<Ok> within_size() {
    if (max_bytes_ <= 0) return Ok{};
    auto rows = writer_.run("SELECT pg_database_size(current_database())", Params(), "read the database's size");
    if (!rows) return rows.error();
    if (rows->int8(0, 0) >= max_bytes_)
      return fail(store_errc::statement_failed, "store: the database is " + std::to_string(rows->int8(0, 0)) +
                                                    " bytes, at its cap of " + std::to_string(max_bytes_) +
                                                    " (store.max_bytes): nothing is written until it is raised");
    return Ok{};
  }

  // One statement on the writing connection, in a transaction of its own.
  Result<Ok> write(const std::string& sql, Params p, const char* what) {
    std::lock_guard lock(mu_);
    auto r = writer_.run(sql, p, what);
    if (!r) return r.error();
    return Ok{};
  }

  // The listing columns of ts[index[i]] from $2: merchant, reference, provider, flow, created_at_ms,
  // status, attention; after the txn_ids ($1). `statuses` null: status and attention NULL.
  static void listing_params(Params& p, const std::vector<std::size_t>& index, const std::vector<Transaction>& ts,
                             const std::vector<std::string>* statuses) {
    p.texts(index, [&](std::size_t i) -> std::string_view { return ts[i].txn_id; });
    p.texts(index, [&](std::size_t i) -> std::string_view { return ts[i].merchant; });
    p.texts(index, [&](std::size_t i) -> std::string_view { return ts[i].reference; });
    p.texts(index, [&](std::size_t i) -> std::string_view { return ts[i].provider; });
    p.texts(index, [&](std::size_t i) -> std::string_view { return ts[i].flow; });
    p.int8s(index, [&](std::size_t i) { return ts[i].created_at_ms; });
    ArrayWriter status(kText, index.size()), attention(kInt4, index.size());
    for (std::size_t i : index) {
      if (statuses == nullptr) {
        status.null();
        attention.null();
      } else {
        status.text((*statuses)[i]);
        attention.int4(needs_attention(ts[i], (*statuses)[i]) ? 1 : 0);
      }
    }
    p.add_array(status.done());
    p.add_array(attention.done());
  }

  // First in its transaction: each fence's partition row held (FOR SHARE: commits of the same
  // partition go on together, a claim waits for them) and its epoch compared (no row: epoch 0). A
  // stale epoch fails the statement with SQLSTATE CF001 (store.fenced), so the statements queued
  // after it, sent in the same round trip, are never applied.
  static void queue_fences(const std::vector<PartitionEpoch>& fences, std::vector<Connection::Queued>& q) {
    if (fences.empty()) return;
    q.push_back({"SELECT corridor_check_fences($1::text[], $2::int4[], $3::int8[])",
                 Params()
                     .texts(fences, [](const PartitionEpoch& f) -> std::string_view { return f.topic; })
                     .int4s(fences, [](const PartitionEpoch& f) { return f.partition; })
                     .int8s(fences, [](const PartitionEpoch& f) { return f.epoch; }),
                 "check the batch's partition epochs"});
  }

  void queue_batch(const StoreBatch& b, std::vector<Connection::Queued>& q) {
    if (!b.transactions.empty()) {
      // The last of a transaction's rows in the batch wins, as SqliteStore's successive upserts leave it.
      std::map<std::string_view, std::size_t> last;
      for (std::size_t i = 0; i < b.transactions.size(); ++i) last[b.transactions[i].txn_id] = i;
      std::vector<std::size_t> index;
      for (const auto& [_, i] : last) index.push_back(i);
      std::vector<std::string> docs;
      for (std::size_t i : index) docs.push_back(serialize(b.transactions[i]));
      const bool statuses = b.statuses.size() == b.transactions.size();
      Params p;
      listing_params(p, index, b.transactions, statuses ? &b.statuses : nullptr);
      p.texts(index, [&](std::size_t i) -> std::string_view { return b.transactions[i].state; });
      p.int8s(index, [&](std::size_t i) { return b.transactions[i].version; });
      p.texts(docs, same);
      // The listing columns that never change are set by the insert alone; status and attention keep
      // their value when the batch does not know the status.
      q.push_back({"INSERT INTO transactions AS t (txn_id, merchant, reference, provider, flow, created_at_ms, status, "
                   "attention, state, version, doc) SELECT txn_id, merchant, reference, provider, flow, created_at_ms, "
                   "status, coalesce(attention, 0), state, version, doc FROM unnest($1::text[], $2::text[], $3::text[], "
                   "$4::text[], $5::text[], $6::int8[], $7::text[], $8::int4[], $9::text[], $10::int8[], $11::text[]) "
                   "AS u(txn_id, merchant, reference, provider, flow, created_at_ms, status, attention, state, version, doc) "
                   "ON CONFLICT (txn_id) DO UPDATE SET state = excluded.state, version = excluded.version, "
                   "doc = excluded.doc, status = coalesce(excluded.status, t.status), "
                   "attention = CASE WHEN excluded.status IS NULL THEN t.attention ELSE excluded.attention END",
                   std::move(p), "write transactions"});
    }
    if (!b.traceparents.empty()) {
      auto tps = last_by(b.traceparents, [](const auto& tp) { return tp.first; });
      q.push_back({"UPDATE transactions t SET traceparent = u.traceparent FROM unnest($1::text[], $2::text[]) "
                   "AS u(txn_id, traceparent) WHERE t.txn_id = u.txn_id",
                   Params()
                       .texts(tps, [](const auto* tp) -> std::string_view { return tp->first; })
                       .texts(tps, [](const auto* tp) -> std::string_view { return tp->second; }),
                   "write traceparents"});
    }
    if (!b.outbox.empty()) {
      std::vector<std::string> headers;
      for (const auto& o : b.outbox) headers.push_back(headers_text(o.headers));
      q.push_back({"INSERT INTO outbox (topic, key, body, headers, partition) SELECT topic, key, body, headers, partition "
                   "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int4[]) WITH ORDINALITY "
                   "AS u(topic, key, body, headers, partition, n) ORDER BY n",
                   Params()
                       .texts(b.outbox, [](const OutboxRow& o) -> std::string_view { return o.topic; })
                       .texts(b.outbox, [](const OutboxRow& o) -> std::string_view { return o.key; })
                       .texts(b.outbox, [](const OutboxRow& o) -> std::string_view { return o.body; })
                       .texts(headers, same)
                       .int4s(b.outbox, [](const OutboxRow& o) { return o.partition; }),
                   "write outbox"});
    }
    if (!b.events.empty()) {
      q.push_back({"INSERT INTO events (txn_id, version, body) SELECT * FROM unnest($1::text[], $2::int8[], $3::text[])",
                   Params()
                       .texts(b.events, [](const EventRecord& e) -> std::string_view { return e.txn_id; })
                       .int8s(b.events, [](const EventRecord& e) { return e.version; })
                       .texts(b.events, [](const EventRecord& e) -> std::string_view { return e.body; }),
                   "write events"});
    }
    if (!b.calls_completed.empty()) {
      q.push_back({"DELETE FROM calls WHERE call_id = ANY($1::text[])", Params().texts(b.calls_completed, same),
                   "complete calls"});
    }
    if (!b.calls.empty()) {
      std::vector<std::string> ids, docs;
      for (const auto& c : b.calls) {
        ids.push_back(c.answer_input_id());  // one row a send: a re-send has an answer id of its own
        docs.push_back(serialize(c));
      }
      std::map<std::string_view, std::size_t> last;
      for (std::size_t i = 0; i < ids.size(); ++i) last[ids[i]] = i;
      std::vector<std::size_t> index;
      for (const auto& [_, i] : last) index.push_back(i);
      // A row written again is a call to send again: not attempted (SqliteStore's INSERT OR REPLACE).
      const bool partitions = b.call_partitions.size() == b.calls.size();
      q.push_back({"INSERT INTO calls (call_id, doc, partition) SELECT * FROM unnest($1::text[], $2::text[], $3::int4[]) "
                   "ON CONFLICT (call_id) DO UPDATE SET doc = excluded.doc, attempted = false, partition = excluded.partition",
                   Params()
                       .texts(index, [&](std::size_t i) -> std::string_view { return ids[i]; })
                       .texts(index, [&](std::size_t i) -> std::string_view { return docs[i]; })
                       .int4s(index, [&](std::size_t i) { return partitions ? b.call_partitions[i] : -1; }),
                   "write calls"});
    }
    if (!b.timers_cancelled.empty()) {
      q.push_back({"DELETE FROM timers t USING unnest($1::text[], $2::text[]) AS u(txn_id, name) "
                   "WHERE t.txn_id = u.txn_id AND (u.name = '*' OR t.name = u.name)",
                   Params()
                       .texts(b.timers_cancelled, [](const auto& c) -> std::string_view { return c.first; })
                       .texts(b.timers_cancelled, [](const auto& c) -> std::string_view { return c.second; }),
                   "cancel timers"});
    }
    if (!b.timers_set.empty()) {
      auto timers = last_by(b.timers_set, [](const TimerRow& t) { return std::pair(t.txn_id, t.name); });
      q.push_back({"INSERT INTO timers (txn_id, name, due_at, input_id, partition) SELECT * FROM unnest($1::text[], "
                   "$2::text[], $3::int8[], $4::text[], $5::int4[]) ON CONFLICT (txn_id, name) DO UPDATE SET "
                   "due_at = excluded.due_at, input_id = excluded.input_id, partition = excluded.partition",
                   Params()
                       .texts(timers, [](const TimerRow* t) -> std::string_view { return t->txn_id; })
                       .texts(timers, [](const TimerRow* t) -> std::string_view { return t->name; })
                       .int8s(timers, [](const TimerRow* t) { return t->due_at_ms; })
                       .texts(timers, [](const TimerRow* t) -> std::string_view { return t->input_id; })
                       .int4s(timers, [](const TimerRow* t) { return t->partition; }),
                   "set timers"});
    }
    if (!b.processed_inputs.empty()) {
      q.push_back({"INSERT INTO processed_inputs (input_id, digest, at_ms) SELECT * FROM unnest($1::text[], $2::text[], "
                   "$3::int8[]) ON CONFLICT (input_id) DO NOTHING",
                   Params()
                       .texts(b.processed_inputs, [](const ProcessedInput& p) -> std::string_view { return p.input_id; })
                       .texts(b.processed_inputs, [](const ProcessedInput& p) -> std::string_view { return p.digest; })
                       .int8s(b.processed_inputs, [](const ProcessedInput& p) { return p.at_ms; }),
                   "record processed inputs"});
    }
    if (b.prune_processed_before_ms > 0) {
      // A bounded share per batch: a large backlog of old ids goes over many commits, never in one.
      q.push_back({"DELETE FROM processed_inputs WHERE input_id IN "
                   "(SELECT input_id FROM processed_inputs WHERE at_ms < $1::int8 ORDER BY at_ms LIMIT 1000)",
                   Params().int8(b.prune_processed_before_ms), "prune processed inputs"});
    }
    if (!b.journal.empty()) {
      q.push_back({"INSERT INTO journal (txn_id, at_ms, kind, name, detail) SELECT txn_id, at_ms, kind, name, detail FROM "
                   "unnest($1::text[], $2::int8[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY "
                   "AS u(txn_id, at_ms, kind, name, detail, n) ORDER BY n",
                   Params()
                       .texts(b.journal, [](const JournalRow& j) -> std::string_view { return j.txn_id; })
                       .int8s(b.journal, [](const JournalRow& j) { return j.at_ms; })
                       .texts(b.journal, [](const JournalRow& j) -> std::string_view { return j.kind; })
                       .texts(b.journal, [](const JournalRow& j) -> std::string_view { return j.name; })
                       .texts(b.journal, [](const JournalRow& j) -> std::string_view { return j.detail; }),
                   "write journal"});
    }
    if (!b.offsets.empty()) {
      auto offsets = last_by(b.offsets, [](const PartitionOffset& o) { return std::pair(o.topic, o.partition); });
      q.push_back({"INSERT INTO offsets (topic, partition, next_offset) SELECT * FROM unnest($1::text[], $2::int4[], "
                   "$3::int8[]) ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset",
                   Params()
                       .texts(offsets, [](const PartitionOffset* o) -> std::string_view { return o->topic; })
                       .int4s(offsets, [](const PartitionOffset* o) { return o->partition; })
                       .int8s(offsets, [](const PartitionOffset* o) { return o->next_offset; }),
                   "write offsets"});
    }
  }

  std::vector<OutboxRow> outbox_from(const Rows& rows) {
    std::vector<OutboxRow> out;
    for (int i = 0; i < rows.size(); ++i)
      out.push_back({rows.int8(i, 0), rows.str(i, 1), rows.str(i, 2), rows.str(i, 3), headers_from_text(rows.text(i, 4)),
                     rows.int4(i, 5)});
    return out;
  }

  Result<std::map<std::string, std::string>> pairs(const char* sql, const std::vector<std::string>& keys,
                                                   const char* what) {
    std::map<std::string, std::string> out;
    if (keys.empty()) return out;
    auto rows = read(sql, Params().texts(keys, same), what);
    if (!rows) return rows.error();
    for (int i = 0; i < rows->size(); ++i) out.emplace(rows->str(i, 0), rows->str(i, 1));
    return out;
  }

  // One statement on a reading connection: the calling thread's slot when free, else any free one,
  // else it waits for its own slot (another reader, never the writer). Each statement sees the
  // commits made before it began (READ COMMITTED), one snapshot for all its rows.
  Result<Rows> read(const std::string& sql, const Params& p, const char* what) {
    const std::size_t home = std::hash<std::thread::id>{}(std::this_thread::get_id()) % kReaders;
    std::unique_lock<std::mutex> lock;
    ReaderSlot* slot = nullptr;
    for (std::size_t i = 0; i < kReaders && slot == nullptr; ++i) {
      auto& s = readers_[(home + i) % kReaders];
      lock = std::unique_lock(s.mu, std::try_to_lock);
      if (lock.owns_lock()) slot = &s;
    }
    if (slot == nullptr) {
      slot = &readers_[home];
      lock = std::unique_lock(slot->mu);
    }
    if (!slot->connection) slot->connection = std::make_unique<Connection>(url_);
    return slot->connection->run(sql, p, what);
  }

  std::string url_;
  std::mutex mu_;  // the writing connection: commits one at a time
  bool read_only_ = false;       // under mu_
  std::int64_t max_bytes_ = 0;   // under mu_
  Connection writer_;
  std::array<ReaderSlot, kReaders> readers_;
};

}  // namespace

int postgres_schema_version() { return std::end(kMigrations)[-1].version; }

std::string postgres_url_password(const std::string& url) {
  std::string password;
  if (PQconninfoOption* opts = PQconninfoParse(url.c_str(), nullptr); opts != nullptr) {
    for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o)
      if (std::strcmp(o->keyword, "password") == 0 && o->val != nullptr) password = o->val;
    PQconninfoFree(opts);
  }
  return password;
}

std::string redact_postgres_url(const std::string& url, std::string text) {
  auto replace_all = [&text](const std::string& what, const std::string& with) {
    if (what.empty()) return;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + with.size()))
      text.replace(at, what.size(), with);
  };
  // The password as written (percent-encoded in a URI) and as libpq decodes it.
  std::string written;
  if (const auto scheme = url.find("://"); scheme != std::string::npos) {
    const auto at = url.find('@', scheme + 3);
    const auto slash = url.find('/', scheme + 3);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      const auto colon = url.find(':', scheme + 3);
      if (colon != std::string::npos && colon < at) written = url.substr(colon + 1, at - colon - 1);
    }
  }
  const std::string decoded = postgres_url_password(url);
  replace_all(url, "<store.url>");
  for (const auto& secret : {written, decoded})
    if (secret.size() >= 3) replace_all(secret, "***");
  return text;
}

Result<std::unique_ptr<Store>> open_postgres_store(const std::string& url) {
  auto store = std::make_unique<PostgresStore>(url);
  if (auto r = store->open(); !r) return r.error();
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace corridor
