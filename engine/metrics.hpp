#pragma once
// Counters served on GET /metrics in Prometheus' text format.
#include <atomic>
#include <cstdint>
#include <string>

namespace corridor {

struct Metrics {
  std::atomic<std::int64_t> commands_routed{0};
  std::atomic<std::int64_t> commands_rejected{0};
  std::atomic<std::int64_t> inputs_applied{0};
  std::atomic<std::int64_t> inputs_duplicate{0};
  std::atomic<std::int64_t> inputs_rejected{0};
  std::atomic<std::int64_t> batches_committed{0};
  std::atomic<std::int64_t> events_published{0};
  std::atomic<std::int64_t> deadletters_published{0};
  std::atomic<std::int64_t> provider_calls{0};
  std::atomic<std::int64_t> provider_call_failures{0};
  std::atomic<std::int64_t> provider_call_retries{0};
  std::atomic<std::int64_t> webhooks_accepted{0};
  std::atomic<std::int64_t> webhooks_refused{0};
  std::atomic<std::int64_t> timers_fired{0};
  std::atomic<std::int64_t> circuit_opened{0};
  std::atomic<std::int64_t> store_commit_failures{0};

  std::string prometheus() const;
};

}  // namespace corridor
