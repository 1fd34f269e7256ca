// The relay when the store will not give or remove outbox rows: it backs off, shows as stuck on
// /healthz, publishes nothing meanwhile, and publishes every row once the store answers again.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <atomic>
#include <thread>

#include "engine/pipeline/relay.hpp"
#include "engine/io/health.hpp"
#include "engine/io/metrics.hpp"
#include "tests/support/delegating_store.hpp"
#include "tests/support/runtime_harness.hpp"
#include "engine/store/errc.hpp"

namespace corridor {
namespace {

using testing::Cluster;
using testing::TempDir;

// The store, but reading the outbox fails while `failing` is set (an I/O error on the disk).
class OutboxFails final : public testing::DelegatingStore {
 public:
  using DelegatingStore::DelegatingStore;
  std::atomic<bool> failing{true};
  std::atomic<int> refused{0};

  Result<std::vector<OutboxRow>> outbox(std::size_t limit, std::int64_t after, PartitionFilter only) override {
    if (failing.load()) {
      refused++;
      return fail(store_errc::statement_failed, "store: disk I/O error (injected)");
    }
    return DelegatingStore::outbox(limit, after, only);
  }
};

TEST(Relay, AStoreThatWillNotGiveTheOutboxStallsTheRelayWhichPublishesOnceItAnswers) {
  Cluster cluster;
  TempDir dir;
  const Config config = testing::test_config(cluster, dir.path());
  auto sqlite = open_sqlite_store(dir.path() + "/store.db");
  OutboxFails store(*sqlite);
  StoreBatch batch;
  for (int i = 0; i < 3; ++i) {
    const std::string id = "evt-" + std::to_string(i);
    batch.outbox.push_back(OutboxRow{0, "events", "T" + std::to_string(i),
                                     boost::json::serialize(json::object{{"event_id", id}, {"txn_id", "T"}})});
  }
  ASSERT_TRUE(store.commit(batch));

  // The rows are this test's own making, not corridor's events: left out of the contract check.
  testing::TopicCollector events(cluster.bootstrap, config.kafka.events, /*check_contracts=*/false);
  KafkaProducer producer(cluster.bootstrap, config.kafka.properties);
  Signal wake;
  SystemClock clock;
  Metrics metrics;
  Health health;
  std::atomic<bool> stop{false};
  std::thread relay([&] { run_relay(config, store, producer, wake, clock, metrics, health, stop); });
  // Commits and acknowledgements raise the relay's signal many times a second: its pause holds.
  std::thread busy([&] {
    // Raised again each millisecond the store still fails: a bounded wait on the end of the failure.
    do {
      wake.notify();
    } while (!testing::eventually([&] { return !store.failing.load(); }, std::chrono::milliseconds(1)));
  });

  // Stuck, and said so once the grace has passed; retried with a pause, not in a busy loop.
  const bool named = testing::eventually(
      [&] {
        const auto problems = health.problems(clock.now_ms());
        return !problems.empty() && problems[0].part == "relay" &&
               problems[0].reason.find("disk I/O error") != std::string::npos;
      },
      std::chrono::seconds(30));
  const int tries = store.refused.load();
  EXPECT_TRUE(named);
  EXPECT_LT(tries, 20) << "the relay retried without backing off";
  EXPECT_TRUE(events.records().empty());

  store.failing = false;
  busy.join();
  wake.notify();
  EXPECT_TRUE(events.wait_until([](const auto& recs) { return recs.size() >= 3; }, std::chrono::seconds(30)));
  EXPECT_TRUE(testing::eventually([&] { return health.problems(clock.now_ms()).empty(); }, std::chrono::seconds(30)));
  EXPECT_TRUE(testing::eventually([&] { auto rows = sqlite->outbox(10, 0); return rows && rows->empty(); },
                         std::chrono::seconds(30)));
  stop = true;
  wake.notify();
  relay.join();
  EXPECT_EQ(events.records().size(), 3u);
}

}  // namespace
}  // namespace corridor
