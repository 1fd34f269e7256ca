// The whole runtime on a PostgreSQL store (store.kind postgres): embedded Kafka, the sandboxes over
// loopback, a PostgreSQL 15 server of the binary's own (tests/support/postgres.hpp). Payments reach
// their statuses, an engine started again on the same database goes on from its offsets, and no
// SQLite writer lock is taken.
#include <gtest/gtest.h>

#include <filesystem>

#include "engine/pipeline/commands.hpp"
#include "engine/store/open_store.hpp"
#include "statemachines/sensitive.hpp"
#include "tests/support/postgres.hpp"
#include "tests/support/runtime_harness.hpp"

namespace corridor {
namespace {

using namespace testing;

TEST(PostgresRuntime, PaymentsCompleteAndARestartGoesOnFromTheStoresOffsets) {
  TempDir dir;
  Cluster cluster;
  TopicCollector events{cluster.bootstrap, "corridor.events"};
  Config config = test_config(cluster, dir.path());
  config.store.kind = "postgres";
  config.store.url = PostgresServer::shared().fresh_database();

  const std::vector<std::pair<std::string, std::string>> first = {
      {"PG-1", "+2250700000001"}, {"PG-2", "+2250700000002"}, {"PG-3", "+2250700000003"}};
  const std::map<std::string, std::string> expected = {
      {"PG-1", "succeeded"}, {"PG-2", "failed"}, {"PG-3", "declined"}, {"PG-4", "succeeded"}};
  auto reached = [&](const std::vector<std::string>& refs) {
    return events.wait_until(
        [&](const auto& evs) {
          for (const auto& r : refs)
            if (latest_status(evs, derive_txn_id("ZANDO", r)) != expected.at(r)) return false;
          return true;
        },
        std::chrono::seconds(60));
  };
  {
    Engine engine(config);
    for (const auto& [reference, msisdn] : first) engine.publish_command(payin_command(reference, msisdn));
    ASSERT_TRUE(reached({"PG-1", "PG-2", "PG-3"}));
  }
  // The SQLite writer lock is for SQLite stores only.
  EXPECT_FALSE(std::filesystem::exists(config.store.path + ".lock"));
  {
    Engine engine(config);
    engine.publish_command(payin_command("PG-4", "+2250700000001"));
    ASSERT_TRUE(reached({"PG-4"}));
  }
  // Each transaction's versions 1..n once: nothing applied twice across the restart.
  const auto all = events.records();
  for (const auto& [reference, _] : expected) {
    const auto mine = events_of(all, derive_txn_id("ZANDO", reference));
    std::set<std::int64_t> versions;
    for (const auto& e : mine) versions.insert(get_int(e, "version"));
    ASSERT_FALSE(versions.empty()) << reference;
    EXPECT_EQ(*versions.rbegin(), static_cast<std::int64_t>(versions.size())) << reference;
  }
  auto store = open_store(config.store);
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_EQ(*(*store)->count_transactions(), 4);
  // The URL was registered as a secret when the store opened.
  EXPECT_EQ(redact(config.store.url).find(PostgresServer::shared().password()), std::string::npos);
}

}  // namespace
}  // namespace corridor
