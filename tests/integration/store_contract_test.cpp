// The Store contract (engine/store/store.hpp), one suite run against every store: SQLite on a file in
// a temporary folder, PostgreSQL 15 on a server of the binary's own (tests/support/postgres.hpp), a
// fresh database per test. Where the stores honestly differ, kHonestDifferences says so; nowhere else.
//
// One file: each test is a method of the contract, and they share one fixture and its helpers.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>

#include "engine/config/config.hpp"
#include "engine/store/errc.hpp"
#include "engine/store/open_store.hpp"
#include "engine/store/store.hpp"
#include "engine/store/store_postgres.hpp"
#include "statemachines/sensitive.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/postgres.hpp"

namespace corridor {
namespace {

using corridor::testing::PostgresServer;

// Where the two stores differ, on purpose:
// - limit_size: SQLite caps its pages, so a commit that would pass the cap fails; PostgreSQL compares
//   pg_database_size with the cap before each batch, so a batch that starts under it is written.
//   Both refuse a batch once the store is at its cap, with store.statement_failed.
// - Text: PostgreSQL's text holds valid UTF-8 only (corridor's documents are JSON it made: they are).
// - What a claim waits for: on SQLite any commit in progress (the file's one write lock); on PostgreSQL
//   a commit holding that partition (its fence's row lock): PostgresStore.AClaimWaitsForACommit....
// - Where an event's outbox row keeps its body: SQLite once, in the history (the row names its event);
//   PostgreSQL in the row as well, since in a rolling upgrade an instance of an earlier corridor, which
//   reads the row's own body, may publish it. Both read back the same rows.
const char* const kHonestDifferences =
    "limit_size granularity; text is UTF-8 on PostgreSQL; what a claim waits for; where an event's outbox body is kept";

Transaction txn(const std::string& id, std::int64_t created_at_ms, const std::string& merchant = "ZANDO",
                const std::string& state = "created", std::int64_t version = 1) {
  Transaction t;
  t.txn_id = id;
  t.merchant = merchant;
  t.reference = "REF-" + id;
  t.provider = "novasend";
  t.flow = "payin";
  t.amount = Money{300, "XOF"};
  t.state = state;
  t.version = version;
  t.created_at_ms = created_at_ms;
  t.updated_at_ms = created_at_ms;
  return t;
}

ProviderCall call(const std::string& id, const std::string& answer_id = "") {
  ProviderCall c{id, "novasend", "create_session", {{"amount", 300}}};
  c.answer_id = answer_id;
  return c;
}

// The first column of the first row of `sql` on the PostgreSQL database at `url`, or the error.
std::string scalar(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  PGresult* r = PQexec(c, sql.c_str());
  std::string out = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0)
                                                                             : std::string("error: ") + PQerrorMessage(c);
  PQclear(r);
  PQfinish(c);
  return out;
}

class StoreContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      char tmpl[] = "/tmp/corridor-contract-XXXXXX";
      dir_ = mkdtemp(tmpl);
      config_.kind = "sqlite";
      config_.path = dir_ + "/corridor.db";
    } else {
      config_.kind = "postgres";
      config_.url = PostgresServer::shared().fresh_database();
    }
    store_ = open();
  }
  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<Store> open() {
    auto s = open_store(config_);
    EXPECT_TRUE(s) << s.error().message;
    return s ? std::move(*s) : nullptr;
  }

  void commit(const StoreBatch& b) {
    auto r = store_->commit(b);
    ASSERT_TRUE(r) << r.error().message;
  }

  bool postgres() const { return GetParam() == "postgres"; }

  // The first column of the first row of `sql`, read past the Store interface ("" when none).
  std::string raw(const std::string& sql) {
    if (postgres()) return scalar(config_.url, sql);
    std::string out;
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(config_.path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    if (st != nullptr && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != nullptr)
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
  }

  Config::Store config_;
  std::string dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreContract, ABatchRoundTripsEveryField) {
  const std::string trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  StoreBatch b;
  b.transactions = {txn("tx_a", 1000), txn("tx_b", 2000, "OTHER", "session_requested", 2)};
  b.statuses = {"pending", "unknown"};
  OutboxRow event{0, "events", "tx_a", R"({"event_id":"tx_a:1","note":"é ü \" \\ ñ"})"};
  event.headers = {{"ce_id", "tx_a:1"}, {"ce_type", "transaction.state_changed"}, {"traceparent", trace}};
  b.outbox = {event, OutboxRow{0, "deadletter", "", R"({"source":"processor"})"}, OutboxRow{0, "events", "tx_b", "{}"}};
  b.events = {{"tx_a", 1, R"({"version":1,"state":"created"})"}, {"tx_b", 1, R"({"version":1})"},
              {"tx_b", 2, R"({"version":2})"}};
  b.calls = {call("tx_a:1:create_session")};
  b.timers_set = {{"tx_a", "expiry", 5000, "tx_a:timer:expiry"}, {"tx_b", "poll", 3000, "tx_b:timer:poll"}};
  b.processed_inputs = {{"in-1", "digest-1", 1000}, {"in-2", "", 1000}};
  b.traceparents = {{"tx_a", trace}};
  b.offsets = {{"corridor.inputs", 0, 10}, {"corridor.inputs", 3, 7}, {"other", 0, 1}};
  b.journal = {{"tx_a", 1000, "command", "payment.create", R"({"input_id":"in-1"})"},
               {"tx_a", 1001, "answer", "create_session.ok", R"({"input_id":"in-2"})"}};
  commit(b);

  auto a = store_->load("tx_a");
  ASSERT_TRUE(a && *a);
  EXPECT_EQ(serialize(**a), serialize(b.transactions[0]));
  EXPECT_FALSE(*store_->load("tx_nobody"));
  auto many = store_->load_many({"tx_a", "tx_b", "tx_nobody", "tx_a"});
  ASSERT_TRUE(many);
  ASSERT_EQ(many->size(), 2u);
  EXPECT_EQ(serialize(many->at("tx_b")), serialize(b.transactions[1]));
  EXPECT_TRUE(store_->load_many({})->empty());

  EXPECT_TRUE(*store_->processed("in-1"));
  EXPECT_FALSE(*store_->processed("in-3"));
  EXPECT_EQ(*store_->processed_among({"in-1", "in-2", "in-3"}),
            (std::map<std::string, std::string>{{"in-1", "digest-1"}, {"in-2", ""}}));
  EXPECT_TRUE(store_->processed_among({})->empty());
  EXPECT_EQ(*store_->traceparents_among({"tx_a", "tx_b", "tx_nobody"}), (std::map<std::string, std::string>{{"tx_a", trace}}));

  EXPECT_EQ(*store_->offsets("corridor.inputs"), (std::map<std::int32_t, std::int64_t>{{0, 10}, {3, 7}}));
  EXPECT_TRUE(store_->offsets("nothing")->empty());

  auto rows = store_->outbox(10);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].topic, "events");
  EXPECT_EQ((*rows)[0].key, "tx_a");
  EXPECT_EQ((*rows)[0].body, event.body);
  EXPECT_EQ((*rows)[0].headers, event.headers);  // in order
  EXPECT_EQ((*rows)[1].topic, "deadletter");
  EXPECT_TRUE((*rows)[1].headers.empty());
  EXPECT_LT((*rows)[0].id, (*rows)[1].id);
  EXPECT_LT((*rows)[1].id, (*rows)[2].id);
  auto again = store_->outbox_rows({(*rows)[0].id});
  ASSERT_TRUE(again);
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ(again->front().headers, event.headers);

  auto events = store_->events_of("tx_b");
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[1].at("version").as_int64(), 2);
  EXPECT_TRUE(store_->events_of("tx_nobody")->empty());

  auto calls = store_->pending_calls(10);
  ASSERT_TRUE(calls);
  ASSERT_EQ(calls->size(), 1u);
  EXPECT_EQ((*calls)[0].call.call_id, "tx_a:1:create_session");
  EXPECT_EQ((*calls)[0].call.params.object(), b.calls[0].params.object());
  EXPECT_FALSE((*calls)[0].attempted);

  auto due = store_->due_timers(10000, 10);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0].txn_id, "tx_b");  // by due time
  EXPECT_EQ((*due)[1].input_id, "tx_a:timer:expiry");

  auto journal = store_->journal_of("tx_a");
  ASSERT_TRUE(journal);
  ASSERT_EQ(journal->size(), 2u);
  EXPECT_EQ((*journal)[0].kind, "command");
  EXPECT_EQ((*journal)[0].name, "payment.create");
  EXPECT_EQ((*journal)[0].at_ms, 1000);
  EXPECT_EQ((*journal)[1].detail, R"({"input_id":"in-2"})");
  EXPECT_TRUE(store_->journal_of("tx_b")->empty());

  EXPECT_EQ(*store_->count_transactions(), 2);
  EXPECT_TRUE(*store_->transaction_exists("tx_b"));
  EXPECT_FALSE(*store_->transaction_exists("tx_c"));
  EXPECT_EQ(*store_->transaction_ids(), (std::vector<std::string>{"tx_a", "tx_b"}));
  auto columns = store_->row_columns("tx_b");
  ASSERT_TRUE(columns && *columns);
  EXPECT_EQ((*columns)->state, "session_requested");
  EXPECT_EQ((*columns)->version, 2);
  EXPECT_FALSE(*store_->row_columns("tx_nobody"));

  auto backlog = store_->backlog(4000, 100);
  ASSERT_TRUE(backlog);
  EXPECT_EQ(backlog->outbox, 3);
  EXPECT_EQ(backlog->pending_calls, 1);
  EXPECT_EQ(backlog->timers_due, 1);
  EXPECT_EQ(store_->backlog(10000, 2)->outbox, 2);  // stops at the cap
  EXPECT_EQ(store_->backlog(10000, 2)->timers_due, 2);
}

