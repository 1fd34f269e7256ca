#include "engine/pipeline/circuit_breaker.hpp"

#include <iostream>

namespace corridor {

CircuitBreaker::Pass CircuitBreaker::allows(const std::string& provider) {
  std::lock_guard lock(mu_);
  Circuit& c = circuits_[provider];
  if (c.open_until == 0) return {.allowed = true};
  if (clock_.now_ms() < c.open_until || c.trial_in_flight) return {};
  c.trial_in_flight = true;  // half-open: this call is the trial
  return {.allowed = true, .trial = true};
}

void CircuitBreaker::not_made(const std::string& provider, Pass pass) {
  if (!pass.trial) return;
  std::lock_guard lock(mu_);
  circuits_[provider].trial_in_flight = false;
}

void CircuitBreaker::record(const std::string& provider, bool provider_answered) {
  std::lock_guard lock(mu_);
  Circuit& c = circuits_[provider];
  if (provider_answered) {
    if (c.open_until != 0) {
      metrics_.circuit_open.set({provider}, 0);
      std::cerr << "executor: circuit for " << provider << " closed" << std::endl;
    }
    c = Circuit{};
    return;
  }
  ++c.failures;
  if (c.trial_in_flight || (c.open_until == 0 && c.failures >= failures_)) {
    c.open_until = clock_.now_ms() + open_ms_;
    c.trial_in_flight = false;
    metrics_.circuit_opened++;
    metrics_.circuit_open.set({provider}, 1);
    std::cerr << "executor: circuit for " << provider << " open for " << open_ms_ << " ms after " << c.failures
              << " failures" << std::endl;
  }
}

}  // namespace corridor
