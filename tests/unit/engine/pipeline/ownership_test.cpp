// Partition ownership on one store shared by two processors (store.hpp, partition ownership): a
// claim's epoch, the fence every batch carries, and the zombie: a processor that lost its partition
// without knowing it, building on its kept copy of a transaction, is refused and writes nothing.
// The two processors are two BatchProcessors on two connections to one SQLite file, as two processes
// on one PostgreSQL database would be; the store contract suite runs the store's side on both stores.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <filesystem>

#include "engine/pipeline/commands.hpp"
#include "engine/pipeline/ownership.hpp"
#include "engine/pipeline/processor.hpp"
#include "engine/store/errc.hpp"

namespace corridor {
namespace {

constexpr std::int64_t kT0 = 1795867200000;
const std::string kInputs = "corridor.inputs";

class Ownership2 : public ::testing::Test {
 protected:
  Ownership2() {
    char tmpl[] = "/tmp/corridor-own-XXXXXX";
    dir_ = mkdtemp(tmpl);
    first_ = open_sqlite_store(dir_ + "/store.db");
    second_ = open_sqlite_store(dir_ + "/store.db");
    config_ = parse_config("providers: { novasend: { base_url: x, webhook_secret: s, poll_interval_ms: 1000 } }\n"
                           "merchants: [ { id: ZANDO, providers: [novasend] } ]\n",
                           "test");
  }
  ~Ownership2() override { std::filesystem::remove_all(dir_); }

  InputRecord create(const std::string& reference) {
    const std::string raw = R"({"type":"payment.create","merchant":"ZANDO","reference":")" + reference +
                            R"(","provider":"novasend","amount":{"value":300,"currency":"XOF"},)"
                            R"("customer":{"msisdn":"+2250700000001"}})";
    auto routed = route_command(raw, config_, "corridor.commands:0:" + std::to_string(offset_), kT0);
    return record(std::get<RoutedCommand>(routed).input);
  }
  InputRecord record(const Input& in) { return {kInputs, 0, offset_++, kT0, boost::json::serialize(to_json(in))}; }

  // Makes a batch of `records` on `p` and commits it to `store`.
  Result<Ok> apply(BatchProcessor& p, Store& store, const std::vector<InputRecord>& records, StoreBatch* made = nullptr) {
    BatchStats stats;
    auto batch = p.process(records, stats);
    EXPECT_TRUE(batch) << batch.error().message;
    auto r = store.commit(*batch);
    if (r) p.committed(StoreBatch(*batch));
    if (made != nullptr) *made = std::move(*batch);
    return r;
  }

  std::string dir_;
  std::unique_ptr<Store> first_, second_;
  Config config_;
  std::int64_t offset_ = 0;
};

TEST_F(Ownership2, EachClaimTakesTheNextEpochWhoeverClaims) {
  EXPECT_EQ(*first_->claim_partition(kInputs, 0, "a"), 1);
  EXPECT_EQ(*second_->claim_partition(kInputs, 0, "b"), 2);
  EXPECT_EQ(*first_->claim_partition(kInputs, 3, "a"), 1);
  EXPECT_EQ(*first_->claim_partition(kInputs, 0, "a"), 3);
  auto epochs = second_->partition_epochs(kInputs);
  ASSERT_TRUE(epochs);
  EXPECT_EQ(*epochs, (std::map<std::int32_t, std::int64_t>{{0, 3}, {3, 1}}));
  EXPECT_TRUE(second_->partition_epochs("another.topic")->empty());
}

TEST_F(Ownership2, ABatchCarryingAnOlderEpochIsRefusedAndWritesNothing) {
  BatchProcessor a(*first_, config_);
  a.hold(kInputs, 0, *first_->claim_partition(kInputs, 0, "a"));
  ASSERT_EQ(*second_->claim_partition(kInputs, 0, "b"), 2);

  StoreBatch made;
  auto r = apply(a, *first_, {create("R1")}, &made);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, store_errc::fenced);
  EXPECT_NE(r.error().message.find("partition 0 is at epoch 2, not 1"), std::string::npos) << r.error().message;
  ASSERT_EQ(made.fences.size(), 1u);
  EXPECT_EQ(made.fences[0].epoch, 1);
  // Nothing of it: no transaction, no outbox row, no call, no offset, no processed id.
  EXPECT_EQ(*second_->count_transactions(), 0);
  EXPECT_TRUE(second_->outbox(100)->empty());
  EXPECT_TRUE(second_->pending_calls(100)->empty());
  EXPECT_TRUE(second_->offsets(kInputs)->empty());
  EXPECT_FALSE(*second_->processed(made.processed_inputs.at(0).input_id));

  // Its owner's batch of the same input commits.
  BatchProcessor b(*second_, config_);
  b.hold(kInputs, 0, 2);
  offset_ = 0;
  EXPECT_TRUE(apply(b, *second_, {create("R1")}));
  EXPECT_EQ(*first_->count_transactions(), 1);
}