TEST_P(StoreContract, AnUpsertKeepsTheLastVersionAndTheListingColumns) {
  StoreBatch first;
  first.transactions = {txn("tx_a", 1000)};
  first.statuses = {"unknown"};  // needs attention
  commit(first);
  TransactionQuery attention;
  attention.attention_only = true;
  EXPECT_EQ(store_->list_transactions(attention)->size(), 1u);

  // A batch that does not know the status keeps the columns; one that does replaces them.
  StoreBatch second;
  second.transactions = {txn("tx_a", 1000, "ZANDO", "session_requested", 2)};
  commit(second);
  TransactionQuery unknown;
  unknown.status = "unknown";
  EXPECT_EQ(store_->list_transactions(unknown)->size(), 1u);
  EXPECT_EQ(store_->list_transactions(attention)->size(), 1u);
  EXPECT_EQ((*store_->row_columns("tx_a"))->version, 2);

  StoreBatch third;
  third.transactions = {txn("tx_a", 1000, "ZANDO", "x", 3), txn("tx_a", 1000, "ZANDO", "succeeded", 4)};
  third.statuses = {"pending", "succeeded"};  // the same transaction twice in a batch: the last wins
  commit(third);
  EXPECT_TRUE(store_->list_transactions(attention)->empty());
  EXPECT_TRUE(store_->list_transactions(unknown)->empty());
  TransactionQuery succeeded;
  succeeded.status = "succeeded";
  EXPECT_EQ(store_->list_transactions(succeeded)->size(), 1u);
  EXPECT_EQ((*store_->load("tx_a"))->state, "succeeded");
  EXPECT_EQ(*store_->count_transactions(), 1);
}

TEST_P(StoreContract, OffsetsMoveAndReset) {
  StoreBatch b;
  b.offsets = {{"corridor.inputs", 1, 5}, {"corridor.inputs", 1, 9}, {"x", 1, 2}};  // the last of a partition wins
  commit(b);
  EXPECT_EQ(*store_->offsets("corridor.inputs"), (std::map<std::int32_t, std::int64_t>{{1, 9}}));
  StoreBatch c;
  c.offsets = {{"corridor.inputs", 1, 12}};
  commit(c);
  EXPECT_EQ(store_->offsets("corridor.inputs")->at(1), 12);
  ASSERT_TRUE(store_->reset_offsets("corridor.inputs"));
  EXPECT_TRUE(store_->offsets("corridor.inputs")->empty());
  EXPECT_EQ(store_->offsets("x")->at(1), 2);  // other topics keep theirs
}

TEST_P(StoreContract, OutboxPagesAfterAnIdAndRemovesRows) {
  StoreBatch b;
  for (int i = 0; i < 5; ++i) b.outbox.push_back({0, "events", "k" + std::to_string(i), "{\"n\":" + std::to_string(i) + "}"});
  commit(b);
  auto all = *store_->outbox(100);
  ASSERT_EQ(all.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(all[i].key, "k" + std::to_string(i));  // write order
  auto page = *store_->outbox(2, all[1].id);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].key, "k2");
  EXPECT_EQ(page[1].key, "k3");
  EXPECT_TRUE(store_->outbox(10, all[4].id)->empty());

  // outbox_rows: those still there, in the order asked.
  auto some = *store_->outbox_rows({all[3].id, all[0].id, 999999});
  ASSERT_EQ(some.size(), 2u);
  EXPECT_EQ(some[0].key, "k3");
  EXPECT_EQ(some[1].key, "k0");

  ASSERT_TRUE(store_->remove_outbox({all[0].id, all[3].id, 999999}));
  ASSERT_TRUE(store_->remove_outbox({}));
  auto left = *store_->outbox(100);
  ASSERT_EQ(left.size(), 3u);
  EXPECT_EQ(left[0].key, "k1");
  EXPECT_TRUE(store_->outbox_rows({all[0].id})->empty());

  // Ids only grow: rows of a later batch come after every row before them.
  StoreBatch more;
  more.outbox = {{0, "events", "k5", "{}"}};
  commit(more);
  auto after = *store_->outbox(10, all[4].id);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].key, "k5");
}

