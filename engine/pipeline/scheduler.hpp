#pragma once
#include <atomic>

#include "engine/config/config.hpp"
#include "engine/io/health.hpp"
#include "engine/io/kafka.hpp"
#include "engine/io/metrics.hpp"
#include "engine/pipeline/clock.hpp"
#include "engine/pipeline/ownership.hpp"
#include "engine/pipeline/threads.hpp"
#include "engine/store/store.hpp"

namespace corridor {

// Due timers -> timer inputs on corridor.inputs (at = the due time), then removed from the store.
// With `ownership`, only the timers of the partitions owned here.
void run_scheduler(const Config& config, Store& store, KafkaProducer& producer, const Clock& clock, Signal& wake,
                   Metrics& metrics, Health& health, const std::atomic<bool>& stop,
                   const Ownership* ownership = nullptr);

}  // namespace corridor
