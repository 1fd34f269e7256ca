// Which outbox rows of a batch a store may keep without a body of their own (engine/store/store.hpp,
// outbox_bodies_in_history): those whose event the same batch writes with the same bytes. That the
// stores read such rows back with their event's body is the store contract's
// (tests/integration/store_contract_test.cpp).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "engine/store/store.hpp"

namespace corridor {
namespace {

OutboxRow event_row(const std::string& key, std::int64_t version, const std::string& body) {
  return {0, "events", key, body, {}, 0, version};
}

TEST(OutboxBodiesInHistory, OnlyARowWhoseEventTheBatchWritesWithTheSameBytes) {
  StoreBatch b;
  b.events = {{"tx_a", 1, "A1"}, {"tx_a", 2, "A2"}, {"tx_b", 1, "B1"}, {"tx_c", 1, "C1"}};
  b.outbox = {
      event_row("tx_b", 1, "B1"),                  // out of the events' order: matched
      event_row("tx_a", 2, "A2 changed"),          // other bytes
      {0, "events", "tx_a", "rejected", {}, 0},    // command.rejected: no event
      {0, "deadletter", "", "dead", {}, 0},        // a dead letter
      event_row("tx_a", 1, "A1"),                  // matched
      event_row("tx_a", 3, "A1"),                  // a version the batch does not write
      event_row("tx_d", 1, "C1"),                  // another transaction's event bytes
      event_row("tx_b", 1, "B1"),                  // the same event named twice: both matched
      {0, "events", "tx_c", "C1", {}, 0},          // the event's bytes, but not named (version 0)
  };
  EXPECT_EQ(outbox_bodies_in_history(b), (std::vector<char>{1, 0, 0, 0, 1, 0, 0, 1, 0}));
}

TEST(OutboxBodiesInHistory, NothingWithoutEventsOrWithoutRows) {
  StoreBatch b;
  b.outbox = {event_row("tx_a", 1, "A1")};
  EXPECT_EQ(outbox_bodies_in_history(b), std::vector<char>{0});
  b.outbox.clear();
  b.events = {{"tx_a", 1, "A1"}};
  EXPECT_TRUE(outbox_bodies_in_history(b).empty());
  // An empty body is matched like any other (the event's bytes are the row's).
  b.events = {{"tx_a", 1, ""}};
  b.outbox = {event_row("tx_a", 1, "")};
  EXPECT_EQ(outbox_bodies_in_history(b), std::vector<char>{1});
}

// On SQLite an event's row names its event: a row whose event the history does not hold (which corridor
// never writes) is refused as an error, never published with an empty body.
TEST(OutboxBodiesInHistory, ASqliteRowWhoseEventIsMissingIsAnErrorNotAnEmptyBody) {
  char tmpl[] = "/tmp/corridor-outbox-history-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string path = dir + "/corridor.db";
  {
    auto store = open_sqlite_store(path);
    StoreBatch b;
    b.events = {{"tx_a", 1, "A1"}};
    b.outbox = {event_row("tx_a", 1, "A1")};
    ASSERT_TRUE(store->commit(b));
    auto rows = store->outbox(10);
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0].body, "A1");
  }
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "INSERT INTO outbox (topic, key, body, event_version) VALUES ('events', 'tx_gone', '', 7)",
                           nullptr, nullptr, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  auto store = open_sqlite_store(path);
  auto rows = store->outbox(10);
  ASSERT_FALSE(rows);
  EXPECT_NE(rows.error().message.find("names event version 7 of tx_gone, which the history does not hold"),
            std::string::npos)
      << rows.error().message;
  auto all = store->outbox_rows({1, 2});
  ASSERT_FALSE(all);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace corridor