// An event's outbox row reads its event's body; SQLite keeps that body once, in the history (the row
// names its event), PostgreSQL in the row as well. A row whose batch does not write its event with the
// same bytes keeps its own body, on both.
TEST_P(StoreContract, AnEventsOutboxRowReadsItsEventsBody) {
  const std::string a1 = R"({"event_id":"tx_a:1","n":1})";
  const std::string a2 = R"({"event_id":"tx_a:2","n":2})";
  const std::string a3 = R"({"event_id":"tx_a:3","n":3})";
  StoreBatch b;
  b.events = {{"tx_a", 1, a1}, {"tx_a", 2, a2}, {"tx_a", 3, a3}};
  b.outbox = {{0, "events", "tx_a", a1, {{"ce_id", "tx_a:1"}}, 3, 1},
              {0, "deadletter", "tx_a", R"({"dead":1})", {{"ce_type", "deadletter"}}, 3},
              {0, "events", "tx_a", R"({"other":2})", {}, 3, 2},  // not event 2's bytes
              {0, "events", "tx_a", R"({"rejected":1})", {}, 3},  // command.rejected: no event
              {0, "events", "tx_a", a3, {{"ce_id", "tx_a:3"}}, 3, 3},
              {0, "events", "tx_b", R"({"b":1})", {}, 3, 1}};    // its event is not in the batch
  commit(b);
  const std::vector<std::int32_t> partition{3};
  for (const auto& rows : {*store_->outbox(100), *store_->outbox(100, 0, &partition)}) {
    ASSERT_EQ(rows.size(), b.outbox.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      EXPECT_EQ(rows[i].topic, b.outbox[i].topic) << i;
      EXPECT_EQ(rows[i].key, b.outbox[i].key) << i;
      EXPECT_EQ(rows[i].body, b.outbox[i].body) << i;
      EXPECT_EQ(rows[i].headers, b.outbox[i].headers) << i;
      EXPECT_EQ(rows[i].partition, 3) << i;
    }
  }
  auto all = *store_->outbox(100);
  auto some = *store_->outbox_rows({all[4].id, all[2].id, all[0].id});
  ASSERT_EQ(some.size(), 3u);
  EXPECT_EQ(some[0].body, a3);
  EXPECT_EQ(some[1].body, R"({"other":2})");
  EXPECT_EQ(some[2].body, a1);
  // Stored: SQLite writes the two matched events' bytes once; PostgreSQL every row's own.
  EXPECT_EQ(raw("SELECT count(*) FROM outbox WHERE body = ''"), postgres() ? "0" : "2");
  if (!postgres()) {
    EXPECT_EQ(raw("SELECT group_concat(event_version) FROM outbox WHERE event_version IS NOT NULL"), "1,3");
  }

  // Published and removed: the history keeps the events.
  std::vector<std::int64_t> ids;
  for (const auto& r : all) ids.push_back(r.id);
  ASSERT_TRUE(store_->remove_outbox(ids));
  EXPECT_TRUE(store_->outbox(100)->empty());
  auto history = *store_->events_of("tx_a");
  ASSERT_EQ(history.size(), 3u);
  for (int v = 1; v <= 3; ++v) EXPECT_EQ(get_int(history[v - 1], "n"), v);
}

TEST_P(StoreContract, CallsAreAttemptedCompletedAndResent) {
  StoreBatch b;
  b.calls = {call("c1"), call("c2"), call("c3")};
  commit(b);
  EXPECT_EQ(store_->pending_calls(2)->size(), 2u);  // the limit
  ASSERT_TRUE(store_->mark_call_attempted("c2"));
  ASSERT_TRUE(store_->mark_call_attempted("no-such-call"));  // nothing to mark: not an error
  auto calls = *store_->pending_calls(10);
  ASSERT_EQ(calls.size(), 3u);
  for (const auto& c : calls) EXPECT_EQ(c.attempted, c.call.call_id == "c2") << c.call.call_id;

  ASSERT_TRUE(store_->complete_call("c1"));
  ASSERT_TRUE(store_->complete_call("c1"));  // twice: nothing left to remove
  EXPECT_EQ(store_->pending_calls(10)->size(), 2u);

  // The re-sent call: the first send's answer completes its row, and the second send (same call id,
  // an answer id of its own) is written in the same batch, after it.
  StoreBatch resend;
  resend.calls_completed = {"c2"};
  resend.calls = {call("c2", "c2:resend:1")};
  commit(resend);
  calls = *store_->pending_calls(10);
  ASSERT_EQ(calls.size(), 2u);
  std::set<std::string> answers;
  for (const auto& c : calls) answers.insert(c.call.answer_input_id());
  EXPECT_EQ(answers, (std::set<std::string>{"c3", "c2:resend:1"}));
  for (const auto& c : calls) EXPECT_FALSE(c.attempted);
  ASSERT_TRUE(store_->mark_call_attempted("c2:resend:1"));

  // A call written again is a call to send again: not attempted.
  StoreBatch again;
  again.calls = {call("c2", "c2:resend:1")};
  commit(again);
  calls = *store_->pending_calls(10);
  for (const auto& c : calls) EXPECT_FALSE(c.attempted) << c.call.answer_input_id();

  // Completed in the batch that also writes it again: completions go first, the row stays.
  StoreBatch both;
  both.calls_completed = {"c3"};
  both.calls = {call("c3")};
  commit(both);
  EXPECT_EQ(store_->pending_calls(10)->size(), 2u);
}

TEST_P(StoreContract, TimersReplaceCancelAndFire) {
  StoreBatch b;
  b.timers_set = {{"tx_a", "expiry", 500, "a:expiry:1"}, {"tx_a", "poll", 100, "a:poll:1"},
                  {"tx_b", "poll", 100, "b:poll:1"},     {"tx_c", "poll", 300, "c:poll:1"},
                  {"tx_a", "poll", 200, "a:poll:2"}};  // replaces a:poll:1 in the same batch
  commit(b);
  auto due = *store_->due_timers(1000, 10);
  ASSERT_EQ(due.size(), 4u);
  EXPECT_EQ(due[0].input_id, "b:poll:1");  // by due time
  EXPECT_EQ(due[1].input_id, "a:poll:2");
  EXPECT_EQ(due[2].input_id, "c:poll:1");
  EXPECT_EQ(due[3].input_id, "a:expiry:1");
  EXPECT_EQ(store_->due_timers(1000, 2)->size(), 2u);     // the limit
  EXPECT_EQ(store_->due_timers(200, 10)->size(), 2u);     // due at `now` is due
  EXPECT_TRUE(store_->due_timers(99, 10)->empty());

  // Fired while replaced: the replacement stays.
  StoreBatch replace;
  replace.timers_set = {{"tx_b", "poll", 900, "b:poll:2"}};
  commit(replace);
  ASSERT_TRUE(store_->remove_timers({due[0], due[1]}));  // b:poll:1 (replaced) and a:poll:2
  ASSERT_TRUE(store_->remove_timers({}));
  due = *store_->due_timers(1000, 10);
  ASSERT_EQ(due.size(), 3u);
  EXPECT_EQ(due[0].input_id, "c:poll:1");
  EXPECT_EQ(due[1].input_id, "a:expiry:1");
  EXPECT_EQ(due[2].input_id, "b:poll:2");

  // Cancel by name, and every timer of a transaction with "*"; a cancel then a set in one batch: set.
  StoreBatch cancel;
  cancel.timers_cancelled = {{"tx_a", "expiry"}, {"tx_c", "*"}, {"tx_b", "poll"}, {"tx_nobody", "*"}};
  cancel.timers_set = {{"tx_b", "poll", 950, "b:poll:3"}};
  commit(cancel);
  due = *store_->due_timers(1000, 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].input_id, "b:poll:3");
}

