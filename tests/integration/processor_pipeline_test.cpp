// The processor's pipelining through Processor::run on embedded Kafka: a batch is made while the one
// before commits, and when that commit fails, the batch made on top of it is thrown away and both are
// made again. Every input is applied once, and the transactions are as if nothing had failed.
// Processor::Hooks::batch_end cuts the batches from records in hand, so they are the same whichever
// way Kafka's fetches split the topic, and the batch made on top never waits for a fetch.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <algorithm>
#include <condition_variable>
#include <mutex>

#include "engine/pipeline/commands.hpp"
#include "engine/pipeline/processor.hpp"
#include "tests/support/delegating_store.hpp"
#include "tests/support/runtime_harness.hpp"
#include "engine/store/errc.hpp"

namespace corridor {
namespace {

using testing::Cluster;
using testing::TempDir;

constexpr std::int64_t kT0 = 1795867200000;

// Bounds the waits that a correct processor never reaches; a broken one fails instead of hanging.
constexpr auto kNoHang = std::chrono::seconds(30);

// The store, but its first commit waits until the next batch is being made (its processed ids are
// read) and then fails, as a full disk would. It keeps the input ids of every batch made, in order
// (BatchProcessor::process reads the processed ids once per batch).
class FirstCommitFails final : public testing::DelegatingStore {
 public:
  explicit FirstCommitFails(Store& store) : DelegatingStore(store) {}

