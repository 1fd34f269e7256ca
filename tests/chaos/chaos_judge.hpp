#pragma once
// The verdict of a chaos run, shared by the crash test (one engine killed) and the multi-instance
// test (three engines killed, paused and restarted): every payment at its expected final status,
// versions 1..n with no gap and one body per event_id, no second charge at any sandbox, every timer
// effective once. Failures are GoogleTest failures; the figures are printed.
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "tests/chaos/chaos_processes.hpp"

namespace corridor::chaos {

// The moments an engine was not running freely: a SIGKILL (from == to, or until its restart listened)
// or a SIGSTOP until its SIGCONT. An esipay charge or refund in flight across one of them
// legitimately ends unknown (esipay has no status endpoint and no idempotency key).
class Disruptions {
 public:
  void add(Clock::time_point from, Clock::time_point to);
  // Whether one of them overlaps [from, to].
  bool between(Clock::time_point from, Clock::time_point to) const;
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<Clock::time_point, Clock::time_point>> spans_;
};

// Whether `p` is settled: at a status nothing more will come after (judged by `judge`), its last
// follow-up (an esipay refund) answered by a later version: its result, or its outcome announced
// unknown when it was in flight at a disruption.
bool settled(const Payment& p, const EventLog::Latest* latest);

// Waits (bounded) until every payment of `workload` is settled; whether they all were.
bool wait_settled(EventLog& log, const Workload& workload, Clock::time_point deadline);

struct Verdict {
  std::size_t ok = 0, esipay_charge_unknown = 0, esipay_refund_unknown = 0, version_gaps = 0, two_bodies = 0;
  std::size_t esipay_return_url_lost = 0, flexpay_cancel_callback_lost = 0;
  std::vector<std::string> return_url_lost_reasons;  // the first few, printed
  std::size_t events = 0, distinct = 0, duplicates = 0;
  std::size_t timer_transitions = 0, inputs_applied_twice = 0, timers_after_terminal = 0;
  std::size_t charged = 0, charged_twice = 0, unknown_keys = 0;
  std::map<std::string, std::size_t> timer_by_name;
  std::map<std::string, int> wrong_status;  // "provider/scenario: expected X, got Y" -> count
  // The longest a payment's command waited to be routed (publication to corridor.inputs), and to be
  // applied once routed (to its first event), with the partition of corridor.inputs it went to.
  struct Slowest {
    double seconds = 0;
    double published_at = 0;  // seconds since the run's start
    std::string txn;
    std::int32_t partition = -1;
  };
  Slowest slowest_route, slowest_apply;
  // The longest from a payment's publication to its first event (routed and applied): a TTL that runs
  // from the command's publication (Cynod's confirmation) must outlive it.
  Slowest slowest_first_event;
  // The longest a follow-up (an esipay refund) took from its publication to the version answering it,
  // and how many took more than 5 s.
  Slowest slowest_follow_up;
  std::size_t follow_ups_answered = 0, follow_ups_over_5s = 0;
};

// Judges `log.events` against `workload` (GoogleTest failures for each breach) and the sandboxes'
// charge counts; `t0` is the run's start, for the times printed. Call with log.mu held.
// `return_url_via_others`: esipay's return URL reaches another engine than the one charging (several
// engines behind a balancer); a disruption of that engine while esipay waits for its 200 makes esipay
// cancel the payment, as the real esipay does, so an esipay payment that ends `failed` across a
// disruption is accepted and counted.
Verdict judge(const Workload& workload, const std::vector<Event>& events, const Disruptions& disruptions,
              const std::map<std::string, std::map<std::string, std::int64_t>>& charges, Clock::time_point t0,
              bool return_url_via_others = false);

// The "what it found" lines.
void print_verdict(const Verdict& v, std::size_t payments);

}  // namespace corridor::chaos
