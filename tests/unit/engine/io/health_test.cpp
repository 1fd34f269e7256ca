// Which parts of the runtime /healthz and /health/live name as stuck, and for how long; when
// /health/ready says this process is ready, from the partitions of corridor.inputs the consumer group
// gave it, their claims in the store and the commits refused by fencing.
#include "engine/io/health.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace corridor {
namespace {

TEST(Health, APartStuckPastTheGraceIsNamedUntilItProgresses) {
  Health h;
  h.stalled(Health::Part::relay, "Kafka does not take outbox rows", 1000);
  EXPECT_TRUE(h.problems(1000 + Health::kGraceMs - 1).empty());  // a retry under way
  h.stalled(Health::Part::relay, "Kafka does not take outbox rows", 4000);
  const auto stuck = h.problems(1000 + Health::kGraceMs);
  ASSERT_EQ(stuck.size(), 1u);
  EXPECT_EQ(stuck[0].part, "relay");
  EXPECT_EQ(stuck[0].stalled_ms, Health::kGraceMs);  // counted from the first report
  h.progressed(Health::Part::relay);
  EXPECT_TRUE(h.problems(20000).empty());
}

TEST(Health, APartHoldingWorkStaysStuckUntilItProgresses) {
  // The relay's rows wait for Kafka's answer, which may take minutes: no news is no progress.
  Health h;
  h.stalled(Health::Part::relay, "Kafka does not take outbox rows", 1000);
  EXPECT_EQ(h.problems(1000 + 10 * Health::kForgetMs).size(), 1u);
}

TEST(Health, TheIngressIsForgottenOnceItStopsSayingItIsStuck) {
  // The ingress failed to hand one webhook to Kafka and no webhook came since: nothing is held.
  Health h;
  h.stalled(Health::Part::ingress, "Kafka does not take webhooks", 1000);
  EXPECT_EQ(h.problems(1000 + Health::kForgetMs).size(), 1u);
  EXPECT_TRUE(h.problems(1000 + Health::kForgetMs + 1).empty());
  EXPECT_NE(h.prometheus(1000 + Health::kForgetMs).find("component=\"ingress\"} 1"), std::string::npos);
  EXPECT_NE(h.prometheus(1000 + Health::kForgetMs + 1).find("component=\"ingress\"} 0"), std::string::npos);
  // A new failure long after starts a new stall: its grace counts again.
  h.stalled(Health::Part::ingress, "Kafka does not take webhooks", 100000);
  EXPECT_TRUE(h.problems(100000 + Health::kGraceMs - 1).empty());
  EXPECT_EQ(h.problems(100000 + Health::kGraceMs).size(), 1u);
}

TEST(Health, TheReasonIsBoundedAndRedacted) {
  Health h;
  h.stalled(Health::Part::router, "refused: " + std::string(1000, 'x') + " 4111111111111111", 0);
  const auto stuck = h.problems(Health::kGraceMs + 1);
  ASSERT_EQ(stuck.size(), 1u);
  EXPECT_LT(stuck[0].reason.size(), 400u);
  EXPECT_EQ(stuck[0].reason.find("4111111111111111"), std::string::npos);
}

// ---- readiness and partition ownership ----

bool has_reason(const Health::Readiness& r, std::string_view text) {
  for (const auto& line : r.reasons)
    if (line.find(text) != std::string::npos) return true;
  return false;
}

TEST(HealthPartitions, NotReadyBeforeTheFirstAssignmentButAlive) {
  Health h;
  const auto r = h.readiness(1000);
  EXPECT_FALSE(r.ready);
  EXPECT_TRUE(has_reason(r, "first assignment"));
  EXPECT_TRUE(h.problems(1000).empty());
  EXPECT_EQ(h.answer(Health::Probe::ready, 1000, false).status, 503);
  EXPECT_EQ(h.answer(Health::Probe::live, 1000, false).status, 200);
}

TEST(HealthPartitions, AnInstanceGivenNoPartitionIsReady) {
  // More instances than partitions: the spare one still takes webhooks and API calls.
  Health h;
  h.partitions_assigned({}, 1000);
  EXPECT_TRUE(h.readiness(1000).ready);
  EXPECT_TRUE(h.partitions().empty());
  EXPECT_EQ(h.answer(Health::Probe::ready, 1000, false).status, 200);
}

TEST(HealthPartitions, ReadyOnceEveryAssignedPartitionIsClaimed) {
  Health h;
  h.partitions_assigned({0, 1, 2}, 1000);
  EXPECT_FALSE(h.readiness(1000).ready);
  h.partition_claimed(0, 1);
  h.partition_claimed(1, 4);
  const auto r = h.readiness(1100);
  EXPECT_FALSE(r.ready);
  ASSERT_EQ(r.reasons.size(), 1u);
  EXPECT_NE(r.reasons[0].find("partition 2"), std::string::npos);
  h.partition_claimed(2, 2);
  EXPECT_TRUE(h.readiness(1200).ready);
  const auto held = h.partitions();
  ASSERT_EQ(held.size(), 3u);
  EXPECT_EQ(held[1].partition, 1);
  EXPECT_EQ(held[1].epoch, 4);
  EXPECT_FALSE(held[1].claiming);
}

TEST(HealthPartitions, OneAssignmentOfEveryPartitionForASingleProcess) {
  Health h;
  std::vector<std::int32_t> all;
  for (std::int32_t p = 0; p < 12; ++p) all.push_back(p);
  h.partitions_assigned(all);
  for (std::int32_t p = 0; p < 12; ++p) {
    EXPECT_FALSE(h.readiness(0).ready);
    h.partition_claimed(p, 1);
  }
  EXPECT_TRUE(h.readiness(0).ready);
  EXPECT_EQ(h.partitions().size(), 12u);
}

TEST(HealthPartitions, AClaimThatNeverCompletesFailsLivenessAfterTheGrace) {
  Health h;
  h.partitions_assigned({3, 4}, 1000);
  h.partition_claimed(4, 1);
  EXPECT_TRUE(h.problems(1000 + Health::kGraceMs - 1).empty());  // a claim under way
  const auto stuck = h.problems(1000 + Health::kGraceMs);
  ASSERT_EQ(stuck.size(), 1u);
  EXPECT_EQ(stuck[0].part, "processor");
  EXPECT_NE(stuck[0].reason.find("partition 3"), std::string::npos);
  EXPECT_EQ(stuck[0].stalled_ms, Health::kGraceMs);
  EXPECT_NE(h.prometheus(1000 + Health::kGraceMs).find("component=\"processor\"} 1"), std::string::npos);
  EXPECT_EQ(h.answer(Health::Probe::live, 1000 + Health::kGraceMs, false).status, 503);
  h.partition_claimed(3, 2);
  EXPECT_TRUE(h.problems(1000 + 10 * Health::kGraceMs).empty());
  EXPECT_EQ(h.answer(Health::Probe::live, 1000 + 10 * Health::kGraceMs, false).status, 200);
}

TEST(HealthPartitions, AClaimReportedWithoutATimeIsTimedFromTheFirstCheckThatSeesIt) {
  Health h;
  h.partitions_assigned({3});
  EXPECT_TRUE(h.problems(50000).empty());
  EXPECT_TRUE(h.problems(50000 + Health::kGraceMs - 1).empty());
  ASSERT_EQ(h.problems(50000 + Health::kGraceMs).size(), 1u);
}

TEST(HealthPartitions, ARevokedPartitionNoLongerCountsAsAStuckClaim) {
  Health h;
  h.partitions_assigned({2}, 0);
  ASSERT_EQ(h.problems(Health::kGraceMs).size(), 1u);
  h.partitions_revoked({2});
  EXPECT_TRUE(h.problems(Health::kGraceMs).empty());
  EXPECT_TRUE(h.readiness(Health::kGraceMs).ready);  // the first assignment came: holding nothing is ready
}

TEST(HealthPartitions, AFencedCommitMakesItNotReadyUntilThePartitionIsClaimedAgain) {
  Health h;
  h.partitions_assigned({4}, 0);
  h.partition_claimed(4, 7);
  h.fenced(4, 7);
  const auto r = h.readiness(10);
  EXPECT_FALSE(r.ready);
  EXPECT_TRUE(has_reason(r, "partition 4"));
  EXPECT_TRUE(has_reason(r, "epoch 7"));
  EXPECT_TRUE(h.problems(10 * Health::kGraceMs).empty()) << "a fenced commit is not a stall";
  EXPECT_EQ(h.fenced_commits(), 1);
  ASSERT_EQ(h.partitions().size(), 1u);
  EXPECT_EQ(h.partitions()[0].fenced_epoch, 7);
  // Given again by the group and claimed with a newer epoch: ready.
  h.partitions_assigned({4}, 20);
  EXPECT_FALSE(h.readiness(20).ready);
  h.partition_claimed(4, 9);
  EXPECT_TRUE(h.readiness(30).ready);
  EXPECT_FALSE(h.partitions()[0].fenced_epoch);
  EXPECT_EQ(h.fenced_commits(), 1);  // a count, never reset
}

TEST(HealthPartitions, AFencedPartitionStopsBlockingOnceRevoked) {
  Health h;
  h.partitions_assigned({4, 5}, 0);
  h.partition_claimed(4, 3);
  h.partition_claimed(5, 3);
  h.fenced(4, 3);
  h.fenced(4, 3);  // the next batch refused too
  EXPECT_FALSE(h.readiness(0).ready);
  h.partitions_revoked({4});
  EXPECT_TRUE(h.readiness(0).ready);
  ASSERT_EQ(h.partitions().size(), 1u);
  EXPECT_EQ(h.partitions()[0].partition, 5);
  EXPECT_EQ(h.fenced_commits(), 2);
}

TEST(HealthPartitions, ARefusedCommitOfAnEarlierClaimIsCountedButLeavesTheNewClaimReady) {
  Health h;
  h.partitions_assigned({1}, 0);
  h.partition_claimed(1, 7);
  h.partitions_assigned({1}, 10);
  h.partition_claimed(1, 9);
  h.fenced(1, 7);  // a batch made under epoch 7, refused after the claim of 9
  EXPECT_TRUE(h.readiness(20).ready);
  EXPECT_EQ(h.fenced_commits(), 1);
  // The same epoch as held, or a newer one, is this claim's own commit refused.
  h.fenced(1, 9);
  EXPECT_FALSE(h.readiness(20).ready);
}

TEST(HealthPartitions, AFenceOfAPartitionNotHeldIsOnlyCounted) {
  Health h;
  h.partitions_assigned({}, 0);
  h.fenced(6, 2);  // revoked before its last batch's commit was refused
  EXPECT_TRUE(h.readiness(0).ready);
  EXPECT_TRUE(h.partitions().empty());
  EXPECT_EQ(h.fenced_commits(), 1);
}

TEST(HealthPartitions, AFenceBeforeTheFirstClaimBlocksUntilTheClaim) {
  Health h;
  h.partitions_assigned({2}, 0);
  h.fenced(2, 1);
  EXPECT_TRUE(h.partitions()[0].fenced_epoch);
  h.partition_claimed(2, 3);
  EXPECT_TRUE(h.readiness(0).ready);
}

TEST(HealthPartitions, AClaimOfAPartitionTheGroupTookBackIsIgnored) {
  Health h;
  h.partitions_assigned({1}, 0);
  h.partitions_revoked({1});
  h.partition_claimed(1, 3);  // the store answered after the revocation
  EXPECT_TRUE(h.partitions().empty());
  h.partition_claimed(8, 1);  // never given
  EXPECT_TRUE(h.partitions().empty());
  EXPECT_TRUE(h.readiness(0).ready);
}

TEST(HealthPartitions, AnOlderEpochReportedLateDoesNotReplaceTheNewer) {
  Health h;
  h.partitions_assigned({1}, 0);
  h.partition_claimed(1, 5);
  h.partitions_assigned({1}, 10);
  h.partition_claimed(1, 4);
  EXPECT_FALSE(h.readiness(10).ready) << "the claim of this assignment has not been reported";
  EXPECT_EQ(h.partitions()[0].epoch, 5);
  h.partition_claimed(1, 6);
  EXPECT_TRUE(h.readiness(10).ready);
  EXPECT_EQ(h.partitions()[0].epoch, 6);
}

TEST(HealthPartitions, AGivenPartitionHeldAgainIsPendingUntilItsNewClaim) {
  Health h;
  h.partitions_assigned({1}, 0);
  h.partition_claimed(1, 2);
  h.partitions_assigned({1}, 100);
  EXPECT_FALSE(h.readiness(100).ready);
  EXPECT_TRUE(h.partitions()[0].claiming);
  EXPECT_EQ(h.partitions()[0].epoch, 2);  // the last claim's, until the new one completes
  EXPECT_EQ(h.problems(100 + Health::kGraceMs).size(), 1u);
}

TEST(HealthPartitions, NonsenseFromTheCallerChangesNothing) {
  Health h;
  h.partitions_assigned({-1, 3, 3}, 0);
  ASSERT_EQ(h.partitions().size(), 1u);  // -1 ignored, 3 once
  h.partition_claimed(3, -5);
  EXPECT_TRUE(h.partitions()[0].claiming);
  h.partition_claimed(-1, 1);
  h.partitions_revoked({-1, 42});
  EXPECT_EQ(h.partitions().size(), 1u);
  h.partitions_assigned({}, -7);  // a time before the epoch is taken as unknown
  h.partition_claimed(3, 0);      // the first epoch may be 0
  EXPECT_TRUE(h.readiness(0).ready);
  EXPECT_EQ(h.partitions()[0].epoch, 0);
}

TEST(HealthPartitions, ReadinessAlsoWaitsForStuckParts) {
  Health h;
  h.partitions_assigned({}, 0);
  h.stalled(Health::Part::relay, "Kafka does not take outbox rows", 1000);
  EXPECT_TRUE(h.readiness(1000).ready);  // within the grace
  const auto r = h.readiness(1000 + Health::kGraceMs);
  EXPECT_FALSE(r.ready);
  EXPECT_TRUE(has_reason(r, "relay: Kafka does not take outbox rows"));
  h.progressed(Health::Part::relay);
  EXPECT_TRUE(h.readiness(1000 + Health::kGraceMs).ready);
}

// ---- the routes' answers ----

TEST(HealthAnswer, WithoutDetailOnlyTheStatus) {
  Health h;
  h.partitions_assigned({1}, 0);
  h.partition_claimed(1, 3);
  h.fenced(1, 3);
  const auto ready = h.answer(Health::Probe::ready, 0, false);
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(ready.body, R"({"status":"unavailable"})");
  const auto live = h.answer(Health::Probe::live, 0, false);
  EXPECT_EQ(live.status, 200);
  EXPECT_EQ(live.body, R"({"status":"ok"})");
}

TEST(HealthAnswer, TheDetailListsPartitionsEpochsAndFencedCommits) {
  Health h;
  h.partitions_assigned({0, 1, 2}, 0);
  h.partition_claimed(0, 7);
  h.partition_claimed(1, 3);
  h.fenced(1, 3);
  h.fenced(9, 1);
  const auto a = h.answer(Health::Probe::ready, 100, true);
  EXPECT_EQ(a.status, 503);
  const auto body = boost::json::parse(a.body).as_object();
  EXPECT_EQ(body.at("status").as_string(), "unavailable");
  EXPECT_EQ(body.at("fenced_commits").as_int64(), 2);
  const auto& parts = body.at("partitions").as_array();
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].as_object().at("partition").as_int64(), 0);
  EXPECT_EQ(parts[0].as_object().at("epoch").as_int64(), 7);
  EXPECT_EQ(parts[0].as_object().at("state").as_string(), "owned");
  EXPECT_FALSE(parts[0].as_object().contains("fenced_epoch"));
  EXPECT_EQ(parts[1].as_object().at("state").as_string(), "fenced");
  EXPECT_EQ(parts[1].as_object().at("fenced_epoch").as_int64(), 3);
  EXPECT_EQ(parts[2].as_object().at("state").as_string(), "claiming");
  EXPECT_TRUE(parts[2].as_object().at("epoch").is_null());
  EXPECT_EQ(body.at("reasons").as_array().size(), 2u);  // partition 1 fenced, partition 2 claiming
  EXPECT_FALSE(body.contains("components"));              // nothing stuck yet

  // Liveness lists the same partitions, but no readiness reasons; past the grace, the stuck claim.
  const auto live = boost::json::parse(h.answer(Health::Probe::live, Health::kGraceMs, true).body).as_object();
  EXPECT_EQ(live.at("status").as_string(), "unavailable");
  EXPECT_FALSE(live.contains("reasons"));
  EXPECT_EQ(live.at("partitions").as_array().size(), 3u);
  ASSERT_EQ(live.at("components").as_array().size(), 1u);
  EXPECT_EQ(live.at("components").as_array()[0].as_object().at("component").as_string(), "processor");
}

