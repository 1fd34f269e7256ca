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

// The executor asks before it fences and records a call sent at most once; a call that stops there
// (its partition given up, the store refusing the mark) is not made, and must not keep the trial.
TEST(CircuitBreaker, ATrialNotMadeLetsTheNextCallBeTheTrial) {
  Fixture f;
  f.fail(3);
  f.clock.now += 30'000;
  const CircuitBreaker::Pass trial = f.breaker.allows("novasend");
  ASSERT_TRUE(trial);
  EXPECT_TRUE(trial.trial);
  EXPECT_FALSE(f.breaker.allows("novasend"));
  f.breaker.not_made("novasend", trial);
  const CircuitBreaker::Pass next = f.breaker.allows("novasend");
  ASSERT_TRUE(next);
  EXPECT_TRUE(next.trial);
  EXPECT_FALSE(f.breaker.allows("novasend"));  // still one trial at a time
  f.breaker.record("novasend", true);
  EXPECT_TRUE(f.breaker.allows("novasend"));
  EXPECT_EQ(f.metrics.circuit_open.value({"novasend"}), 0);
}

// A call let through a closed circuit and then not made gives back nothing: a trial another call holds
// since the circuit opened stays the only one.
TEST(CircuitBreaker, ACallNotMadeThroughAClosedCircuitLeavesAnotherCallsTrial) {
  Fixture f;
  const CircuitBreaker::Pass early = f.breaker.allows("novasend");
  ASSERT_TRUE(early);
  EXPECT_FALSE(early.trial);
  f.fail(3);
  f.clock.now += 30'000;
  ASSERT_TRUE(f.breaker.allows("novasend").trial);
  f.breaker.not_made("novasend", early);
  EXPECT_FALSE(f.breaker.allows("novasend"));
}

}  // namespace
}  // namespace corridor
