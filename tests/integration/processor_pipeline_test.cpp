// The processor's pipelining through Processor::run on embedded Kafka: a batch is made while the one
// before commits, and when that commit fails, the batch made on top of it is thrown away and both are
// made again. Every input is applied once, and the transactions are as if nothing had failed.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <condition_variable>
#include <mutex>

#include "engine/commands.hpp"
#include "engine/processor.hpp"
#include "tests/support/runtime_harness.hpp"

namespace corridor {
namespace {

using testing::Cluster;
using testing::TempDir;

constexpr std::int64_t kT0 = 1795867200000;

// The store, but its first commit waits until the next batch is being made (its processed ids are
// read) and then fails, as a full disk would.
class FirstCommitFails final : public Store {
 public:
  explicit FirstCommitFails(Store& store) : s_(store) {}

  Result<Ok> commit(const StoreBatch& batch) override {
    std::unique_lock lock(mu_);
    if (++commits_ == 1) {
      made_on_top_ = cv_.wait_for(lock, std::chrono::seconds(10), [&] { return reads_ >= 2; });
      return fail("store: disk full (injected)", true);
    }
    lock.unlock();
    return s_.commit(batch);
  }
  Result<std::set<std::string>> processed_among(const std::vector<std::string>& ids) override {
    {
      std::lock_guard lock(mu_);
      ++reads_;
    }
    cv_.notify_all();
    return s_.processed_among(ids);
  }
  bool made_on_top() {
    std::lock_guard lock(mu_);
    return made_on_top_;
  }

  Result<std::optional<Transaction>> load(const std::string& id) override { return s_.load(id); }
  Result<bool> processed(const std::string& id) override { return s_.processed(id); }
  Result<std::map<std::int32_t, std::int64_t>> offsets(const std::string& t) override { return s_.offsets(t); }
  Result<Ok> reset_offsets(const std::string& t) override { return s_.reset_offsets(t); }
  Result<std::map<std::string, Transaction>> load_many(const std::vector<std::string>& ids) override {
    return s_.load_many(ids);
  }
  Result<std::vector<OutboxRow>> outbox(std::size_t limit, std::int64_t after) override {
    return s_.outbox(limit, after);
  }
  Result<Ok> remove_outbox(const std::vector<std::int64_t>& ids) override { return s_.remove_outbox(ids); }
  Result<std::vector<PendingCall>> pending_calls(std::size_t limit) override { return s_.pending_calls(limit); }
  Result<Ok> mark_call_attempted(const std::string& id) override { return s_.mark_call_attempted(id); }
  Result<Ok> complete_call(const std::string& id) override { return s_.complete_call(id); }
  Result<std::vector<TimerRow>> due_timers(std::int64_t now, std::size_t limit) override {
    return s_.due_timers(now, limit);
  }
  Result<Ok> remove_timers(const std::vector<TimerRow>& fired) override { return s_.remove_timers(fired); }
  Result<Ok> limit_size(std::int64_t max) override { return s_.limit_size(max); }
  Result<std::int64_t> size_bytes() override { return s_.size_bytes(); }
  Result<Ok> set_read_only(bool on) override { return s_.set_read_only(on); }
  Result<std::vector<json::object>> events_of(const std::string& id) override { return s_.events_of(id); }
  Result<std::int64_t> count_transactions() override { return s_.count_transactions(); }
  Result<bool> transaction_exists(const std::string& id) override { return s_.transaction_exists(id); }
  Result<std::vector<std::string>> transaction_ids() override { return s_.transaction_ids(); }

