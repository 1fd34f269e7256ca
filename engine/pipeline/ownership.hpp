#pragma once
// Which partitions of corridor.inputs this process owns, and at which epoch (store.hpp, partition
// ownership). The processor writes it as Kafka's group assigns and revokes partitions, and when a
// commit finds a partition taken; the relay, the executor and the scheduler read it to work only on
// the rows of the partitions owned here.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/store/store.hpp"

namespace corridor {

class Ownership {
 public:
  // `every_row`: this process is the store's one writer (a SQLite file) and owns every partition,
  // and with them the rows of none (-1): readers read every row.
  Ownership(std::string topic, bool every_row) : topic_(std::move(topic)), every_row_(every_row) {}

  void claimed(std::int32_t partition, std::int64_t epoch);
  void released(std::int32_t partition);

  // What the readers pass to the store (Store's PartitionFilter): nullopt for every row, else the
  // partitions owned (possibly none).
  std::optional<std::vector<std::int32_t>> filter() const;
  // The fence of a row of `partition`: nullopt when it is not owned here (its row is not this
  // process's to act on); a row of no partition (-1) has none to carry.
  std::optional<PartitionEpoch> fence(std::int32_t partition) const;
  bool owns(std::int32_t partition) const;
  std::size_t count() const;
  const std::string& topic() const { return topic_; }

 private:
  const std::string topic_;
  const bool every_row_;
  mutable std::mutex mu_;
  std::map<std::int32_t, std::int64_t> owned_;
};

}  // namespace corridor