TEST_P(StoreContract, ProcessedInputsAreKeptOnceAndPrunedByTime) {
  StoreBatch b;
  b.processed_inputs = {{"old-1", "", 100}, {"old-2", "d", 200}, {"new-1", "", 5000}, {"old-1", "other", 100}};
  commit(b);
  EXPECT_EQ(store_->processed_among({"old-1"})->at("old-1"), "");  // the first kept
  StoreBatch again;
  again.processed_inputs = {{"old-2", "changed", 300}};
  commit(again);
  EXPECT_EQ(store_->processed_among({"old-2"})->at("old-2"), "d");  // never rewritten

  StoreBatch prune;
  prune.prune_processed_before_ms = 1000;
  commit(prune);
  EXPECT_EQ(*store_->processed_among({"old-1", "old-2", "new-1"}), (std::map<std::string, std::string>{{"new-1", ""}}));

  // A bounded share per commit: 1000 at most.
  StoreBatch many;
  for (int i = 0; i < 1500; ++i) many.processed_inputs.push_back({"bulk-" + std::to_string(i), "", 10});
  commit(many);
  commit(prune);
  std::vector<std::string> ids;
  for (int i = 0; i < 1500; ++i) ids.push_back("bulk-" + std::to_string(i));
  EXPECT_EQ(store_->processed_among(ids)->size(), 500u);
  commit(prune);
  EXPECT_TRUE(store_->processed_among(ids)->empty());
}

TEST_P(StoreContract, AFailedBatchWritesNothing) {
  StoreBatch first;
  first.events = {{"tx_a", 1, "{}"}};
  commit(first);
  StoreBatch b;
  b.transactions = {txn("tx_a", 1000)};
  b.outbox = {{0, "events", "tx_a", "{}"}};
  b.offsets = {{"corridor.inputs", 0, 3}};
  b.events = {{"tx_a", 1, "{}"}};  // already there: the batch fails
  auto r = store_->commit(b);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, store_errc::statement_failed) << r.error().message;
  EXPECT_EQ(*store_->count_transactions(), 0);
  EXPECT_TRUE(store_->outbox(10)->empty());
  EXPECT_TRUE(store_->offsets("corridor.inputs")->empty());
  // The store goes on.
  b.events = {{"tx_a", 2, "{}"}};
  commit(b);
  EXPECT_EQ(*store_->count_transactions(), 1);
}

// A batch of many rows of each kind (SQLite writes them in statements of 32 rows and the rest one
// by one): the outbox keeps the batch's order, a row given twice is treated as one row at a time
// would treat it wherever it falls, and one bad row in the middle writes nothing at all.
TEST_P(StoreContract, ALargeBatchKeepsItsOrderAndTheRulesOfEachRow) {
  constexpr int kRows = 75;  // two statements of 32, then 11 one by one
  auto id = [](int i) { return "tx_" + std::to_string(100 + i); };
  StoreBatch b;
  for (int i = 0; i < kRows; ++i) {
    b.transactions.push_back(txn(id(i), 1000 + i));
    b.statuses.push_back("pending");
    b.outbox.push_back({0, "events", id(i), "{\"n\":" + std::to_string(i) + "}", {{"ce_id", id(i) + ":1"}}, i % 3});
    b.events.push_back({id(i), 1, "{\"n\":" + std::to_string(i) + "}"});
    b.calls.push_back(call(id(i) + ":1:create_session"));
    b.timers_set.push_back({id(i), "poll", 100 + i, id(i) + ":poll:1"});
    b.processed_inputs.push_back({"in-" + id(i), "d" + std::to_string(i), 1000});
    b.journal.push_back({id(i), 1000 + i, "command", "payment.create", "{\"n\":" + std::to_string(i) + "}"});
  }
  // Inside the first statement of many: the same call again (the second send replaces the first),
  // the same timer again (the later one stays) and the same input again (the first stays).
  b.calls[20] = call(id(5) + ":1:create_session");
  b.calls[20].op = "create_session_again";
  b.timers_set[21] = {id(6), "poll", 9000, id(6) + ":poll:2"};
  b.processed_inputs[22] = {"in-" + id(7), "other", 1000};
  commit(b);

  auto outbox = *store_->outbox(200);
  ASSERT_EQ(outbox.size(), static_cast<std::size_t>(kRows));
  for (int i = 0; i < kRows; ++i) {
    EXPECT_EQ(outbox[i].key, id(i));  // the batch's order
    EXPECT_EQ(outbox[i].body, "{\"n\":" + std::to_string(i) + "}");
    ASSERT_EQ(outbox[i].headers.size(), 1u);
    EXPECT_EQ(outbox[i].headers[0].second, id(i) + ":1");
    EXPECT_EQ(outbox[i].partition, i % 3);
    if (i > 0) {
      EXPECT_GT(outbox[i].id, outbox[i - 1].id);
    }
  }
  EXPECT_EQ(*store_->count_transactions(), kRows);
  auto loaded = *store_->load_many({id(0), id(40), id(74)});
  ASSERT_EQ(loaded.size(), 3u);
  EXPECT_EQ(loaded.at(id(74)).created_at_ms, 1074);
  auto calls = *store_->pending_calls(200);
  EXPECT_EQ(calls.size(), static_cast<std::size_t>(kRows - 1));  // call 20 is call 5 again
  for (const auto& c : calls) {
    if (c.call.call_id == id(5) + ":1:create_session") {
      EXPECT_EQ(c.call.op, "create_session_again");
    }
  }
  auto due = *store_->due_timers(100000, 200);
  EXPECT_EQ(due.size(), static_cast<std::size_t>(kRows - 1));  // timer 21 is timer 6 again
  EXPECT_EQ(due.back().input_id, id(6) + ":poll:2");
  EXPECT_EQ(store_->processed_among({"in-" + id(7)})->at("in-" + id(7)), "d7");
  EXPECT_EQ(store_->processed_among({"in-" + id(22)})->count("in-" + id(22)), 0u);
  ASSERT_EQ(store_->journal_of(id(40))->size(), 1u);
  EXPECT_EQ(store_->journal_of(id(40))->front().detail, "{\"n\":40}");

  // Many outbox rows published at once (the relay's removal), some ids not there any more.
  std::vector<std::int64_t> published;
  for (int i = 0; i < 40; ++i) published.push_back(outbox[i].id);
  published.push_back(999999);
  ASSERT_TRUE(store_->remove_outbox(published));
  auto left = *store_->outbox(200);
  ASSERT_EQ(left.size(), static_cast<std::size_t>(kRows - 40));
  EXPECT_EQ(left.front().key, id(40));
  EXPECT_EQ(left.back().key, id(kRows - 1));

  // Many completions, cancels by name and by "*" in one batch.
  StoreBatch done;
  for (int i = 0; i < 40; ++i) done.calls_completed.push_back(id(i) + ":1:create_session");
  for (int i = 0; i < 40; ++i) done.timers_cancelled.emplace_back(id(i), i % 2 ? "*" : "poll");
  commit(done);
  // Of transactions 0 to 39, 39 had a call and 39 a timer: 20 sent 5's call again, 21 set 6's timer again.
  EXPECT_EQ(store_->pending_calls(200)->size(), static_cast<std::size_t>(kRows - 1 - 39));
  EXPECT_EQ(store_->due_timers(100000, 200)->size(), static_cast<std::size_t>(kRows - 1 - 39));

  // One event that is there already, in the middle of the second statement of many: nothing is written.
  StoreBatch bad;
  for (int i = kRows; i < 2 * kRows; ++i) {
    bad.transactions.push_back(txn(id(i), 1000 + i));
    bad.outbox.push_back({0, "events", id(i), "{}"});
    bad.events.push_back({id(i), 1, "{}"});
    bad.journal.push_back({id(i), 1000 + i, "command", "payment.create", "{}"});
  }
  bad.events[45] = {id(3), 1, "{}"};
  bad.offsets = {{"corridor.inputs", 0, 99}};
  auto r = store_->commit(bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(*store_->count_transactions(), kRows);
  EXPECT_EQ(store_->outbox(500)->size(), static_cast<std::size_t>(kRows - 40));
  EXPECT_TRUE(store_->journal_of(id(kRows))->empty());
  EXPECT_TRUE(store_->offsets("corridor.inputs")->empty());
}

TEST_P(StoreContract, ASizeCapRefusesWritesUntilLifted) {
  SCOPED_TRACE(kHonestDifferences);
  ASSERT_GT(*store_->size_bytes(), 0);
  ASSERT_TRUE(store_->limit_size(1));
  StoreBatch b;
  b.transactions = {txn("tx_a", 1000)};
  for (int i = 0; i < 200; ++i) b.outbox.push_back({0, "events", "tx_a", std::string(2000, 'x')});
  auto r = store_->commit(b);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, store_errc::statement_failed) << r.error().message;
  EXPECT_TRUE(r.error().retryable());
  EXPECT_EQ(*store_->count_transactions(), 0);
  ASSERT_TRUE(store_->limit_size(0));
  commit(b);
  EXPECT_EQ(*store_->count_transactions(), 1);
}

