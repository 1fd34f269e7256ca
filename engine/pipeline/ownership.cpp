#include "engine/pipeline/ownership.hpp"

namespace corridor {

void Ownership::claimed(std::int32_t partition, std::int64_t epoch) {
  std::lock_guard lock(mu_);
  owned_[partition] = epoch;
}

void Ownership::released(std::int32_t partition) {
  std::lock_guard lock(mu_);
  owned_.erase(partition);
}

std::optional<std::vector<std::int32_t>> Ownership::filter() const {
  if (every_row_) return std::nullopt;
  std::lock_guard lock(mu_);
  std::vector<std::int32_t> out;
  out.reserve(owned_.size());
  for (const auto& [partition, _] : owned_) out.push_back(partition);
  return out;
}

std::optional<PartitionEpoch> Ownership::fence(std::int32_t partition) const {
  std::lock_guard lock(mu_);
  auto it = owned_.find(partition);
  if (it == owned_.end()) return std::nullopt;
  return PartitionEpoch{topic_, partition, it->second};
}

bool Ownership::owns(std::int32_t partition) const {
  if (every_row_ && partition < 0) return true;
  std::lock_guard lock(mu_);
  return owned_.contains(partition);
}

std::size_t Ownership::count() const {
  std::lock_guard lock(mu_);
  return owned_.size();
}

}  // namespace corridor
