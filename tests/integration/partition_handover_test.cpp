// Two processors in one Kafka group share corridor.inputs (kafka.assignment: group): the group's
// rebalances hand partitions over, each claim raises the partition's epoch in the store, and every
// input is applied once whoever held its partition when it came. The two processors use two
// connections to one SQLite file, as two processes would use one PostgreSQL database.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "engine/pipeline/commands.hpp"
#include "engine/pipeline/ownership.hpp"
#include "engine/pipeline/processor.hpp"
#include "tests/support/delegating_store.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/runtime_harness.hpp"

namespace corridor {
namespace {

using testing::Cluster;
using testing::eventually;
using testing::TempDir;

constexpr std::int64_t kT0 = 1795867200000;
constexpr int kPartitions = 4;

// A processor on a thread of its own, with the partitions it holds.
struct Member {
  Member(Store& store, const Config& config, const std::string& bootstrap)
      : ownership(config.kafka.inputs, false), processor(store, config, hooks(), &ownership) {
    thread = std::thread([this, bootstrap] { processor.run(bootstrap, stop); });
  }
  ~Member() { leave(); }
  void leave() {
    stop = true;
    if (thread.joinable()) thread.join();
  }
  Processor::Hooks hooks() {
    Processor::Hooks h;
    h.claimed = [this](std::int32_t, std::int64_t) { ++claims; };
    h.fenced = [this](std::int32_t, std::int64_t) { ++fenced; };
    return h;
  }

  Ownership ownership;
  std::atomic<int> claims{0}, fenced{0};
  std::atomic<bool> stop{false};
  Processor processor;
  std::thread thread;
};

class PartitionHandover : public ::testing::Test {
 protected:
  PartitionHandover() : config_(testing::test_config(cluster_, dir_.path())) {
    config_.kafka.inputs = "handover.inputs";
    config_.kafka.group = "handover";
    testing::join_group_quickly(config_, kPartitions);
    cluster_.kafka->create_topic(config_.kafka.inputs, kPartitions);
    first_ = open_sqlite_store(dir_.path() + "/store.db");
    second_ = open_sqlite_store(dir_.path() + "/store.db");
    producer_ = std::make_unique<KafkaProducer>(cluster_.bootstrap, config_.kafka.properties);
  }

  // Creates of payments [from, to), routed as the router would; keyed by txn, so spread over partitions.
  void create(int from, int to) {
    for (int i = from; i < to; ++i) {
      const json::object command = testing::payin_command("HAND-" + std::to_string(i), "+2250700000001");
      auto routed = route_command(boost::json::serialize(command), config_, "c:" + std::to_string(i), kT0 + i);
      const Input& in = std::get<RoutedCommand>(routed).input;
      txn_ids_.insert(in.txn_id);
      ASSERT_TRUE(producer_->produce_sync(config_.kafka.inputs, in.txn_id, boost::json::serialize(to_json(in))));
    }
  }

  // Each payment once: its events numbered 1..n without a gap or a repeat.
  void expect_each_payment_once() {
    for (const auto& txn : txn_ids_) {
      auto events = first_->events_of(txn);
      ASSERT_TRUE(events);
      ASSERT_FALSE(events->empty()) << txn;
      for (std::size_t i = 0; i < events->size(); ++i)
        EXPECT_EQ((*events)[i].at("version").to_number<std::int64_t>(), static_cast<std::int64_t>(i + 1)) << txn;
    }
  }

  std::int64_t transactions() {
    auto n = first_->count_transactions();
    return n ? *n : -1;
  }