TEST_P(StoreContract, ReadOnlyRefusesWritesAndKeepsReads) {
  StoreBatch b;
  b.transactions = {txn("tx_a", 1000)};
  b.calls = {call("c1")};
  b.outbox = {{0, "events", "tx_a", "{}"}};
  b.timers_set = {{"tx_a", "poll", 1, "p"}};
  commit(b);
  ASSERT_TRUE(store_->set_read_only(true));
  StoreBatch c;
  c.transactions = {txn("tx_b", 1000)};
  auto r = store_->commit(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, store_errc::statement_failed) << r.error().message;
  EXPECT_TRUE(r.error().retryable());
  EXPECT_FALSE(store_->mark_call_attempted("c1"));
  EXPECT_FALSE(store_->complete_call("c1"));
  EXPECT_FALSE(store_->remove_outbox({store_->outbox(1)->at(0).id}));
  EXPECT_FALSE(store_->remove_timers(*store_->due_timers(10, 10)));
  EXPECT_FALSE(store_->reset_offsets("corridor.inputs"));
  // Reads go on.
  EXPECT_TRUE(*store_->transaction_exists("tx_a"));
  EXPECT_EQ(store_->outbox(10)->size(), 1u);
  EXPECT_EQ(store_->pending_calls(10)->size(), 1u);
  EXPECT_EQ(*store_->count_transactions(), 1);

  ASSERT_TRUE(store_->set_read_only(false));
  commit(c);
  ASSERT_TRUE(store_->mark_call_attempted("c1"));
  EXPECT_EQ(*store_->count_transactions(), 2);
}

TEST_P(StoreContract, ListsFilterAndPageWithTheKeysetCursor) {
  StoreBatch b;
  // Two share a creation time: the cursor orders them by txn_id.
  b.transactions = {txn("tx_1", 1000), txn("tx_2", 2000, "OTHER"), txn("tx_3", 2000), txn("tx_4", 3000),
                    txn("tx_5", 4000)};
  b.transactions[3].provider = "esipay";
  b.transactions[3].flow = "card";
  b.statuses = {"pending", "succeeded", "succeeded", "unknown", "failed"};
  commit(b);
  auto ids = [&](const TransactionQuery& q) {
    std::vector<std::string> out;
    auto rows = store_->list_transactions(q);
    EXPECT_TRUE(rows);
    for (const auto& t : *rows) out.push_back(t.txn_id);
    return out;
  };
  TransactionQuery all;
  EXPECT_EQ(ids(all), (std::vector<std::string>{"tx_5", "tx_4", "tx_3", "tx_2", "tx_1"}));
  TransactionQuery page;
  page.limit = 2;
  EXPECT_EQ(ids(page), (std::vector<std::string>{"tx_5", "tx_4"}));
  page.cursor = TransactionQuery::Cursor{3000, "tx_4"};
  EXPECT_EQ(ids(page), (std::vector<std::string>{"tx_3", "tx_2"}));
  page.cursor = TransactionQuery::Cursor{2000, "tx_2"};
  EXPECT_EQ(ids(page), (std::vector<std::string>{"tx_1"}));
  page.cursor = TransactionQuery::Cursor{1000, "tx_1"};
  EXPECT_TRUE(ids(page).empty());

  TransactionQuery q;
  q.merchant = "OTHER";
  EXPECT_EQ(ids(q), (std::vector<std::string>{"tx_2"}));
  q = {};
  q.reference = "REF-tx_3";
  EXPECT_EQ(ids(q), (std::vector<std::string>{"tx_3"}));
  q = {};
  q.status = "succeeded";
  EXPECT_EQ(ids(q), (std::vector<std::string>{"tx_3", "tx_2"}));
  q = {};
  q.provider = "esipay";
  EXPECT_EQ(ids(q), (std::vector<std::string>{"tx_4"}));
  q = {};
  q.flow = "payin";
  EXPECT_EQ(ids(q).size(), 4u);
  q = {};
  q.since_ms = 2000;
  EXPECT_EQ(ids(q), (std::vector<std::string>{"tx_5", "tx_4", "tx_3", "tx_2"}));
  q = {};
  q.attention_only = true;
  EXPECT_EQ(ids(q), (std::vector<std::string>{"tx_4"}));
  q = {};
  q.merchant = "ZANDO";
  q.status = "succeeded";
  q.since_ms = 1500;
  q.limit = 5;
  EXPECT_EQ(ids(q), (std::vector<std::string>{"tx_3"}));
  q.merchant = "'; DROP TABLE transactions; --";
  EXPECT_TRUE(ids(q).empty());
  EXPECT_EQ(*store_->count_transactions(), 5);
}

