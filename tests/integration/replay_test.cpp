// corridor replay over a recorded run of every provider's demo scenarios: the log rebuilds exactly
// the live store; a store row altered on purpose is reported with what differs.
#include "engine/cli/replay.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <sstream>

#include "engine/pipeline/commands.hpp"
#include "sandbox/sandbox.hpp"
#include "tests/support/runtime_harness.hpp"

namespace corridor {
namespace {

using namespace testing;

class Replay : public ::testing::Test {
 protected:
  void SetUp() override {
    config = test_config(cluster, dir.path());
    TopicCollector events{cluster.bootstrap, "corridor.events"};
    Engine engine(config);
    std::map<std::string, std::string> expected;  // txn -> status
    for (const auto& reg : sandbox_registrations()) {
      for (const auto& s : reg.demo_scenarios()) {
        const std::string reference = "REPLAY-" + std::string(reg.provider) + "-" + s.name;
        json::object cmd{{"type", "payment.create"}, {"command_id", reference}, {"merchant", "ZANDO"}, {"reference", reference}};
        for (const auto& kv : s.command) cmd[kv.key()] = kv.value();
        engine.publish_command(cmd);
        // Follow-ups (refunds) are left out: the payment then ends where the first one would start.
        expected[derive_txn_id("ZANDO", reference)] = s.follow_ups.empty() ? s.expected_status : s.follow_ups.front().after_status;
      }
    }
    ASSERT_TRUE(events.wait_until(
        [&](const auto& evs) {
          for (const auto& [txn, status] : expected)
            if (latest_status(evs, txn) != status) return false;
          return true;
        },
        std::chrono::seconds(90)));
    scenarios = expected.size();
  }

  ReplayReport run(const ReplayOptions& options = {}) {
    auto live = open_sqlite_store(config.store.path);
    return replay(config, *live, cluster.bootstrap, dir.path() + "/scratch-" + std::to_string(++runs) + ".db", options);
  }

  TempDir dir;
  Cluster cluster;
  Config config;
  std::size_t scenarios = 0;
  int runs = 0;
};

TEST_F(Replay, RecordedRunOfEveryProviderMatchesTheLog) {
  const ReplayReport report = run();
  std::ostringstream text;
  print_replay_report(report, "text", text);
  EXPECT_TRUE(report.matches()) << text.str();
  EXPECT_EQ(report.transactions, static_cast<std::int64_t>(scenarios));
  EXPECT_GT(report.records, report.transactions);
  EXPECT_NE(text.str().find("every transaction matches the log"), std::string::npos);
}

TEST_F(Replay, AlteredStoreRowIsReportedWithWhatDiffers) {
  const std::string txn = derive_txn_id("ZANDO", "REPLAY-novasend-accepted-failed");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(config.store.path.c_str(), &db), SQLITE_OK);
    const std::string sql = "UPDATE transactions SET state = 'succeeded', doc = json_set(doc, '$.state', 'succeeded') "
                            "WHERE txn_id = '" + txn + "'";
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_changes(db), 1);
    sqlite3_close(db);
  }
  const ReplayReport report = run();
  // The document and the column beside it both changed: both are named.
  ASSERT_EQ(report.differences.size(), 2u);
  EXPECT_EQ(report.differences[1].what, "state column");
  EXPECT_EQ(report.differences[0].txn_id, txn);
  EXPECT_EQ(report.differences[0].merchant, "ZANDO");
  EXPECT_EQ(report.differences[0].reference, "REPLAY-novasend-accepted-failed");
  EXPECT_EQ(report.differences[0].what, "state");
  EXPECT_EQ(report.differences[0].live, "\"succeeded\"");
  EXPECT_EQ(report.differences[0].replayed, "\"failed\"");
  std::ostringstream text;
  print_replay_report(report, "text", text);
  EXPECT_NE(text.str().find(txn + " (ZANDO REPLAY-novasend-accepted-failed)  state"), std::string::npos) << text.str();

  std::ostringstream json_out, csv_out;
  print_replay_report(report, "json", json_out);
  print_replay_report(report, "csv", csv_out);
  EXPECT_NE(json_out.str().find("\"matches\":false"), std::string::npos);
  EXPECT_NE(csv_out.str().find(txn), std::string::npos);
}