  Result<Ok> commit(const StoreBatch& batch) override {
    std::unique_lock lock(mu_);
    if (++commits_ == 1) {
      // The processor makes the next batch before it waits for this commit: the records are in hand.
      made_on_top_ = cv_.wait_for(lock, kNoHang, [&] { return made_.size() >= 2; });
      return fail(store_errc::statement_failed, "store: disk full (injected)");
    }
    lock.unlock();
    return DelegatingStore::commit(batch);
  }
  Result<std::map<std::string, std::string>> processed_among(const std::vector<std::string>& ids) override {
    {
      std::lock_guard lock(mu_);
      made_.push_back(ids);
    }
    cv_.notify_all();
    return DelegatingStore::processed_among(ids);
  }
  bool made_on_top() {
    std::lock_guard lock(mu_);
    return made_on_top_;
  }
  std::vector<std::vector<std::string>> made() {
    std::lock_guard lock(mu_);
    return made_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int commits_ = 0;
  std::vector<std::vector<std::string>> made_;  // the input ids of each batch made
  bool made_on_top_ = false;
};

TEST(ProcessorPipeline, ABatchMadeOnTopOfAFailedCommitIsMadeAgainAndEveryInputAppliedOnce) {
  Cluster cluster;
  TempDir dir;
  Config config = testing::test_config(cluster, dir.path());
  // A topic of one partition: the records are consumed in the order published.
  config.kafka.inputs = "pipeline.inputs";
  config.kafka.partitions = 1;
  constexpr std::size_t kBatch = 5;
  config.processor.batch_size = kBatch;
  cluster.kafka->create_topic(config.kafka.inputs, 1);
  auto sqlite = open_sqlite_store(dir.path() + "/store.db");
  FirstCommitFails store(*sqlite);

  // Four batches of five: five creates; the provider's answers to their sessions (made on top of the
  // creates, while those commit); five more creates; the first five creates again (redelivered, the
  // same input ids).
  std::vector<std::pair<std::string, std::string>> records;  // key, value
  std::vector<std::vector<std::string>> batches(4);         // the input ids of each batch
  std::vector<std::string> txn_ids, creates, create_ids;
  for (int i = 0; i < 10; ++i) {
    const json::object command = testing::payin_command("PIPE-" + std::to_string(i), "+2250700000001");
    auto routed = route_command(boost::json::serialize(command), config, "c:" + std::to_string(i), kT0);
    const Input& in = std::get<RoutedCommand>(routed).input;
    creates.push_back(boost::json::serialize(to_json(in)));
    create_ids.push_back(in.input_id);
    txn_ids.push_back(in.txn_id);
  }
  const json::object session{{"reference", "tr_1"}, {"confirmationRequired", true}, {"paymentUrl", "u"}};
  for (int i = 0; i < 5; ++i) {
    records.emplace_back(txn_ids[i], creates[i]);
    batches[0].push_back(create_ids[i]);
  }
  for (int i = 0; i < 5; ++i) {
    const Input answer{txn_ids[i] + ":1:create_session", txn_ids[i], InputKind::provider_response, "session.created",
                       kT0 + 10, session};
    records.emplace_back(txn_ids[i], boost::json::serialize(to_json(answer)));
    batches[1].push_back(answer.input_id);
  }
  for (int i = 5; i < 10; ++i) {
    records.emplace_back(txn_ids[i], creates[i]);
    batches[2].push_back(create_ids[i]);
  }
  for (int i = 0; i < 5; ++i) {
    records.emplace_back(txn_ids[i], creates[i]);
    batches[3].push_back(create_ids[i]);
  }
  KafkaProducer producer(cluster.bootstrap, config.kafka.properties);
  for (const auto& [key, value] : records) ASSERT_TRUE(producer.produce_sync(config.kafka.inputs, key, value));

  // Each batch committed: the offset after it (-1 unless one partition), its processed inputs and its
  // stats (the hooks run on the committing thread, stats before applied).
  struct Committed {
    std::int64_t next_offset = -1;
    std::vector<std::string> inputs;
    BatchStats stats;
  };
  std::mutex mu;
  std::vector<Committed> committed;
  BatchStats last_stats;
  int failed_commits = 0;
  std::vector<std::vector<std::int64_t>> cuts;  // the offsets of each batch batch_end made; run's thread
  Processor::Hooks hooks;
  hooks.stats = [&](const BatchStats& s) {
    std::lock_guard lock(mu);
    last_stats = s;
  };
  hooks.commit_failed = [&] {
    std::lock_guard lock(mu);
    ++failed_commits;
  };
  hooks.applied = [&](const StoreBatch& batch) {
    std::lock_guard lock(mu);
    std::vector<std::string> ids;
    for (const auto& p : batch.processed_inputs) ids.push_back(p.input_id);
    committed.push_back({batch.offsets.size() == 1 ? batch.offsets[0].next_offset : -1, std::move(ids), last_stats});
  };
  // No batch until every record is in hand; then batches of five, cut from memory, so the second is
  // made while the first commits whatever Kafka does.
  hooks.batch_end = [&](const std::vector<InputRecord>& in_hand) -> std::size_t {
    if (cuts.empty() && in_hand.size() < records.size()) return 0;
    const std::size_t n = std::min(kBatch, in_hand.size());
    cuts.emplace_back();
    for (std::size_t i = 0; i < n; ++i) cuts.back().push_back(in_hand[i].offset);
    return n;
  };
  Processor processor(store, config, std::move(hooks));
  std::atomic<bool> stop{false};
  std::thread thread([&] { processor.run(cluster.bootstrap, stop); });
  const auto end_offset = static_cast<std::int64_t>(records.size());
  // Outlasts the first commit's wait, so a processor that waits for that commit before making the
  // next batch still gets to the end, and fails on made_on_top below.
  const bool settled = testing::eventually(
      [&] {
        std::lock_guard lock(mu);
        return !committed.empty() && committed.back().next_offset == end_offset;
      },
      2 * kNoHang);
  stop = true;
  thread.join();
  EXPECT_TRUE(store.made_on_top());  // the second batch was made while the first was committing
  ASSERT_TRUE(settled);

  std::vector<std::vector<std::int64_t>> expected_cuts(4);
  for (std::int64_t o = 0; o < end_offset; ++o) expected_cuts[static_cast<std::size_t>(o) / kBatch].push_back(o);
  EXPECT_EQ(cuts, expected_cuts);
  // The second batch, made on top of the first, is thrown away when the first fails: the first is
  // made again and committed alone, then the second is made again.
  EXPECT_EQ(store.made(), (std::vector<std::vector<std::string>>{batches[0], batches[1], batches[0], batches[1],
                                                                 batches[2], batches[3]}));
  EXPECT_EQ(failed_commits, 1);
  ASSERT_EQ(committed.size(), 4u);
  for (std::size_t b = 0; b < 4; ++b) {
    EXPECT_EQ(committed[b].next_offset, static_cast<std::int64_t>((b + 1) * kBatch)) << b;
    // The last batch is the first one's inputs again: duplicates, applied to nothing.
    EXPECT_EQ(committed[b].inputs, b < 3 ? batches[b] : std::vector<std::string>{}) << b;
    EXPECT_EQ(committed[b].stats.applied, b < 3 ? kBatch : 0u) << b;
    EXPECT_EQ(committed[b].stats.duplicates, b < 3 ? 0u : kBatch) << b;
  }
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
  EXPECT_EQ((*offsets)[0], end_offset);
}

}  // namespace
}  // namespace corridor