TEST_P(StoreContract, UnlistedTransactionsAreListedOnce) {
  StoreBatch b;
  b.transactions = {txn("tx_1", 1000), txn("tx_2", 2000)};  // no statuses: not listed
  commit(b);
  TransactionQuery by_status;
  by_status.status = "pending";
  EXPECT_TRUE(store_->list_transactions(by_status)->empty());
  std::atomic<int> asked = 0;
  auto listed = store_->list_unlisted([&](const Transaction&) {
    ++asked;
    return std::string("pending");
  });
  ASSERT_TRUE(listed);
  EXPECT_EQ(*listed, 2u);
  EXPECT_EQ(asked, 2);
  EXPECT_EQ(store_->list_transactions(by_status)->size(), 2u);
  EXPECT_EQ(*store_->list_unlisted([](const Transaction&) { return std::string("x"); }), 0u);
}

TEST_P(StoreContract, ReadsGoOnWhileAnotherThreadCommits) {
  // The processor, relay, executor, scheduler and HTTP readers call the store from their own threads.
  std::atomic<bool> stop = false;
  std::atomic<int> failures = 0;
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i)
    readers.emplace_back([&] {
      while (!stop) {
        if (!store_->outbox(10) || !store_->pending_calls(10) || !store_->due_timers(0, 10) ||
            !store_->transaction_exists("tx_0"))
          ++failures;
      }
    });
  for (int i = 0; i < 50; ++i) {
    StoreBatch b;
    b.transactions = {txn("tx_" + std::to_string(i), i)};
    b.outbox = {{0, "events", "tx", "{}"}};
    b.offsets = {{"corridor.inputs", 0, i + 1}};
    commit(b);
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(*store_->count_transactions(), 50);
  EXPECT_EQ(store_->offsets("corridor.inputs")->at(0), 50);
}

TEST_P(StoreContract, AStoreOpenedAgainKeepsItsRows) {
  StoreBatch b;
  b.transactions = {txn("tx_a", 1000)};
  b.offsets = {{"corridor.inputs", 2, 4}};
  commit(b);
  store_.reset();
  store_ = open();
  ASSERT_TRUE(store_);
  EXPECT_TRUE(*store_->transaction_exists("tx_a"));
  EXPECT_EQ(store_->offsets("corridor.inputs")->at(2), 4);
}

// ---- Partition ownership (store.hpp: claim_partition, StoreBatch::fences, the partition filters) --

const std::string kInputs = "corridor.inputs";

TEST_P(StoreContract, ClaimsFromConcurrentClaimantsAreDistinctAndIncreasing) {
  // Claimants on stores of their own, as processes are: each claim is one statement.
  constexpr int kClaimants = 6, kClaims = 3;
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < kClaimants; ++i) stores.push_back(open());
  std::vector<std::vector<std::int64_t>> epochs(kClaimants);
  std::vector<std::string> errors(kClaimants);
  std::vector<std::thread> claimants;
  for (int i = 0; i < kClaimants; ++i)
    claimants.emplace_back([&, i] {
      for (int c = 0; c < kClaims; ++c) {
        auto e = stores[i]->claim_partition(kInputs, 0, "process-" + std::to_string(i));
        if (!e) {
          errors[i] = e.error().message;
          return;
        }
        epochs[i].push_back(*e);
      }
    });
  for (auto& t : claimants) t.join();
  std::set<std::int64_t> all;
  for (int i = 0; i < kClaimants; ++i) {
    EXPECT_EQ(errors[i], "");
    ASSERT_EQ(epochs[i].size(), static_cast<std::size_t>(kClaims));
    EXPECT_TRUE(std::is_sorted(epochs[i].begin(), epochs[i].end()));  // each claimant's grow
    EXPECT_EQ(std::set<std::int64_t>(epochs[i].begin(), epochs[i].end()).size(), epochs[i].size());
    all.insert(epochs[i].begin(), epochs[i].end());
  }
  // Distinct, and every number from 1 on: no two claimants ever held the same epoch.
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kClaimants * kClaims));
  EXPECT_EQ(*all.begin(), 1);
  EXPECT_EQ(*all.rbegin(), kClaimants * kClaims);
  EXPECT_EQ(*store_->claim_partition(kInputs, 0, "main"), kClaimants * kClaims + 1);
  EXPECT_EQ(*store_->claim_partition(kInputs, 5, "main"), 1);  // partitions are independent
  EXPECT_EQ(*store_->claim_partition("other.topic", 0, "main"), 1);
  EXPECT_EQ(*store_->partition_epochs(kInputs),
            (std::map<std::int32_t, std::int64_t>{{0, kClaimants * kClaims + 1}, {5, 1}}));
  EXPECT_TRUE(store_->partition_epochs("nothing")->empty());
}

TEST_P(StoreContract, ABatchWithAStaleFenceWritesNothing) {
  const std::int64_t first = *store_->claim_partition(kInputs, 3, "a");
  const std::int64_t second = *store_->claim_partition(kInputs, 3, "b");  // b took it over
  ASSERT_GT(second, first);
  const std::int64_t other = *store_->claim_partition(kInputs, 4, "a");
  StoreBatch b;
  b.transactions = {txn("tx_a", 1000)};
  b.statuses = {"pending"};
  b.outbox = {{0, "events", "tx_a", "{}", {}, 3}};
  b.events = {{"tx_a", 1, "{}"}};
  b.calls = {call("c1")};
  b.call_partitions = {3};
  b.timers_set = {{"tx_a", "poll", 10, "p", 3}};
  b.processed_inputs = {{"in-1", "", 1000}};
  b.offsets = {{kInputs, 3, 8}};
  b.journal = {{"tx_a", 1000, "command", "payment.create", "{}"}};
  b.traceparents = {{"tx_a", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}};
  auto nothing_written = [&] {
    EXPECT_EQ(*store_->count_transactions(), 0);
    EXPECT_TRUE(store_->outbox(10)->empty());
    EXPECT_TRUE(store_->events_of("tx_a")->empty());
    EXPECT_TRUE(store_->pending_calls(10)->empty());
    EXPECT_TRUE(store_->due_timers(100, 10)->empty());
    EXPECT_TRUE(store_->processed_among({"in-1"})->empty());
    EXPECT_TRUE(store_->offsets(kInputs)->empty());
    EXPECT_TRUE(store_->journal_of("tx_a")->empty());
  };
  for (const auto& fences : std::vector<std::vector<PartitionEpoch>>{
           {{kInputs, 3, first}},                        // the zombie's epoch
           {{kInputs, 4, other}, {kInputs, 3, first}},   // one stale among current ones
           {{kInputs, 3, second + 1}},                   // an epoch nobody was given
           {{kInputs, 9, 1}}}) {                         // a partition never claimed
    b.fences = fences;
    auto r = store_->commit(b);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, store_errc::fenced) << r.error().message;
    EXPECT_FALSE(r.error().retryable());
    EXPECT_NE(r.error().message.find("partition"), std::string::npos) << r.error().message;
    nothing_written();
  }
  // The owner's batch goes in, fences on two partitions included; the store goes on after a refusal.
  b.fences = {{kInputs, 3, second}, {kInputs, 4, other}};
  commit(b);
  EXPECT_EQ(*store_->count_transactions(), 1);
  EXPECT_EQ(store_->offsets(kInputs)->at(3), 8);
  // A claim that follows sees every batch the owner before it committed.
  EXPECT_EQ(*store_->claim_partition(kInputs, 3, "c"), second + 1);
  EXPECT_EQ(store_->offsets(kInputs)->at(3), 8);
  StoreBatch late;
  late.offsets = {{kInputs, 3, 99}};
  late.fences = {{kInputs, 3, second}};
  EXPECT_EQ(store_->commit(late).error().code, store_errc::fenced);
  EXPECT_EQ(store_->offsets(kInputs)->at(3), 8);
}

