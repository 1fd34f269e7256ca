#pragma once
// Counters served on GET /metrics in Prometheus' text format.
#include <array>
#include <atomic>
#include <string_view>
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
  std::atomic<std::int64_t> records_refused{0};  // refused by Kafka for what they are: their minimal forms went instead
  std::atomic<std::int64_t> records_dropped{0};  // refused with their minimal forms too
  std::atomic<std::int64_t> refusals_unrecorded{0};  // HTTP refusals over a source's dead-letter rate
  // Changes needing a person (an event's `attention`), by code: corridor_attention_total{code=...}.
  std::array<std::atomic<std::int64_t>, 5> attention{};
  static constexpr std::array<std::string_view, 5> kAttentionCodes{"late_outcome", "late_input", "disputed",
                                                                   "amount_mismatch", "outcome_unknown"};
  void count_attention(std::string_view code);

  std::string prometheus() const;
};

}  // namespace corridor
