#pragma once
// The executor's circuit breaker, one circuit per provider: after `failures` consecutive transient
// failures the provider is left alone for `open_ms`; then one trial call decides whether it closes.
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "engine/io/metrics.hpp"
#include "engine/pipeline/clock.hpp"

namespace corridor {

class CircuitBreaker {
 public:
  CircuitBreaker(std::int64_t failures, std::int64_t open_ms, const Clock& clock, Metrics& metrics)
      : failures_(failures), open_ms_(open_ms), clock_(clock), metrics_(metrics) {}

  // Whether a call may be made now, and whether it is the half-open trial.
  struct Pass {
    bool allowed = false;
    bool trial = false;
    explicit operator bool() const { return allowed; }
  };

  // Whether a call to `provider` may be made now. Once an open circuit's time is over, the call asked
  // for first is the trial (half-open), and no other is allowed until its outcome is recorded.
  Pass allows(const std::string& provider);
  // A call allowed that is not made after all (its partition given up, its attempt not recorded): when
  // it was the trial, the next call asked for becomes the trial, rather than the circuit staying shut.
  void not_made(const std::string& provider, Pass pass);
  // Whether the provider answered the call at all: an answer closes the circuit, a transient failure
  // counts towards opening it, and a failed trial opens it again.
  void record(const std::string& provider, bool provider_answered);

 private:
  struct Circuit {
    int failures = 0;
    std::int64_t open_until = 0;  // 0: closed
    bool trial_in_flight = false;
  };
  const std::int64_t failures_;
  const std::int64_t open_ms_;
  const Clock& clock_;
  Metrics& metrics_;
  std::mutex mu_;
  std::map<std::string, Circuit, std::less<>> circuits_;
};

}  // namespace corridor