 private:
  Store& s_;
  std::mutex mu_;
  std::condition_variable cv_;
  int commits_ = 0;
  int reads_ = 0;
  bool made_on_top_ = false;
};

TEST(ProcessorPipeline, ABatchMadeOnTopOfAFailedCommitIsMadeAgainAndEveryInputAppliedOnce) {
  Cluster cluster;
  TempDir dir;
  Config config = testing::test_config(cluster, dir.path());
  // A topic of one partition: the batches follow the order published.
  config.kafka.inputs = "pipeline.inputs";
  config.kafka.partitions = 1;
  config.processor.batch_size = 5;
  cluster.kafka->create_topic(config.kafka.inputs, 1);
  auto sqlite = open_sqlite_store(dir.path() + "/store.db");
  FirstCommitFails store(*sqlite);

  // Batches of five: five creates; the provider's answers to their sessions (made on top of the
  // creates, while those commit); five more creates; the first five creates again (redelivered, the
  // same input ids).
  std::vector<std::pair<std::string, std::string>> records;  // key, value
  std::vector<std::string> txn_ids, creates;
  for (int i = 0; i < 10; ++i) {
    const json::object command = testing::payin_command("PIPE-" + std::to_string(i), "+2250700000001");
    auto routed = route_command(boost::json::serialize(command), config, "c:" + std::to_string(i), kT0);
    const Input& in = std::get<RoutedCommand>(routed).input;
    creates.push_back(boost::json::serialize(to_json(in)));
    txn_ids.push_back(in.txn_id);
  }
  const json::object session{{"reference", "tr_1"}, {"confirmationRequired", true}, {"paymentUrl", "u"}};
  for (int i = 0; i < 5; ++i) records.emplace_back(txn_ids[i], creates[i]);
  for (int i = 0; i < 5; ++i) {
    const Input answer{txn_ids[i] + ":1:create_session", txn_ids[i], InputKind::provider_response, "session.created",
                       kT0 + 10, session};
    records.emplace_back(txn_ids[i], boost::json::serialize(to_json(answer)));
  }
  for (int i = 5; i < 10; ++i) records.emplace_back(txn_ids[i], creates[i]);
  for (int i = 0; i < 5; ++i) records.emplace_back(txn_ids[i], creates[i]);
  KafkaProducer producer(cluster.bootstrap, config.kafka.properties);
  for (const auto& [key, value] : records) ASSERT_TRUE(producer.produce_sync(config.kafka.inputs, key, value));

  std::mutex mu;
  BatchStats total;
  int failed_commits = 0;
  Processor processor(store, config,
                      Processor::Hooks{{},
                                       [&](const BatchStats& s) {
                                         std::lock_guard lock(mu);
                                         total.applied += s.applied;
                                         total.duplicates += s.duplicates;
                                         total.events += s.events;
                                       },
                                       [&] {
                                         std::lock_guard lock(mu);
                                         ++failed_commits;
                                       }});
  std::atomic<bool> stop{false};
  std::thread thread([&] { processor.run(cluster.bootstrap, stop); });
  const bool settled = testing::eventually([&] {
    std::lock_guard lock(mu);
    return total.applied + total.duplicates >= records.size();
  });
  stop = true;
  thread.join();
  ASSERT_TRUE(settled);

  EXPECT_TRUE(store.made_on_top());  // the second batch was made while the first was committing
  EXPECT_EQ(failed_commits, 1);
  EXPECT_EQ(total.applied, 15u);
  EXPECT_EQ(total.duplicates, 5u);
  for (std::size_t i = 0; i < txn_ids.size(); ++i) {
    auto txn = sqlite->load(txn_ids[i]);
    ASSERT_TRUE(txn && *txn) << i;
    EXPECT_EQ((*txn)->state, i < 5 ? "awaiting_confirmation" : "session_requested") << i;
    auto events = sqlite->events_of(txn_ids[i]);
    ASSERT_TRUE(events);
    ASSERT_EQ(static_cast<std::int64_t>(events->size()), (*txn)->version) << i;
    for (std::size_t v = 0; v < events->size(); ++v) EXPECT_EQ(get_int((*events)[v], "version"), v + 1);
  }
  auto offsets = sqlite->offsets(config.kafka.inputs);
  ASSERT_TRUE(offsets);
  EXPECT_EQ((*offsets)[0], static_cast<std::int64_t>(records.size()));
}

}  // namespace
}  // namespace corridor
