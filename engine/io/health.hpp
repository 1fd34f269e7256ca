#pragma once
// Whether each part of the runtime makes progress while it has work. A part that cannot finish what it
// holds (Kafka refusing its records, the store refusing its commits) says so; the next progress clears
// it. GET /healthz answers 503 naming every part stuck longer than a grace period, and /metrics shows
// a gauge per part.
#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace corridor {

class Health {
 public:
  enum class Part { router, processor, relay, executor, scheduler, ingress };
  static constexpr std::array<std::string_view, 6> kNames{"router",   "processor", "relay",
                                                          "executor", "scheduler", "ingress"};
  // A part stuck for less than this is only busy (a retry under way).
  static constexpr std::int64_t kGraceMs = 5000;
  // The ingress holds no work of its own: a webhook Kafka did not take is answered 503 and is the
  // provider's to send again. Once it has not said it is stuck for this long, it no longer counts (the
  // other parts hold what they could not finish until it is done, and count until they progress).
  static constexpr std::int64_t kForgetMs = 30000;

  // `part` holds work it could not finish, for `why`, as of `now_ms`; the first time counts for how
  // long.
  void stalled(Part part, std::string why, std::int64_t now_ms);
  // `part` finished what it held.
  void progressed(Part part);

  struct Problem {
    std::string_view part;
    std::string reason;
    std::int64_t stalled_ms = 0;  // for how long
  };
  // The parts stuck for kGraceMs or more (the ingress: and said so within kForgetMs).
  std::vector<Problem> problems(std::int64_t now_ms) const;
  // Prometheus lines: corridor_component_stalled{component="..."} 0|1.
  std::string prometheus(std::int64_t now_ms) const;

 private:
  struct State {
    std::int64_t since_ms = 0;  // 0: making progress
    std::int64_t last_ms = 0;   // when it last said it was stuck
    std::string why;
  };
  mutable std::mutex mu_;
  std::array<State, kNames.size()> parts_{};
};

}  // namespace corridor