TEST_F(Ownership2, RowsCarryTheirPartitionAndReadersTakeOnlyTheirs) {
  BatchProcessor p(*first_, config_);
  const InputRecord one = create("R1");
  InputRecord two = create("R2");
  two.partition = 5;
  ASSERT_TRUE(apply(p, *first_, {one, two}));

  const std::vector<std::int32_t> five{5}, none{};
  auto all_rows = first_->outbox(100);
  auto fives = first_->outbox(100, 0, &five);
  ASSERT_TRUE(all_rows && fives);
  EXPECT_EQ(fives->size() * 2, all_rows->size());
  for (const auto& row : *fives) EXPECT_EQ(row.partition, 5);
  EXPECT_TRUE(first_->outbox(100, 0, &none)->empty());

  auto calls = first_->pending_calls(100, &five);
  ASSERT_TRUE(calls);
  ASSERT_EQ(calls->size(), 1u);
  EXPECT_EQ(calls->front().partition, 5);
  EXPECT_EQ(first_->pending_calls(100)->size(), 2u);

  auto timers = first_->due_timers(INT64_MAX, 100, &five);
  ASSERT_TRUE(timers);
  ASSERT_FALSE(timers->empty());
  for (const auto& t : *timers) EXPECT_EQ(t.partition, 5);
  EXPECT_EQ(first_->due_timers(INT64_MAX, 100)->size(), 2 * timers->size());
}

TEST_F(Ownership2, AProviderCallIsClaimedUnderItsPartitionsEpoch) {
  BatchProcessor p(*first_, config_);
  ASSERT_TRUE(apply(p, *first_, {create("R1")}));
  const PendingCall call = first_->pending_calls(10)->at(0);
  const PartitionEpoch held{kInputs, 0, *first_->claim_partition(kInputs, 0, "a")};
  ASSERT_EQ(*second_->claim_partition(kInputs, 0, "b"), 2);

  auto stale = first_->mark_call_attempted(call.call.answer_input_id(), &held);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, store_errc::fenced);
  EXPECT_FALSE(first_->pending_calls(10)->at(0).attempted);

  const PartitionEpoch current{kInputs, 0, 2};
  EXPECT_TRUE(second_->mark_call_attempted(call.call.answer_input_id(), &current));
  EXPECT_TRUE(first_->pending_calls(10)->at(0).attempted);
}

// The zombie. A holds partition 0 and keeps its transaction in memory; it pauses; B claims the
// partition and applies the provider's answer; A wakes and applies an input on its stale copy. Without
// the fence A's commit would put the transaction back to the version before B's (an input with no
// row still writes the transaction: its count of rejected inputs).
TEST_F(Ownership2, AProcessorThatLostItsPartitionCannotWriteOverItsNewOwner) {
  BatchProcessor a(*first_, config_);
  a.hold(kInputs, 0, *first_->claim_partition(kInputs, 0, "a"));
  ASSERT_TRUE(apply(a, *first_, {create("R1")}));
  const std::string txn = derive_txn_id("ZANDO", "R1");
  const std::int64_t created_version = (*first_->load(txn))->version;

  BatchProcessor b(*second_, config_);
  b.hold(kInputs, 0, *second_->claim_partition(kInputs, 0, "b"));
  json::object session{{"reference", "tr_1"}, {"confirmationRequired", true}, {"paymentUrl", "u"}};
  ASSERT_TRUE(apply(b, *second_,
                    {record(Input{txn + ":1:create_session", txn, InputKind::provider_response, "session.created",
                                  kT0 + 10, session})}));
  const Transaction after_b = **second_->load(txn);
  ASSERT_GT(after_b.version, created_version);

  StoreBatch zombie;
  auto r = apply(a, *first_,
                 {record(Input{"webhook:novasend:z1", txn, InputKind::webhook, "payin.no_such_thing", kT0 + 20, {}})},
                 &zombie);
  EXPECT_FALSE(r);
  if (!r) {
    EXPECT_EQ(r.error().code, store_errc::fenced);
  }
  ASSERT_EQ(zombie.transactions.size(), 1u);
  EXPECT_EQ(zombie.transactions[0].version, created_version);  // what it would have written back

  const Transaction now = **first_->load(txn);
  EXPECT_EQ(now.version, after_b.version);
  EXPECT_EQ(now.state, after_b.state);
  EXPECT_EQ(first_->offsets(kInputs)->at(0), offset_ - 1);  // B's offset, not A's
}

TEST(OwnershipMap, ReadersSeeEveryRowOrOnlyTheOwnedPartitions) {
  Ownership one_process(kInputs, true);
  EXPECT_FALSE(one_process.filter());
  EXPECT_TRUE(one_process.owns(-1));
  EXPECT_FALSE(one_process.fence(2));

  Ownership shared(kInputs, false);
  shared.claimed(4, 7);
  shared.claimed(1, 2);
  EXPECT_EQ(*shared.filter(), (std::vector<std::int32_t>{1, 4}));
  EXPECT_FALSE(shared.owns(-1));
  EXPECT_EQ(shared.fence(4)->epoch, 7);
  shared.released(4);
  EXPECT_FALSE(shared.fence(4));
  EXPECT_EQ(shared.count(), 1u);
}

}  // namespace
}  // namespace corridor