TEST_P(StoreContract, RowsKeepTheirPartitionAndTheFiltersReadThem) {
  StoreBatch b;
  b.outbox = {{0, "events", "a", "{}", {}, 1}, {0, "events", "b", "{}", {}, 2}, {0, "deadletter", "c", "{}", {}, -1},
              {0, "events", "d", "{}", {}, 1}};
  b.calls = {call("c1"), call("c2"), call("c3")};
  b.call_partitions = {1, 2, 1};
  b.timers_set = {{"tx_a", "poll", 10, "ta", 1}, {"tx_b", "poll", 20, "tb", 2}, {"tx_c", "poll", 30, "tc", -1}};
  commit(b);
  StoreBatch unplaced;  // no call_partitions: every call belongs to none
  unplaced.calls = {call("c4")};
  commit(unplaced);

  auto keys = [](const std::vector<OutboxRow>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(r.key + ":" + std::to_string(r.partition));
    return out;
  };
  const std::vector<std::int32_t> one{1}, both{1, 2}, none{}, unknown{7};
  EXPECT_EQ(keys(*store_->outbox(10)), (std::vector<std::string>{"a:1", "b:2", "c:-1", "d:1"}));
  EXPECT_EQ(keys(*store_->outbox(10, 0, &one)), (std::vector<std::string>{"a:1", "d:1"}));
  EXPECT_EQ(keys(*store_->outbox(10, 0, &both)), (std::vector<std::string>{"a:1", "b:2", "d:1"}));
  EXPECT_EQ(keys(*store_->outbox(1, 0, &both)), (std::vector<std::string>{"a:1"}));
  const auto first = store_->outbox(1, 0, &one)->at(0).id;
  EXPECT_EQ(keys(*store_->outbox(10, first, &one)), (std::vector<std::string>{"d:1"}));
  EXPECT_TRUE(store_->outbox(10, 0, &none)->empty());
  EXPECT_TRUE(store_->outbox(10, 0, &unknown)->empty());
  EXPECT_EQ(keys(*store_->outbox_rows({first})), (std::vector<std::string>{"a:1"}));

  auto calls = [](const std::vector<PendingCall>& rows) {
    std::set<std::string> out;
    for (const auto& r : rows) out.insert(r.call.call_id + ":" + std::to_string(r.partition));
    return out;
  };
  EXPECT_EQ(calls(*store_->pending_calls(10)), (std::set<std::string>{"c1:1", "c2:2", "c3:1", "c4:-1"}));
  EXPECT_EQ(calls(*store_->pending_calls(10, &one)), (std::set<std::string>{"c1:1", "c3:1"}));
  EXPECT_EQ(store_->pending_calls(1, &one)->size(), 1u);
  EXPECT_TRUE(store_->pending_calls(10, &none)->empty());

  auto timers = [](const std::vector<TimerRow>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(r.input_id + ":" + std::to_string(r.partition));
    return out;
  };
  EXPECT_EQ(timers(*store_->due_timers(100, 10)), (std::vector<std::string>{"ta:1", "tb:2", "tc:-1"}));
  EXPECT_EQ(timers(*store_->due_timers(100, 10, &both)), (std::vector<std::string>{"ta:1", "tb:2"}));
  EXPECT_EQ(timers(*store_->due_timers(15, 10, &both)), (std::vector<std::string>{"ta:1"}));
  EXPECT_TRUE(store_->due_timers(100, 10, &unknown)->empty());

  // A timer set again moves with its partition.
  StoreBatch moved;
  moved.timers_set = {{"tx_a", "poll", 10, "ta2", 2}};
  commit(moved);
  EXPECT_EQ(timers(*store_->due_timers(100, 10, &one)), std::vector<std::string>{});
}

TEST_P(StoreContract, ACallsClaimWithAStaleFenceIsRefused) {
  const std::int64_t epoch = *store_->claim_partition(kInputs, 2, "a");
  StoreBatch b;
  b.calls = {call("c1"), call("c2")};
  b.call_partitions = {2, 2};
  commit(b);
  const PartitionEpoch current{kInputs, 2, epoch};
  ASSERT_TRUE(store_->mark_call_attempted("c1", &current));
  EXPECT_EQ(*store_->claim_partition(kInputs, 2, "b"), epoch + 1);
  auto r = store_->mark_call_attempted("c2", &current);  // the zombie's claim of c2
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, store_errc::fenced) << r.error().message;
  auto calls = *store_->pending_calls(10);
  for (const auto& c : calls) EXPECT_EQ(c.attempted, c.call.call_id == "c1") << c.call.call_id;
  const PartitionEpoch newer{kInputs, 2, epoch + 1};
  ASSERT_TRUE(store_->mark_call_attempted("c2", &newer));
  ASSERT_TRUE(store_->mark_call_attempted("c2"));  // without a fence: as before ownership
  calls = *store_->pending_calls(10);
  for (const auto& c : calls) EXPECT_TRUE(c.attempted) << c.call.call_id;
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreContract, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

// ---- PostgreSQL alone: its migrations, its connection URL ---------------------------------------

TEST(PostgresStore, ProcessesOpeningAnEmptyDatabaseTogetherMigrateItOnce) {
  const std::string url = PostgresServer::shared().fresh_database();
  constexpr int kOpeners = 8;
  std::vector<std::thread> openers;
  std::atomic<int> opened = 0;
  std::vector<std::string> errors(kOpeners);
  for (int i = 0; i < kOpeners; ++i)
    openers.emplace_back([&, i] {
      auto s = open_postgres_store(url);
      if (s) {
        ++opened;
        StoreBatch b;
        b.transactions = {txn("tx_" + std::to_string(i), i)};
        if (auto r = (*s)->commit(b); !r) errors[i] = r.error().message;
      } else {
        errors[i] = s.error().message;
      }
    });
  for (auto& t : openers) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(opened, kOpeners);
  EXPECT_EQ(scalar(url, "SELECT count(*) FROM schema_migrations"), std::to_string(postgres_schema_version()));
  EXPECT_EQ(scalar(url, "SELECT max(version) FROM schema_migrations"), std::to_string(postgres_schema_version()));
  EXPECT_EQ(scalar(url, "SELECT count(*) FROM transactions"), std::to_string(kOpeners));
}

