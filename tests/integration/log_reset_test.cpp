// A store that has applied offsets beyond the end of corridor.inputs (the log was reset: an embedded
// cluster restarted) stops corridor with a clear message; --accept-log-reset reads the new log.
#include <gtest/gtest.h>

#include "engine/pipeline/commands.hpp"
#include "tests/support/runtime_harness.hpp"

namespace corridor {
namespace {

using namespace testing;

TEST(LogReset, StoreAheadOfTheLogRefusesToStartUnlessAccepted) {
  TempDir dir;
  {
    Cluster first;
    TopicCollector events{first.bootstrap, "corridor.events"};
    Engine engine(first, dir.path());
    for (int i = 0; i < 5; ++i) engine.publish_command(payin_command("RESET-" + std::to_string(i), "+2250700000001"));
    ASSERT_TRUE(events.wait_until([](const auto& evs) {
      for (int i = 0; i < 5; ++i)
        if (latest_status(evs, derive_txn_id("ZANDO", "RESET-" + std::to_string(i))) != "succeeded") return false;
      return true;
    }));
  }
  Cluster second;  // a fresh, empty log: what an in-process embedded cluster is after a restart
  try {
    Engine engine(test_config(second, dir.path()));
    FAIL() << "started on a store ahead of the log";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("the log was reset"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--accept-log-reset"), std::string::npos) << e.what();
  }

  RuntimeOptions accept;
  accept.accept_log_reset = true;
  TopicCollector events{second.bootstrap, "corridor.events"};
  Engine engine(test_config(second, dir.path()), accept);
  engine.publish_command(payin_command("AFTER-RESET", "+2250700000001"));
  EXPECT_TRUE(events.wait_until(
      [](const auto& evs) { return latest_status(evs, derive_txn_id("ZANDO", "AFTER-RESET")) == "succeeded"; }));
  // The old transactions are still known: a repeated create of one of them changes nothing.
  engine.publish_command(payin_command("RESET-0", "+2250700000001"));
  engine.publish_command(payin_command("AFTER-RESET-2", "+2250700000001"));
  ASSERT_TRUE(events.wait_until(
      [](const auto& evs) { return latest_status(evs, derive_txn_id("ZANDO", "AFTER-RESET-2")) == "succeeded"; }));
  EXPECT_TRUE(events_of(events.records(), derive_txn_id("ZANDO", "RESET-0")).empty());
}

}  // namespace
}  // namespace corridor
