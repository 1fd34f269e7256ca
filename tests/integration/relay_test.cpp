// The relay when the store will not give or remove outbox rows: it backs off, shows as stuck on
// /healthz, publishes nothing meanwhile, and publishes every row once the store answers again. And the
// relay of one process among several (kafka.assignment: group): it publishes the rows of the
// partitions it owns, each once, a partition claimed later from its oldest row.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <algorithm>
#include <atomic>
#include <functional>
#include <boost/json/parse.hpp>
#include <thread>

#include "engine/pipeline/ownership.hpp"
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

// run_relay on a thread of its own with its parts; stopped and joined by stop() or at the end of the
// scope (also when an assertion ends a test early).
struct RunningRelay {
  RunningRelay(const Config& config, Store& store, const std::string& bootstrap, const Ownership* ownership = nullptr)
      : producer(bootstrap, config.kafka.properties) {
    thread = std::thread([&, ownership] { run_relay(config, store, producer, wake, clock, metrics, health, stopping, ownership); });
  }
  ~RunningRelay() { stop(); }
  void stop() {
    stopping = true;
    wake.notify();
    if (thread.joinable()) thread.join();
  }
  KafkaProducer producer;
  Signal wake;
  SystemClock clock;
  Metrics metrics;
  Health health;
  std::atomic<bool> stopping{false};
  std::thread thread;
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
  RunningRelay relay(config, store, cluster.bootstrap);
  Signal& wake = relay.wake;
  Health& health = relay.health;
  const SystemClock& clock = relay.clock;
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
  relay.stop();
  EXPECT_EQ(events.records().size(), 3u);
}

OutboxRow row_of(const std::string& event_id, std::int32_t partition) {
  return OutboxRow{0, "events", "T-" + event_id,
                   boost::json::serialize(json::object{{"event_id", event_id}, {"txn_id", "T-" + event_id}}), {},
                   partition};
}

std::vector<std::string> event_ids(const std::vector<json::object>& records) {
  std::vector<std::string> ids;
  for (const auto& r : records) ids.emplace_back(get_string(r, "event_id"));
  return ids;
}

bool has(const std::vector<json::object>& records, const std::string& event_id) {
  const auto ids = event_ids(records);
  return std::find(ids.begin(), ids.end(), event_id) != ids.end();
}

// The relay reads the outbox in id order: once a row written after `before` is published, `before`
// was read in the same or an earlier pass, and had it been this relay's it would have gone too.
TEST(Relay, PublishesOnlyTheRowsOfItsPartitionsEachOnceAPartitionClaimedLaterFromItsOldestRow) {
  Cluster cluster;
  TempDir dir;
  const Config config = testing::test_config(cluster, dir.path());
  auto store = open_sqlite_store(dir.path() + "/store.db");
  auto commit = [&](std::vector<OutboxRow> rows) {
    StoreBatch batch;
    batch.outbox = std::move(rows);
    ASSERT_TRUE(store->commit(batch));
  };
  commit({row_of("p0-a", 0), row_of("p1-a", 1), row_of("p2-a", 2)});

  Ownership ownership(config.kafka.inputs, /*every_row=*/false);
  ownership.claimed(0, 1);
  testing::TopicCollector events(cluster.bootstrap, config.kafka.events, /*check_contracts=*/false);
  RunningRelay relay(config, *store, cluster.bootstrap, &ownership);
  Signal& wake = relay.wake;

  // Owning partition 0: its rows, not those of 1 and 2 written before them.
  commit({row_of("p0-b", 0)});
  wake.notify();
  ASSERT_TRUE(events.wait_until([](const auto& recs) { return has(recs, "p0-a") && has(recs, "p0-b"); }));
  EXPECT_FALSE(has(events.records(), "p1-a"));
  EXPECT_FALSE(has(events.records(), "p2-a"));

  // Partition 1 claimed: its row older than the relay's position goes now, with the new ones.
  ownership.claimed(1, 1);
  commit({row_of("p1-b", 1), row_of("p0-c", 0)});
  wake.notify();
  ASSERT_TRUE(events.wait_until(
      [](const auto& recs) { return has(recs, "p1-a") && has(recs, "p1-b") && has(recs, "p0-c"); }));

  // Partition 0 given away: its next row is its new owner's.
  ownership.released(0);
  commit({row_of("p0-d", 0), row_of("p1-c", 1)});
  wake.notify();
  ASSERT_TRUE(events.wait_until([](const auto& recs) { return has(recs, "p1-c"); }));
  relay.stop();

  auto ids = event_ids(events.records());
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"p0-a", "p0-b", "p0-c", "p1-a", "p1-b", "p1-c"}))
      << "each row of an owned partition once, none of another's";
  // What it did not publish is still in the outbox, for its partitions' owners.
  auto left = store->outbox(10, 0);
  ASSERT_TRUE(left);
  std::vector<std::string> left_ids;
  for (const auto& r : *left) {
    boost::system::error_code ec;
    left_ids.emplace_back(get_string(boost::json::parse(r.body, ec).as_object(), "event_id"));
  }
  std::sort(left_ids.begin(), left_ids.end());
  EXPECT_EQ(left_ids, (std::vector<std::string>{"p0-d", "p2-a"}));
}

}  // namespace
}  // namespace corridor
