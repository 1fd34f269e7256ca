#include "engine/io/health.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "statemachines/sensitive.hpp"

namespace corridor {

namespace {
bool forgets(Health::Part part) { return part == Health::Part::ingress; }
}  // namespace

void Health::stalled(Part part, std::string why, std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  State& s = parts_[static_cast<std::size_t>(part)];
  if (s.since_ms == 0 || (forgets(part) && now_ms - s.last_ms > kForgetMs)) s.since_ms = now_ms > 0 ? now_ms : 1;
  s.last_ms = now_ms;
  s.why = redact_bounded(why, 300);
}

void Health::progressed(Part part) {
  std::lock_guard lock(mu_);
  State& s = parts_[static_cast<std::size_t>(part)];
  s.since_ms = 0;
  s.why.clear();
}

void Health::assign_locked(const std::vector<std::int32_t>& partitions, std::int64_t now_ms) {
  assigned_once_ = true;
  for (const std::int32_t p : partitions) {
    if (p < 0) continue;
    // Given again while held (an eager rebalance): it is claimed again, and counts as pending until then.
    Owned& o = owned_[p];
    o.claiming = true;
    o.assigned_ms = now_ms;
  }
}

void Health::partitions_assigned(const std::vector<std::int32_t>& partitions) {
  std::lock_guard lock(mu_);
  assign_locked(partitions, kNotSeen);
}

void Health::partitions_assigned(const std::vector<std::int32_t>& partitions, std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  assign_locked(partitions, now_ms < 0 ? kNotSeen : now_ms);
}

void Health::partition_claimed(std::int32_t partition, std::int64_t epoch) {
  std::lock_guard lock(mu_);
  auto it = owned_.find(partition);
  // The group's word decides what is held: a claim that lands after its partition was revoked is not.
  if (it == owned_.end() || epoch < 0) return;
  Owned& o = it->second;
  if (o.epoch && epoch < *o.epoch) return;  // an older claim reported late
  o.epoch = epoch;
  o.claiming = false;
  o.fenced_epoch.reset();
}

void Health::partitions_revoked(const std::vector<std::int32_t>& partitions) {
  std::lock_guard lock(mu_);
  for (const std::int32_t p : partitions) owned_.erase(p);
}

void Health::commands_assigned(const std::vector<std::int32_t>& partitions) {
  std::lock_guard lock(mu_);
  for (const std::int32_t p : partitions)
    if (p >= 0) routed_.insert(p);
}

void Health::commands_revoked(const std::vector<std::int32_t>& partitions) {
  std::lock_guard lock(mu_);
  for (const std::int32_t p : partitions) routed_.erase(p);
}

std::vector<std::int32_t> Health::commands_partitions() const {
  std::lock_guard lock(mu_);
  return {routed_.begin(), routed_.end()};
}

void Health::fenced(std::int32_t partition, std::int64_t epoch_refused) {
  std::lock_guard lock(mu_);
  ++fenced_commits_;
  auto it = owned_.find(partition);
  if (it == owned_.end()) return;
  Owned& o = it->second;
  // A batch of an earlier claim refused after this process claimed the partition again: the claim
  // held now is intact.
  if (o.epoch && epoch_refused < *o.epoch) return;
  o.fenced_epoch = epoch_refused;
}

std::vector<Health::Problem> Health::problems_locked(std::int64_t now_ms) const {
  std::vector<Problem> out;
  for (std::size_t i = 0; i < parts_.size(); ++i) {
    const State& s = parts_[i];
    if (s.since_ms != 0 && now_ms - s.since_ms >= kGraceMs &&
        (!forgets(static_cast<Part>(i)) || now_ms - s.last_ms <= kForgetMs))
      out.push_back({kNames[i], s.why, now_ms - s.since_ms});
  }
  for (auto& [partition, o] : owned_) {
    if (!o.claiming) continue;
    if (o.assigned_ms == kNotSeen) o.assigned_ms = now_ms;
    if (now_ms - o.assigned_ms >= kGraceMs)
      out.push_back({kNames[static_cast<std::size_t>(Part::processor)],
                     "the claim of partition " + std::to_string(partition) + " has not completed",
                     now_ms - o.assigned_ms});
  }
  return out;
}

std::vector<Health::Problem> Health::problems(std::int64_t now_ms) const {
  std::lock_guard lock(mu_);
  return problems_locked(now_ms);
}

Health::Readiness Health::readiness_locked(const std::vector<Problem>& stuck) const {
  Readiness r;
  for (const auto& p : stuck) r.reasons.push_back(std::string(p.part) + ": " + p.reason);
  if (!assigned_once_) r.reasons.emplace_back("waiting for the consumer group's first assignment");
  for (const auto& [partition, o] : owned_) {
    const std::string name = "partition " + std::to_string(partition);
    if (o.claiming) r.reasons.push_back(name + ": assigned, its claim not completed");
    if (o.fenced_epoch)
      r.reasons.push_back(name + ": a commit with epoch " + std::to_string(*o.fenced_epoch) +
                          " was refused (another process claimed it since)");
  }
  r.ready = r.reasons.empty();
  return r;
}

Health::Readiness Health::readiness(std::int64_t now_ms) const {
  std::lock_guard lock(mu_);
  return readiness_locked(problems_locked(now_ms));
}

std::vector<Health::PartitionView> Health::partitions_locked() const {
  std::vector<PartitionView> out;
  for (const auto& [partition, o] : owned_) out.push_back({partition, o.epoch, o.claiming, o.fenced_epoch});
  return out;
}

std::vector<Health::PartitionView> Health::partitions() const {
  std::lock_guard lock(mu_);
  return partitions_locked();
}

std::int64_t Health::fenced_commits() const {
  std::lock_guard lock(mu_);
  return fenced_commits_;
}

Health::Answer Health::answer(Probe probe, std::int64_t now_ms, bool detail) const {
  std::lock_guard lock(mu_);  // one view: the parts, the partitions and the count at one moment
  const auto stuck = problems_locked(now_ms);
  bool ok = stuck.empty();
  std::vector<std::string> reasons;
  if (probe == Probe::ready) {
    auto r = readiness_locked(stuck);
    ok = r.ready;
    reasons = std::move(r.reasons);
  }
  boost::json::object body{{"status", ok ? "ok" : "unavailable"}};
  if (detail) {
    if (!stuck.empty()) {
      boost::json::array components;
      for (const auto& p : stuck)
        components.push_back(
            boost::json::object{{"component", p.part}, {"reason", p.reason}, {"stalled_ms", p.stalled_ms}});
      body["components"] = std::move(components);
    }
    if (!reasons.empty()) {
      boost::json::array why;
      for (auto& line : reasons) why.emplace_back(line);
      body["reasons"] = std::move(why);
    }
    boost::json::array held;
    for (const auto& p : partitions_locked()) {
      boost::json::object o{{"partition", p.partition},
                            {"state", p.fenced_epoch ? "fenced" : p.claiming ? "claiming" : "owned"}};
      if (p.epoch) o["epoch"] = *p.epoch;
      else o["epoch"] = nullptr;
      if (p.fenced_epoch) o["fenced_epoch"] = *p.fenced_epoch;
      held.push_back(std::move(o));
    }
    body["partitions"] = std::move(held);
    boost::json::array routed;
    for (const std::int32_t p : routed_) routed.emplace_back(p);
    body["commands_partitions"] = std::move(routed);
    body["fenced_commits"] = fenced_commits_;
  }
  return {ok ? 200 : 503, boost::json::serialize(body)};
}

std::string Health::prometheus(std::int64_t now_ms) const {
  std::string out =
      "# HELP corridor_component_stalled A part of the runtime holds work it has not finished for 5 s or more.\n"
      "# TYPE corridor_component_stalled gauge\n";
  std::array<bool, kNames.size()> stuck{};
  for (const auto& p : problems(now_ms)) {
    for (std::size_t i = 0; i < kNames.size(); ++i) stuck[i] = stuck[i] || kNames[i] == p.part;
  }
  for (std::size_t i = 0; i < kNames.size(); ++i)
    out += "corridor_component_stalled{component=\"" + std::string(kNames[i]) + "\"} " + (stuck[i] ? "1" : "0") + "\n";
  return out;
}

}  // namespace corridor
