// Which parts of the runtime /healthz names as stuck, and for how long.
#include "engine/io/health.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace corridor