TEST(HealthAnswer, ReadyWithDetail) {
  Health h;
  h.partitions_assigned({5}, 0);
  h.partition_claimed(5, 1);
  const auto a = h.answer(Health::Probe::ready, 0, true);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body,
            R"({"status":"ok","partitions":[{"partition":5,"state":"owned","epoch":1}],"commands_partitions":[],"fenced_commits":0})");
}

TEST(HealthAnswer, TheDetailListsTheRoutersPartitionsAsItsGroupGivesAndTakesThem) {
  Health h;
  h.partitions_assigned({}, 0);
  h.commands_assigned({3, 1});
  h.commands_assigned({7, -1});  // cooperative: the ones added; a negative number is ignored
  h.commands_revoked({1});
  EXPECT_EQ(h.commands_partitions(), (std::vector<std::int32_t>{3, 7}));
  const auto a = h.answer(Health::Probe::ready, 0, true);
  EXPECT_EQ(a.status, 200);  // nothing to claim for them: readiness is the processor's
  const auto body = boost::json::parse(a.body).as_object();
  EXPECT_EQ(body.at("commands_partitions"), (boost::json::array{3, 7}));
  h.commands_revoked({3, 7, 9});
  EXPECT_TRUE(h.commands_partitions().empty());
  EXPECT_EQ(h.answer(Health::Probe::ready, 0, false).body, R"({"status":"ok"})");  // public: the status only
}

}  // namespace
}  // namespace corridor