TEST(PostgresStore, ADatabaseNewerThanTheBinaryIsRefused) {
  const std::string url = PostgresServer::shared().fresh_database();
  ASSERT_TRUE(open_postgres_store(url));
  const int newer = postgres_schema_version() + 1;
  EXPECT_NE(scalar(url, "INSERT INTO schema_migrations (version) VALUES (" + std::to_string(newer) + ") RETURNING version"),
            "");
  auto s = open_postgres_store(url);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, store_errc::schema_too_new);
  EXPECT_NE(s.error().message.find("schema version " + std::to_string(newer)), std::string::npos) << s.error().message;
  EXPECT_EQ(s.error().message.find(PostgresServer::shared().password()), std::string::npos) << s.error().message;
  // Nothing was changed by the refusal.
  EXPECT_EQ(scalar(url, "SELECT max(version) FROM schema_migrations"), std::to_string(newer));
}

TEST(PostgresStore, NoMessageCarriesTheUrlsPassword) {
  PostgresServer& server = PostgresServer::shared();
  const std::string password = server.password();
  // A wrong password, a database that does not exist, a port nobody listens on, a URL libpq cannot read.
  const std::string wrong = "postgresql://corridor:not-the-" + password + "@127.0.0.1:" + std::to_string(server.port()) + "/postgres";
  const std::string missing = server.url("no_such_database");
  const std::string closed = "postgresql://corridor:" + password + "@127.0.0.1:1/postgres";
  const std::string garbled = "postgresql://corridor:" + password + "@[::1/postgres?sslmode=sometimes";
  const std::string bad_option = "postgresql://corridor:" + password + "@127.0.0.1:" + std::to_string(server.port()) +
                                 "/postgres?sslmode=sometimes";
  for (const std::string& url : {wrong, missing, closed, garbled, bad_option}) {
    Config::Store config;
    config.kind = "postgres";
    config.url = url;
    auto s = open_store(config);
    ASSERT_FALSE(s) << url;
    EXPECT_EQ(s.error().code, store_errc::unavailable) << s.error().message;
    EXPECT_EQ(s.error().message.find(password), std::string::npos) << s.error().message;
    EXPECT_NE(s.error().message.find("store: "), std::string::npos) << s.error().message;
    // Registered as secrets: whatever corridor writes shows neither the URL nor its password.
    EXPECT_EQ(redact("connecting to " + url).find(password), std::string::npos);
  }
  // The URL's password in a statement's error (a value the server quotes back) is hidden too.
  auto store = open_postgres_store(server.fresh_database());
  ASSERT_TRUE(store);
  StoreBatch b;
  b.events = {{"tx_" + password, 1, "{}"}, {"tx_" + password, 1, "{}"}};
  auto r = (*store)->commit(b);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.find(password), std::string::npos) << r.error().message;
}

// SQLite's commit holds the whole file (BEGIN IMMEDIATE), and a claim is a write: it waits there by
// construction. PostgreSQL's holds the fenced partitions' rows: a transaction holding them as a
// commit does (the same corridor_check_fences, first in the transaction) makes a claim wait.
TEST(PostgresStore, AClaimWaitsForACommitHoldingThePartition) {
  const std::string url = PostgresServer::shared().fresh_database();
  auto store = open_postgres_store(url);
  ASSERT_TRUE(store);
  const std::int64_t epoch = *(*store)->claim_partition(kInputs, 1, "a");
  PGconn* commit = PQconnectdb(url.c_str());
  ASSERT_EQ(PQstatus(commit), CONNECTION_OK);
  auto exec = [&](const std::string& sql) {
    PGresult* r = PQexec(commit, sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    return ok;
  };
  ASSERT_TRUE(exec("BEGIN"));
  ASSERT_TRUE(exec("SELECT corridor_check_fences('{corridor.inputs}', '{1}', '{" + std::to_string(epoch) + "}')"));
  ASSERT_TRUE(exec("INSERT INTO offsets VALUES ('corridor.inputs', 1, 42)"));  // the commit's writes
  std::atomic<std::int64_t> claimed = 0;
  std::thread claimant([&] {
    auto e = (*store)->claim_partition(kInputs, 1, "b");
    claimed = e ? *e : -1;
  });
  // The claim is seen waiting on the row's lock, and has not returned.
  const std::string admin = PostgresServer::shared().url("postgres");
  const std::string db = url.substr(url.rfind('/') + 1);
  EXPECT_TRUE(testing::eventually([&] {
    return scalar(admin, "SELECT count(*) FROM pg_stat_activity WHERE datname = '" + db +
                             "' AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO partition_owners%'") == "1";
  }));
  EXPECT_EQ(claimed, 0);
  ASSERT_TRUE(exec("COMMIT"));
  claimant.join();
  EXPECT_EQ(claimed, epoch + 1);
  // The claim came after the commit: it sees its writes.
  EXPECT_EQ((*store)->offsets(kInputs)->at(1), 42);
  PQfinish(commit);
  // And the holder's next batch, under its old epoch, is refused.
  StoreBatch b;
  b.offsets = {{kInputs, 1, 43}};
  b.fences = {{kInputs, 1, epoch}};
  EXPECT_EQ((*store)->commit(b).error().code, store_errc::fenced);
}

TEST(PostgresStore, ABrokenConnectionIsOpenedAgain) {
  const std::string url = PostgresServer::shared().fresh_database();
  auto store = open_postgres_store(url);
  ASSERT_TRUE(store);
  StoreBatch b;
  b.transactions = {txn("tx_a", 1000)};
  ASSERT_TRUE((*store)->commit(b));
  ASSERT_TRUE((*store)->transaction_exists("tx_a"));
  // The server ends every session of the database (as a restart or a failover does).
  const std::string db = url.substr(url.rfind('/') + 1);
  EXPECT_NE(scalar(PostgresServer::shared().url("postgres"),
                   "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '" + db + "'"),
            "0");
  // The next call on each connection may fail (retryable); the one after succeeds.
  auto again = (*store)->commit(b);
  if (!again) {
    EXPECT_TRUE(again.error().retryable()) << again.error().message;
    again = (*store)->commit(b);
  }
  EXPECT_TRUE(again) << again.error().message;
  auto exists = (*store)->transaction_exists("tx_a");
  if (!exists) exists = (*store)->transaction_exists("tx_a");
  ASSERT_TRUE(exists);
  EXPECT_TRUE(*exists);
}

}  // namespace
}  // namespace corridor
