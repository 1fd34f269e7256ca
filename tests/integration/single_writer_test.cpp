// A SQLite store has one writing corridor: a second runtime started on the same file is refused with a
// message naming the file and the other process, and starts once the first has stopped.
#include <gtest/gtest.h>

#include "engine/pipeline/commands.hpp"
#include "tests/support/runtime_harness.hpp"

namespace corridor {
namespace {

using namespace testing;

TEST(SingleWriter, ASecondRuntimeOnTheSameSqliteFileIsRefused) {
  TempDir dir;
  Cluster cluster;
  const Config config = test_config(cluster, dir.path());
  auto first = std::make_unique<Engine>(config);
  try {
    Engine second(config);
    FAIL() << "a second runtime started on " << config.store.path;
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("the store " + config.store.path + " is in use by another corridor process"), std::string::npos)
        << what;
  }
  // The first goes on: a payment still ends.
  TopicCollector events{cluster.bootstrap, "corridor.events"};
  first->publish_command(payin_command("SINGLE-1", "+2250700000001"));
  const auto txn = derive_txn_id("ZANDO", "SINGLE-1");
  EXPECT_TRUE(events.wait_until([&](const auto& evs) { return latest_status(evs, txn) == "succeeded"; }));
  first.reset();
  EXPECT_NO_THROW(Engine again(config));
}

}  // namespace
}  // namespace corridor
