#pragma once
// Whether this process is alive and whether it is ready for work.
//
// Alive: each part of the runtime makes progress while it has work. A part that cannot finish what it
// holds (Kafka refusing its records, the store refusing its commits) says so; the next progress clears
// it. A partition of corridor.inputs the consumer group gave this process whose claim in the store
// does not complete within the same grace counts as the processor being stuck.
//
// Ready: alive, the consumer group's first assignment has arrived, every partition it gave is claimed
// (an instance given none is ready: it still takes webhooks and API calls), and no commit of a
// partition it holds was refused for a newer owner's epoch (fenced) since that partition was last
// claimed.
//
// GET /health/live and GET /healthz answer the first, GET /health/ready the second; /metrics shows a
// gauge per part. No clock inside: every judgement is made from the times passed in.
#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace corridor {

class Health {
 public:
  enum class Part { router, processor, relay, executor, scheduler, ingress };
  static constexpr std::array<std::string_view, 6> kNames{"router",   "processor", "relay",
                                                          "executor", "scheduler", "ingress"};
  // A part stuck for less than this is only busy (a retry under way); a claim pending for less than
  // this is only under way.
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

  // ---- partitions of corridor.inputs (the processor's consumer group) ----
  // The group gave these partitions (cooperative: the ones added; a single process gets every
  // partition in one assignment); each is to be claimed. Without `now_ms`, a pending claim is timed
  // from the first health check that sees it. A negative partition number is ignored.
  void partitions_assigned(const std::vector<std::int32_t>& partitions);
  void partitions_assigned(const std::vector<std::int32_t>& partitions, std::int64_t now_ms);
  // The store gave `partition` to this process with `epoch`. A claim of a partition the group has not
  // given (revoked meanwhile), or with an epoch older than the one held, changes nothing.
  void partition_claimed(std::int32_t partition, std::int64_t epoch);
  // The group took these partitions back (or they were lost).
  void partitions_revoked(const std::vector<std::int32_t>& partitions);
  // ---- partitions of corridor.commands (the router's consumer group) ----
  // Its group gave these partitions (cooperative: the ones added) or took them back. Nothing is
  // claimed for them (routing twice is harmless: the processor recognises an input id); the detail
  // lists them, so an operator sees which process routes which partition.
  void commands_assigned(const std::vector<std::int32_t>& partitions);
  void commands_revoked(const std::vector<std::int32_t>& partitions);
  std::vector<std::int32_t> commands_partitions() const;

  // A commit carrying `epoch_refused` for `partition` was refused: another process claimed it since.
  // Counted always; the partition blocks readiness unless it was claimed again after that epoch.
  void fenced(std::int32_t partition, std::int64_t epoch_refused);

  struct Problem {
    std::string_view part;
    std::string reason;
    std::int64_t stalled_ms = 0;  // for how long
  };
  // The parts stuck for kGraceMs or more (the ingress: and said so within kForgetMs), and the claims
  // pending for kGraceMs or more (as the processor's).
  std::vector<Problem> problems(std::int64_t now_ms) const;

  struct PartitionView {
    std::int32_t partition = 0;
    std::optional<std::int64_t> epoch;          // the last claim's; none before the first
    bool claiming = false;                      // assigned, its claim not completed
    std::optional<std::int64_t> fenced_epoch;   // a commit with this epoch was refused
  };
  struct Readiness {
    bool ready = false;
    std::vector<std::string> reasons;  // why not, one line each
  };
  // Ready as described above; `reasons` also names each stuck part.
  Readiness readiness(std::int64_t now_ms) const;
  // The partitions held or being claimed, by number.
  std::vector<PartitionView> partitions() const;
  // Commits refused by fencing since start.
  std::int64_t fenced_commits() const;

  // A health route's answer: 200 or 503 and its JSON. `detail` (the operations listener) adds the
  // stuck parts, the partitions with their epochs, the router's partitions (`commands_partitions`), the
  // fenced commits and, for readiness, the reasons.
  enum class Probe { live, ready };
  struct Answer {
    int status = 200;
    std::string body;
  };
  Answer answer(Probe probe, std::int64_t now_ms, bool detail) const;

  // Prometheus lines: corridor_component_stalled{component="..."} 0|1.
  std::string prometheus(std::int64_t now_ms) const;

 private:
  struct State {
    std::int64_t since_ms = 0;  // 0: making progress
    std::int64_t last_ms = 0;   // when it last said it was stuck
    std::string why;
  };
  static constexpr std::int64_t kNotSeen = -1;  // a claim pending since a time not known yet
  struct Owned {
    std::optional<std::int64_t> epoch;
    bool claiming = true;
    std::int64_t assigned_ms = kNotSeen;
    std::optional<std::int64_t> fenced_epoch;
  };
  void assign_locked(const std::vector<std::int32_t>& partitions, std::int64_t now_ms);
  std::vector<Problem> problems_locked(std::int64_t now_ms) const;
  Readiness readiness_locked(const std::vector<Problem>& stuck) const;
  std::vector<PartitionView> partitions_locked() const;

  mutable std::mutex mu_;
  std::array<State, kNames.size()> parts_{};
  bool assigned_once_ = false;
  // mutable: a pending claim reported without a time is timed from the first check that sees it.
  mutable std::map<std::int32_t, Owned> owned_;
  std::set<std::int32_t> routed_;  // partitions of corridor.commands
  std::int64_t fenced_commits_ = 0;
};

}  // namespace corridor
