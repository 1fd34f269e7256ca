// Routers of several processes share corridor.commands (kafka.assignment: group) through the group
// `<group>.router.members`, and keep their positions in `<group>.router`, a group nobody joins
// (engine/pipeline/router.cpp). While commands flow, a router joins and one leaves cleanly: every
// command is routed exactly once (a partition leaves with its positions committed and its next owner
// starts from them), the routers' partitions cover corridor.commands once each when the group has
// settled, and the positions kept are the end of each partition.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json/serialize.hpp>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "engine/io/health.hpp"
#include "engine/io/metrics.hpp"
#include "engine/pipeline/clock.hpp"
#include "engine/pipeline/router.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/on_exit.hpp"
#include "tests/support/runtime_harness.hpp"

namespace corridor {
namespace {

using testing::Cluster;
using testing::eventually;
using testing::TempDir;

constexpr int kPartitions = 4;

// A router on a thread of its own, as in one process.
struct Router {
  Router(const Config& config, const std::string& bootstrap) : producer(bootstrap, config.kafka.properties) {
    thread = std::thread([this, &config, bootstrap] {
      run_router(config, bootstrap, producer, clock, nullptr, metrics, health, stop);
    });
  }
  ~Router() { leave(); }
  void leave() {
    stop = true;
    if (thread.joinable()) thread.join();
  }
  KafkaProducer producer;
  SystemClock clock;
  Metrics metrics;
  Health health;
  std::atomic<bool> stop{false};
  std::thread thread;
};

class RouterGroup : public ::testing::Test {
 protected:
  RouterGroup() : config_(testing::test_config(cluster_, dir_.path())) {
    config_.kafka.commands = "rg.commands";
    config_.kafka.inputs = "rg.inputs";
    config_.kafka.group = "rg";
    testing::join_group_quickly(config_, kPartitions);
    cluster_.kafka->create_topic(config_.kafka.commands, kPartitions);
    cluster_.kafka->create_topic(config_.kafka.inputs, kPartitions);
    producer_ = std::make_unique<KafkaProducer>(cluster_.bootstrap, config_.kafka.properties);
  }

  void publish(int from, int to) {
    for (int i = from; i < to; ++i) {
      const std::string reference = "RG-" + std::to_string(i);
      ASSERT_TRUE(producer_->produce_sync(config_.kafka.commands, "ZANDO:" + reference,
                                          boost::json::serialize(testing::payin_command(reference, "+2250700000001"))));
    }
  }

  // Each routed input's id, as often as it was routed.
  std::map<std::string, int> routed(const testing::TopicCollector& inputs) {
    std::map<std::string, int> n;
    for (const auto& r : inputs.records()) ++n[std::string(get_string(r, "input_id"))];
    return n;
  }

  // The routers' partitions of corridor.commands, each held by one of them.
  static bool covered_once(const std::vector<const Router*>& routers) {
    std::map<std::int32_t, int> held;
    for (const Router* r : routers)
      for (const std::int32_t p : r->health.commands_partitions()) ++held[p];
    if (held.size() != static_cast<std::size_t>(kPartitions)) return false;
    for (const auto& [_, n] : held)
      if (n != 1) return false;
    return true;
  }

  Cluster cluster_;
  TempDir dir_;
  Config config_;
  std::unique_ptr<KafkaProducer> producer_;
};

TEST_F(RouterGroup, AJoinAndACleanLeaveWhileCommandsFlowRouteEachCommandOnce) {
  testing::TopicCollector inputs(cluster_.bootstrap, config_.kafka.inputs, /*check_contracts=*/false);
  auto a = std::make_unique<Router>(config_, cluster_.bootstrap);
  auto b = std::make_unique<Router>(config_, cluster_.bootstrap);
  ASSERT_TRUE(eventually([&] { return covered_once({a.get(), b.get()}); }, std::chrono::seconds(60)));

  // Commands flow, ten every 50 ms, while a third router joins and the first leaves: the partitions
  // move twice.
  std::mutex mu;
  std::condition_variable stopped;
  bool flowing = true;
  std::atomic<int> published{0};
  std::thread publisher([&] {
    for (int i = 0;; i += 10) {
      publish(i, i + 10);
      published = i + 10;
      std::unique_lock lock(mu);
      if (stopped.wait_for(lock, std::chrono::milliseconds(50), [&] { return !flowing; })) return;
    }
  });
  auto stop_publishing = [&] {
    {
      std::lock_guard lock(mu);
      flowing = false;
    }
    stopped.notify_all();
    if (publisher.joinable()) publisher.join();
  };
  testing::OnExit joins(stop_publishing);  // also when an assertion ends the test early
  ASSERT_TRUE(eventually([&] { return published.load() >= 40; }, std::chrono::seconds(30)));
  auto c = std::make_unique<Router>(config_, cluster_.bootstrap);
  ASSERT_TRUE(eventually([&] { return !c->health.commands_partitions().empty() && covered_once({a.get(), b.get(), c.get()}); },
                         std::chrono::seconds(60)))
      << "the third router was given no partition";
  a->leave();
  ASSERT_TRUE(eventually([&] { return covered_once({b.get(), c.get()}); }, std::chrono::seconds(60)))
      << "the first router's partitions did not move to the others";
  const int before_end = published.load();
  ASSERT_TRUE(eventually([&] { return published.load() >= before_end + 40; }, std::chrono::seconds(30)));
  stop_publishing();

  const int total = published.load();
  ASSERT_TRUE(inputs.wait_until([&](const auto& recs) { return static_cast<int>(recs.size()) >= total; },
                                std::chrono::seconds(60)));
  b->leave();
  c->leave();
  const auto n = routed(inputs);
  EXPECT_EQ(static_cast<int>(n.size()), total) << "a command was not routed";
  for (const auto& [input_id, times] : n) EXPECT_EQ(times, 1) << input_id << " routed " << times << " times";

  // The positions kept in `<group>.router` are the end of each partition: a router starting now
  // routes nothing again.
  KafkaConsumer positions(cluster_.bootstrap, config_.kafka.group + ".router", config_.kafka.properties);
  std::int64_t committed = 0;
  for (std::int32_t p = 0; p < kPartitions; ++p) {
    auto at = positions.committed(config_.kafka.commands, p, std::chrono::seconds(5));
    ASSERT_TRUE(at) << at.error().message;
    auto end = positions.high_watermark(config_.kafka.commands, p);
    ASSERT_TRUE(end);
    EXPECT_EQ(*at, *end) << "partition " << p;
    committed += *at;
  }
  EXPECT_EQ(committed, total);
}

}  // namespace
}  // namespace corridor
