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

// Outbox -> corridor.events / corridor.deadletter, oldest first; rows are removed once acknowledged.
// A row Kafka refuses for what it is goes as its minimal form (an event with its identifying fields and
// "truncated": true, or a minimal dead letter); while Kafka is unavailable the relay backs off and
// shows as stalled. With `ownership`, only the rows of the partitions owned here.
void run_relay(const Config& config, Store& store, KafkaProducer& producer, Signal& wake, const Clock& clock,
               Metrics& metrics, Health& health, const std::atomic<bool>& stop, const Ownership* ownership = nullptr);

}  // namespace corridor
