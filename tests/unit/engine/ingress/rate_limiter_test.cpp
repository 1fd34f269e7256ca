// The rate at which refused requests are dead-lettered: per source, and for all sources together.
#include <gtest/gtest.h>

#include "engine/ingress/ingress.hpp"

namespace corridor {
namespace {

TEST(RateLimiter, ASourceTakesItsBurstThenOnePerInterval) {
  RateLimiter rate(5);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(rate.take("10.0.0.1", 0)) << i;
  EXPECT_FALSE(rate.take("10.0.0.1", 0));
  EXPECT_FALSE(rate.take("10.0.0.1", 11999));
  EXPECT_TRUE(rate.take("10.0.0.1", 12000));  // 5 a minute: one every 12 s
  EXPECT_TRUE(rate.take("10.0.0.2", 12000));  // another source has its own
}

TEST(RateLimiter, ManySourcesTogetherTakeAtMostTenTimesOne) {
  RateLimiter rate(5);
  int taken = 0;
  for (int source = 0; source < 1000; ++source)
    for (int i = 0; i < 5; ++i) taken += rate.take("10.0." + std::to_string(source), 0);
  EXPECT_EQ(taken, 50);
  // A source refused by the whole's limit keeps its own share for later.
  EXPECT_TRUE(rate.take("10.0.999", 6000));  // the whole refilled one (50 a minute)
}

TEST(RateLimiter, NothingWhenTheRateIsZero) {
  RateLimiter rate(0);
  EXPECT_FALSE(rate.take("10.0.0.1", 0));
}

}  // namespace
}  // namespace corridor
