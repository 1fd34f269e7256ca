#pragma once
#include <atomic>
#include <string>

#include "engine/config/config.hpp"
#include "engine/io/health.hpp"
#include "engine/io/kafka.hpp"
#include "engine/io/metrics.hpp"
#include "engine/pipeline/clock.hpp"

namespace corridor {

class CardVault;

// corridor.commands -> validation -> corridor.inputs keyed by txn_id; rejects -> command.rejected +
// dead letter. Group offsets are committed only after every record of the batch is acknowledged.
void run_router(const Config& config, const std::string& bootstrap, KafkaProducer& producer, const Clock& clock,
                const CardVault* vault, Metrics& metrics, Health& health, const std::atomic<bool>& stop);

}  // namespace corridor
