#pragma once
// What the pipeline counts, labelled from closed sets only: the provider registry's providers and
// flows, the command types, the canonical statuses. Anything a sender wrote that is outside them is
// kNoLabel, so no merchant, reference or id ever becomes a label (docs/operations.md, "What to watch").
#include <string_view>

#include "adapters/registry.hpp"
#include "statemachines/domain.hpp"
#include "engine/io/metrics.hpp"
#include "engine/pipeline/processor.hpp"

namespace corridor {

struct CommandLabels {
  std::string_view type = kNoLabel;
  std::string_view provider = kNoLabel;
  std::string_view flow = kNoLabel;
};
// A command's type among the command types, and its provider and flow as the registry knows them.
CommandLabels command_labels(const ProviderRegistry& registry, std::string_view type, const json::object& command);
// The same from a command's bytes, as far as they can be read (nothing when they are not a JSON object,
// or are over limits.command_bytes).
CommandLabels raw_command_labels(const Config& config, std::string_view value);
// The registry's name for `provider`, or kNoLabel.
std::string_view provider_label(const ProviderRegistry& registry, std::string_view provider);
// The provider a request on the public listener is for (/webhooks/{provider}, /callbacks/{provider}/…).
std::string_view provider_of_target(const ProviderRegistry& registry, std::string_view target);

// Whether a status is an outcome: the payment's result is known (a refund status follows an outcome).
bool is_outcome(Status status);

// Counts what a committed batch did (its events and rejections) into `metrics`: transactions created,
// state changes and outcomes by status, command-to-outcome latency, attention by code.
void count_batch(Metrics& metrics, const BatchStats& stats);

}  // namespace corridor
