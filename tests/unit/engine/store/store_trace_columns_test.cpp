// A SQLite store file made before outbox rows kept their record headers and transactions their
// traceparent (engine/pipeline/record_headers.hpp) still opens: the columns are added, its rows read
// without headers, its transactions without a trace. That both are kept is the store contract's
// (tests/integration/store_contract_test.cpp).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "engine/store/store.hpp"

namespace corridor {
namespace {

class StoreTraceColumns : public ::testing::Test {
 protected:
  StoreTraceColumns() {
    char tmpl[] = "/tmp/corridor-store-trace-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/corridor.db";
  }
  ~StoreTraceColumns() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string dir_, path_;
};

const std::string kTrace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST_F(StoreTraceColumns, AStoreMadeBeforeTheColumnsOpensAndKeepsItsRows) {
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    const char* old_schema = R"sql(
CREATE TABLE transactions (
  id INTEGER PRIMARY KEY, txn_id TEXT NOT NULL UNIQUE, state TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL);
INSERT INTO transactions (txn_id, state, version, doc) VALUES ('tx_old', 'created', 1, '{}');
INSERT INTO outbox (topic, key, body) VALUES ('events', 'tx_old', '{"event_id":"tx_old:1"}');
)sql";
    ASSERT_EQ(sqlite3_exec(db, old_schema, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  auto store = open_sqlite_store(path_);
  auto rows = store->outbox(10);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].body, R"({"event_id":"tx_old:1"})");
  EXPECT_TRUE((*rows)[0].headers.empty());
  auto traces = store->traceparents_among({"tx_old"});
  ASSERT_TRUE(traces);
  EXPECT_TRUE(traces->empty());

  StoreBatch batch;
  OutboxRow row{0, "events", "tx_old", R"({"event_id":"tx_old:2"})"};
  row.headers = {{"traceparent", kTrace}};
  batch.outbox.push_back(row);
  batch.traceparents.emplace_back("tx_old", kTrace);
  ASSERT_TRUE(store->commit(batch));
  rows = store->outbox(10);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[1].headers, row.headers);
  traces = store->traceparents_among({"tx_old"});
  ASSERT_TRUE(traces);
  EXPECT_EQ(traces->at("tx_old"), kTrace);
  store.reset();
  EXPECT_TRUE(open_sqlite_store(path_));  // and it opens again, migrated
}

}  // namespace
}  // namespace corridor
