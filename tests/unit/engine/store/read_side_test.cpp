// The store's read side (store.hpp: list_transactions, journal_of, list_unlisted) on a real SQLite file:
// a store made before the list's columns opens and is filled, the list's shapes are ranges of an index
// (no sort, whatever the store holds), and the processor's journal rows carry no secret.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <boost/json/serialize.hpp>
#include <array>
#include <filesystem>

#include "engine/pipeline/commands.hpp"
#include "engine/pipeline/processor.hpp"
#include "engine/store/card_vault.hpp"
#include "engine/store/store.hpp"

namespace corridor {
namespace {

constexpr std::int64_t kT0 = 1795867200000;

class ReadSide : public ::testing::Test {
 protected:
  ReadSide() {
    char tmpl[] = "/tmp/corridor-readside-XXXXXX";
    dir_ = mkdtemp(tmpl);
    config_ = parse_config(embedded_default_config(), "embedded");
  }
  ~ReadSide() override { std::filesystem::remove_all(dir_); }

  StoreBatch apply(Store& store, const std::vector<Input>& inputs) {
    std::vector<InputRecord> records;
    for (const auto& in : inputs)
      records.push_back({"corridor.inputs", 0, offset_++, kT0, boost::json::serialize(to_json(in))});
    BatchProcessor p(store, config_);
    BatchStats stats;
    auto batch = p.process(records, stats);
    EXPECT_TRUE(batch);
    EXPECT_TRUE(store.commit(*batch));
    return *batch;
  }

  Input routed(const std::string& raw) {
    std::array<unsigned char, 32> key{};
    key.fill(3);
    const CardVault vault(key);
    auto r = route_command(raw, config_, "corridor.commands:0:" + std::to_string(offset_), kT0, &vault);
    EXPECT_TRUE(std::holds_alternative<RoutedCommand>(r))
        << raw << ": " << (std::holds_alternative<CommandRejection>(r) ? std::get<CommandRejection>(r).reason : "");
    return std::get<RoutedCommand>(r).input;
  }

  Input payin(const std::string& reference) {
    return routed(R"({"type":"payment.create","merchant":"ZANDO","reference":")" + reference +
                  R"(","provider":"novasend","amount":{"value":300,"currency":"XOF"},"customer":{"msisdn":"+2250700000001"}})");
  }

  std::string dir_;
  Config config_;
  std::int64_t offset_ = 0;
};

void exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "") << " in " << sql;
}

TEST_F(ReadSide, AStoreMadeBeforeTheListOpensAndIsListedOnce) {
  // A transaction's document as the processor writes it.
  std::string doc, txn_id;
  {
    auto fresh = open_sqlite_store(dir_ + "/fresh.db");
    auto b = apply(*fresh, {payin("OLD-1")});
    ASSERT_EQ(b.transactions.size(), 1u);
    doc = serialize(b.transactions[0]);
    txn_id = b.transactions[0].txn_id;
  }
  // The schema of a store made before the read side: no listing columns, no journal.
  const std::string path = dir_ + "/old.db";
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    exec(db, "CREATE TABLE transactions (id INTEGER PRIMARY KEY, txn_id TEXT NOT NULL UNIQUE, state TEXT NOT NULL, "
             "version INTEGER NOT NULL, doc TEXT NOT NULL)");
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO transactions (txn_id, state, version, doc) VALUES (?, 'session_requested', 2, ?)",
                       -1, &st, nullptr);
    sqlite3_bind_text(st, 1, txn_id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, doc.c_str(), -1, SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);
  }
  auto store = open_sqlite_store(path);
  TransactionQuery by_status;
  by_status.status = "processing";
  ASSERT_TRUE(store->list_transactions(by_status));
  EXPECT_TRUE(store->list_transactions(by_status)->empty());  // not listed yet
  auto listed = store->list_unlisted([](const Transaction&) { return std::string("processing"); });
  ASSERT_TRUE(listed);
  EXPECT_EQ(*listed, 1u);
  EXPECT_EQ(*store->list_unlisted([](const Transaction&) { return std::string("x"); }), 0u);  // once
  auto found = store->list_transactions(by_status);
  ASSERT_TRUE(found);
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].txn_id, txn_id);
  TransactionQuery by_merchant;
  by_merchant.merchant = "ZANDO";
  by_merchant.since_ms = kT0;
  EXPECT_EQ(store->list_transactions(by_merchant)->size(), 1u);
  EXPECT_TRUE(store->journal_of(txn_id)->empty());
  // The processor goes on with it, and opening it again changes nothing.
  store.reset();
  store = open_sqlite_store(path);
  EXPECT_EQ(store->list_transactions(by_status)->size(), 1u);
}

