#include "engine/io/health.hpp"

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

std::vector<Health::Problem> Health::problems(std::int64_t now_ms) const {
  std::lock_guard lock(mu_);
  std::vector<Problem> out;
  for (std::size_t i = 0; i < parts_.size(); ++i) {
    const State& s = parts_[i];
    if (s.since_ms != 0 && now_ms - s.since_ms >= kGraceMs &&
        (!forgets(static_cast<Part>(i)) || now_ms - s.last_ms <= kForgetMs))
      out.push_back({kNames[i], s.why, now_ms - s.since_ms});
  }
  return out;
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