// A column the row keeps beside its document, changed alone behind corridor's back, is caught too.
TEST_F(Replay, AlteredColumnBesideTheDocumentIsReported) {
  const std::string txn = derive_txn_id("ZANDO", "REPLAY-novasend-declined");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(config.store.path.c_str(), &db), SQLITE_OK);
    const std::string sql = "UPDATE transactions SET state = 'succeeded', version = version + 1 WHERE txn_id = '" + txn + "'";
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_changes(db), 1);
    sqlite3_close(db);
  }
  const ReplayReport report = run();
  ASSERT_EQ(report.differences.size(), 2u);
  EXPECT_EQ(report.differences[0].txn_id, txn);
  EXPECT_EQ(report.differences[0].what, "state column");
  EXPECT_EQ(report.differences[0].live, "\"succeeded\"");
  EXPECT_EQ(report.differences[1].what, "version column");
}

// --txn naming a transaction neither the log nor the store holds compares nothing: not a match.
TEST_F(Replay, AnUnknownTransactionIsNotAMatch) {
  ReplayOptions options;
  options.txn_id = "tx_no_such_transaction";
  const ReplayReport report = run(options);
  EXPECT_TRUE(report.txn_unknown);
  EXPECT_FALSE(report.matches());
  EXPECT_EQ(report.transactions, 0);
}

TEST_F(Replay, OneTransactionOnly) {
  ReplayOptions options;
  options.txn_id = derive_txn_id("ZANDO", "REPLAY-novasend-declined");
  const ReplayReport report = run(options);
  EXPECT_TRUE(report.matches());
  EXPECT_EQ(report.transactions, 1);
}


TEST_F(Replay, WindowsNarrowWhatIsReplayedAndReported) {
  // The first records of every partition only: the transactions they created went further in the
  // live store, and that is no difference; the versions both have are the same events.
  ReplayOptions first_records;
  first_records.until_offset = 2;
  const ReplayReport part = run(first_records);
  EXPECT_GT(part.transactions, 0);
  std::ostringstream part_text;
  print_replay_report(part, "text", part_text);
  EXPECT_TRUE(part.matches()) << part_text.str();

  // Nothing before offset 0: no record read, nothing to compare, nothing differs.
  ReplayOptions none;
  none.until_offset = 0;
  const ReplayReport empty = run(none);
  EXPECT_EQ(empty.records, 0);
  EXPECT_EQ(empty.transactions, 0);
  EXPECT_TRUE(empty.matches());

  // Every transaction was created before now: --from now reports none of them, and nothing differs.
  ReplayOptions later;
  later.from_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count() + 60000;
  const ReplayReport future = run(later);
  EXPECT_GT(future.records, 0);
  EXPECT_EQ(future.transactions, 0);
  EXPECT_TRUE(future.matches());

  // --until the first creation: the replay rebuilds only the earliest versions, the live transactions
  // went further (not a difference), and the versions both have must be the same events.
  std::int64_t first_created = INT64_MAX;
  {
    auto live = open_sqlite_store(config.store.path);
    auto ids = live->transaction_ids();
    ASSERT_TRUE(ids);
    for (const auto& id : ids.value()) {
      auto t = live->load(id);
      ASSERT_TRUE(t && *t);
      first_created = std::min(first_created, (*t)->created_at_ms);
    }
  }
  ReplayOptions early;
  early.until_ms = first_created;
  const ReplayReport start = run(early);
  EXPECT_GE(start.transactions, 1);
  EXPECT_LT(start.transactions, static_cast<std::int64_t>(scenarios) + 1);
  std::ostringstream text;
  print_replay_report(start, "text", text);
  EXPECT_TRUE(start.matches()) << text.str();
}

}  // namespace
}  // namespace corridor
