// engine/pipeline/circuit_breaker: a provider's circuit opens after consecutive transient failures,
// stays open for its time, then lets one trial call decide.
#include "engine/pipeline/circuit_breaker.hpp"

#include <gtest/gtest.h>

namespace corridor {
namespace {

class ManualClock final : public Clock {
 public:
  std::int64_t now_ms() const override { return now; }
  std::int64_t now = 1'000'000;
};

struct Fixture {
  ManualClock clock;
  Metrics metrics;
  CircuitBreaker breaker{3, 30'000, clock, metrics};

  void fail(int times, const std::string& provider = "novasend") {
    for (int i = 0; i < times; ++i) breaker.record(provider, false);
  }
};

TEST(CircuitBreaker, OpensAfterConsecutiveFailuresOnly) {
  Fixture f;
  f.fail(2);
  EXPECT_TRUE(f.breaker.allows("novasend"));
  f.breaker.record("novasend", true);  // an answer starts the count again
  f.fail(2);
  EXPECT_TRUE(f.breaker.allows("novasend"));
  EXPECT_EQ(f.metrics.circuit_open.value({"novasend"}), 0);
  f.fail(1);
  EXPECT_FALSE(f.breaker.allows("novasend"));
  EXPECT_EQ(f.metrics.circuit_opened.load(), 1);
  EXPECT_EQ(f.metrics.circuit_open.value({"novasend"}), 1);
}

TEST(CircuitBreaker, EachProviderHasItsOwnCircuit) {
  Fixture f;
  f.fail(3, "flexpay");
  EXPECT_FALSE(f.breaker.allows("flexpay"));
  EXPECT_TRUE(f.breaker.allows("novasend"));
}

TEST(CircuitBreaker, AfterItsTimeOneTrialCallDecides) {
  Fixture f;
  f.fail(3);
  f.clock.now += 29'999;
  EXPECT_FALSE(f.breaker.allows("novasend"));
  f.clock.now += 1;
  EXPECT_TRUE(f.breaker.allows("novasend"));   // the trial
  EXPECT_FALSE(f.breaker.allows("novasend"));  // nothing else while it is in flight
  EXPECT_EQ(f.metrics.circuit_open.value({"novasend"}), 1);  // half-open counts as open
  f.breaker.record("novasend", true);
  EXPECT_EQ(f.metrics.circuit_open.value({"novasend"}), 0);
  EXPECT_TRUE(f.breaker.allows("novasend"));
  EXPECT_TRUE(f.breaker.allows("novasend"));
}

TEST(CircuitBreaker, AFailedTrialOpensTheCircuitAgain) {
  Fixture f;
  f.fail(3);
  f.clock.now += 30'000;
  ASSERT_TRUE(f.breaker.allows("novasend"));
  f.fail(1);
  EXPECT_FALSE(f.breaker.allows("novasend"));
  EXPECT_EQ(f.metrics.circuit_opened.load(), 2);
  f.clock.now += 30'000;
  EXPECT_TRUE(f.breaker.allows("novasend"));
}

}  // namespace
}  // namespace corridor
