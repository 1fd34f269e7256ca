#include "engine/io/metrics.hpp"

namespace corridor {

std::string Metrics::prometheus() const {
  std::string out;
  auto counter = [&](const char* name, const char* help, const std::atomic<std::int64_t>& v) {
    out += "# HELP corridor_";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE corridor_";
    out += name;
    out += " counter\ncorridor_";
    out += name;
    out += ' ';
    out += std::to_string(v.load());
    out += '\n';
  };
  counter("commands_routed_total", "Commands validated and re-keyed onto the inputs topic.", commands_routed);
  counter("commands_rejected_total", "Commands rejected with command.rejected and a dead letter.", commands_rejected);
  counter("inputs_applied_total", "Inputs applied by a transition row.", inputs_applied);
  counter("inputs_duplicate_total", "Inputs recognised as already processed.", inputs_duplicate);
  counter("inputs_rejected_total", "Inputs with no row in their flow's table.", inputs_rejected);
  counter("batches_committed_total", "Store transactions committed by the processor.", batches_committed);
  counter("events_published_total", "Events acknowledged by Kafka on the events topic.", events_published);
  counter("deadletters_published_total", "Records acknowledged on the dead-letter topic.", deadletters_published);
  counter("provider_calls_total", "Provider HTTP calls completed (any outcome).", provider_calls);
  counter("provider_call_failures_total", "Provider calls that ended in call.failed.", provider_call_failures);
  counter("provider_call_retries_total", "Provider call attempts retried after a transient error.", provider_call_retries);
  counter("webhooks_accepted_total", "Webhooks acknowledged by Kafka and answered 2xx.", webhooks_accepted);
  counter("webhooks_refused_total", "HTTP requests refused with a 4xx (dead-lettered within their source's rate).",
          webhooks_refused);
  counter("timers_fired_total", "Durable timers fired as inputs.", timers_fired);
  counter("circuit_opened_total", "Times a provider's circuit breaker opened.", circuit_opened);
  counter("store_commit_failures_total", "Processor batches the store could not commit (retried).", store_commit_failures);
  counter("records_refused_total", "Records Kafka refused for what they are; their minimal forms went instead.",
          records_refused);
  counter("records_dropped_total", "Records Kafka refused together with their minimal forms.", records_dropped);
  counter("refusals_unrecorded_total", "HTTP refusals counted but not dead-lettered: their source passed its rate.",
          refusals_unrecorded);
  out += "# HELP corridor_attention_total Changes that need a person, by attention code.\n";
  out += "# TYPE corridor_attention_total counter\n";
  for (std::size_t i = 0; i < kAttentionCodes.size(); ++i)
    out += "corridor_attention_total{code=\"" + std::string(kAttentionCodes[i]) + "\"} " +
           std::to_string(attention[i].load()) + "\n";
  return out;
}

void Metrics::count_attention(std::string_view code) {
  for (std::size_t i = 0; i < kAttentionCodes.size(); ++i)
    if (kAttentionCodes[i] == code) attention[i]++;
}

}  // namespace corridor