// What the planner does with each shape of the list: a range of one index in the list's order, never
// a sort of every row (which a million rows would make slow).
TEST_F(ReadSide, EveryListShapeIsAnIndexRangeWithoutASort) {
  { auto store = open_sqlite_store(dir_ + "/plan.db"); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/plan.db").c_str(), &db), SQLITE_OK);
  const std::string order = " ORDER BY created_at_ms DESC, txn_id DESC LIMIT 51";
  for (const std::string where :
       {"1 = 1", "1 = 1 AND merchant = ?", "1 = 1 AND reference = ?", "1 = 1 AND status = ?",
        "1 = 1 AND attention = 1", "1 = 1 AND merchant = ? AND status = ? AND created_at_ms >= ?",
        "1 = 1 AND merchant = ? AND (created_at_ms, txn_id) < (?, ?)", "1 = 1 AND provider = ? AND flow = ?",
        "1 = 1 AND merchant = ? AND attention = 1", "1 = 1 AND created_at_ms >= ?"}) {
    const std::string sql = "EXPLAIN QUERY PLAN SELECT doc FROM transactions WHERE " + where + order;
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
    std::string plan;
    while (sqlite3_step(st) == SQLITE_ROW) plan += std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 3))) + "; ";
    sqlite3_finalize(st);
    EXPECT_NE(plan.find("USING INDEX transactions_"), std::string::npos) << where << ": " << plan;
    EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << where << ": " << plan;
  }
  sqlite3_close(db);
}

TEST_F(ReadSide, JournalHasEachInputWithItsEffectsAndNoSecret) {
  auto store = open_sqlite_store(dir_ + "/journal.db");
  const Input charge = routed(
      R"({"type":"payment.create","command_id":"c-1","merchant":"ZANDO","reference":"J-1","provider":"esipay",)"
      R"("amount":{"value":1000,"currency":"XOF"},"card":{"number":"4111 1111 1111 1111","exp_month":12,"exp_year":2030,"cvv":"123"},)"
      R"("customer":{"name":"John Doe"}})");
  auto b = apply(*store, {charge});
  ASSERT_EQ(b.transactions.size(), 1u);
  const std::string txn = charge.txn_id;
  auto journal = store->journal_of(txn);
  ASSERT_TRUE(journal);
  ASSERT_EQ(journal->size(), 1u);  // one row per input, naming the call it asked for
  EXPECT_EQ((*journal)[0].kind, "command");
  EXPECT_EQ((*journal)[0].name, "payment.create");
  EXPECT_EQ((*journal)[0].at_ms, kT0);
  EXPECT_NE((*journal)[0].detail.find(R"("calls":[{"op":")"), std::string::npos) << (*journal)[0].detail;
  EXPECT_NE((*journal)[0].detail.find(R"("result":"applied")"), std::string::npos) << (*journal)[0].detail;
  for (const auto& j : *journal) {
    EXPECT_EQ(j.detail.find("4111"), std::string::npos) << j.detail;
    EXPECT_EQ(j.detail.find("1111"), std::string::npos) << j.detail;
    EXPECT_EQ(j.detail.find("411111"), std::string::npos) << j.detail;
    EXPECT_EQ(j.detail.find("sealed"), std::string::npos) << j.detail;
    EXPECT_EQ(j.detail.find("123"), std::string::npos) << j.detail;
    EXPECT_EQ(j.detail.find("John"), std::string::npos) << j.detail;
  }
  // A redelivered input is not applied again, and so not journaled again.
  const std::size_t before = journal->size();
  apply(*store, {charge});
  EXPECT_EQ(store->journal_of(txn)->size(), before);
  // The raw file holds no card number anywhere the read side wrote.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/journal.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT count(*) FROM journal WHERE detail LIKE '%4111%' OR name LIKE '%4111%'", -1, &st,
                     nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_F(ReadSide, StatusAndAttentionColumnsFollowTheTransaction) {
  auto store = open_sqlite_store(dir_ + "/status.db");
  const Input create = payin("S-1");
  auto b = apply(*store, {create});
  ASSERT_EQ(b.statuses.size(), b.transactions.size());
  EXPECT_EQ(b.statuses[0], "pending");
  TransactionQuery attention;
  attention.attention_only = true;
  EXPECT_TRUE(store->list_transactions(attention)->empty());
  apply(*store, {Input{create.txn_id + ":1:create_session", create.txn_id, InputKind::provider_response, "call.failed",
                       kT0 + 5, {{"op", "create_session"}, {"error", "timeout"}, {"code", "http.timeout"},
                                 {"attempts", 5}, {"outcome", "unknown"}}}});
  EXPECT_EQ(store->list_transactions(attention)->size(), 1u);
  TransactionQuery unknown;
  unknown.status = "unknown";
  EXPECT_EQ(store->list_transactions(unknown)->size(), 1u);
  // A batch that does not know the statuses (a writer other than the processor) leaves them be.
  StoreBatch plain;
  plain.transactions.push_back(*store->load(create.txn_id).value());
  ASSERT_TRUE(store->commit(plain));
  EXPECT_EQ(store->list_transactions(unknown)->size(), 1u);
  EXPECT_EQ(store->list_transactions(attention)->size(), 1u);
}

}  // namespace
}  // namespace corridor