  Cluster cluster_;
  TempDir dir_;
  Config config_;
  std::unique_ptr<Store> first_, second_;
  std::unique_ptr<KafkaProducer> producer_;
  std::set<std::string> txn_ids_;
};

TEST_F(PartitionHandover, PartitionsMoveBetweenMembersUnderNewEpochsAndEveryInputIsAppliedOnce) {
  create(0, 20);
  Member a(*first_, config_, cluster_.bootstrap);
  ASSERT_TRUE(eventually([&] { return a.ownership.count() == kPartitions && transactions() == 20; },
                         std::chrono::seconds(60)));
  auto epochs = first_->partition_epochs(config_.kafka.inputs);
  ASSERT_TRUE(epochs);
  EXPECT_EQ(*epochs, (std::map<std::int32_t, std::int64_t>{{0, 1}, {1, 1}, {2, 1}, {3, 1}}));

  // A second member: the cooperative rebalance moves some partitions to it, and only those.
  auto b = std::make_unique<Member>(*second_, config_, cluster_.bootstrap);
  ASSERT_TRUE(eventually(
      [&] { return b->ownership.count() > 0 && a.ownership.count() + b->ownership.count() == kPartitions; },
      std::chrono::seconds(60)));
  const auto moved = *b->ownership.filter();
  EXPECT_EQ(a.claims.load(), kPartitions);  // a kept the others without claiming them again
  create(20, 40);
  ASSERT_TRUE(eventually([&] { return transactions() == 40; }, std::chrono::seconds(60)));
  epochs = first_->partition_epochs(config_.kafka.inputs);
  for (std::int32_t p : moved) EXPECT_EQ(epochs->at(p), 2) << "partition " << p;

  // The second member leaves: its partitions come back to the first under a third epoch.
  b->leave();
  ASSERT_TRUE(eventually([&] { return a.ownership.count() == kPartitions; }, std::chrono::seconds(60)));
  epochs = first_->partition_epochs(config_.kafka.inputs);
  for (std::int32_t p : moved) EXPECT_EQ(epochs->at(p), 3) << "partition " << p;

  // New payments and the first ten again (redelivered: the same input ids) on every partition.
  create(40, 50);
  create(0, 10);
  ASSERT_TRUE(eventually(
      [&] {
        auto offsets = first_->offsets(config_.kafka.inputs);
        std::int64_t applied = 0;
        if (offsets)
          for (const auto& [_, next] : *offsets) applied += next;
        return applied == 60;
      },
      std::chrono::seconds(60)));
  a.leave();

  EXPECT_EQ(transactions(), 50);
  expect_each_payment_once();
}

// The store of a processor that stops in the middle of a commit when told to, as a process paused
// (SIGSTOP, a long GC-like stall, a cut network) would: it neither commits nor polls Kafka meanwhile.
class Stalling final : public testing::DelegatingStore {
 public:
  using DelegatingStore::DelegatingStore;
  Result<Ok> commit(const StoreBatch& batch) override {
    std::unique_lock lock(mu_);
    if (stall_next_ && !batch.processed_inputs.empty()) {
      stall_next_ = false;
      stalled_ = true;
      cv_.notify_all();
      cv_.wait(lock, [&] { return !stalled_; });
    }
    lock.unlock();
    return DelegatingStore::commit(batch);
  }
  void stall_next() {
    std::lock_guard lock(mu_);
    stall_next_ = true;
  }
  bool stalled() {
    std::lock_guard lock(mu_);
    return stalled_;
  }
  void resume() {
    std::lock_guard lock(mu_);
    stalled_ = false;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stall_next_ = false, stalled_ = false;
};

// The zombie: a member stops in a commit past max.poll.interval.ms, so the group gives its partitions
// to the other, which claims them and applies the same inputs. When the first wakes, its commit
// carries the old epochs and is refused; it gives those partitions up, and nothing is applied twice.
// (Its rejoining afterwards is left to the multi-instance chaos test: on the embedded cluster, with
// both cores busy, one run in four left it without a partition for over a minute; see
// docs/operations.md, "Several instances under chaos".)
TEST_F(PartitionHandover, AMemberThatStalledPastItsPollIntervalIsFencedAndAppliesNothingTwice) {
  config_.kafka.properties["max.poll.interval.ms"] = "3000";
  Stalling stalling(*first_);
  Member a(stalling, config_, cluster_.bootstrap);
  create(0, 10);
  ASSERT_TRUE(eventually([&] { return a.ownership.count() == kPartitions && transactions() == 10; },
                         std::chrono::seconds(60)));

  stalling.stall_next();
  create(10, 30);
  ASSERT_TRUE(eventually([&] { return stalling.stalled(); }, std::chrono::seconds(60)));
  Member b(*second_, config_, cluster_.bootstrap);
  // b owns every partition (a left the group when it stopped polling) and applied every input.
  ASSERT_TRUE(eventually([&] { return b.ownership.count() == kPartitions && transactions() == 30; },
                         std::chrono::seconds(60)));
  stalling.resume();
  ASSERT_TRUE(eventually([&] { return a.fenced.load() > 0; }, std::chrono::seconds(60)));

  // a leaves (whether or not it was given partitions again); b goes on with the payments.
  a.leave();
  create(30, 40);
  ASSERT_TRUE(eventually([&] { return transactions() == 40; }, std::chrono::seconds(60)));
  b.leave();
  expect_each_payment_once();
}

}  // namespace
}  // namespace corridor
