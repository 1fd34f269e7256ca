// corridor replay over a recorded run of every provider's demo scenarios: the log rebuilds exactly
// the live store; a store row altered on purpose is reported with what differs.
#include "engine/replay.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <sstream>

#include "engine/commands.hpp"
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
  ASSERT_EQ(report.differences.size(), 1u);
  EXPECT_EQ(report.differences[0].txn_id, txn);
  EXPECT_EQ(report.differences[0].what, "state");
  EXPECT_EQ(report.differences[0].live, "\"succeeded\"");
  EXPECT_EQ(report.differences[0].replayed, "\"failed\"");

  std::ostringstream json_out, csv_out;
  print_replay_report(report, "json", json_out);
  print_replay_report(report, "csv", csv_out);
  EXPECT_NE(json_out.str().find("\"matches\":false"), std::string::npos);
  EXPECT_NE(csv_out.str().find(txn), std::string::npos);
}

TEST_F(Replay, OneTransactionOnly) {
  ReplayOptions options;
  options.txn_id = derive_txn_id("ZANDO", "REPLAY-novasend-declined");
  const ReplayReport report = run(options);
  EXPECT_TRUE(report.matches());
  EXPECT_EQ(report.transactions, 1);
}

}  // namespace
}  // namespace corridor
