#pragma once
// The pipeline's failure codes (core/error.hpp): records the router and the processor refuse, and
// calls the executor could not make.
#include <array>

#include "core/error.hpp"

namespace corridor {

enum class pipeline_errc {
  // Records on corridor.commands and corridor.inputs (dead-lettered, never retried).
  not_json = 1,         // not valid JSON, or nested deeper than the parser allows
  duplicate_key,        // one object holding a key twice
  number_out_of_range,  // a number past a double's range (1e400)
  too_large,            // larger than limits.input_bytes
  invalid_record,       // JSON, but not a record of its topic
  invalid_command,      // a command the router refuses: a field missing or wrong, an unknown merchant or flow
  // Provider calls.
  no_adapter,           // the call names a provider with no adapter
  sealed_unavailable,   // sealed data the call needs cannot be opened (no key, wrong key)
  circuit_open,         // the provider's circuit is open: not sent now
  stopped_in_flight,    // a call sent at most once was in flight when corridor stopped
  answer_too_large,     // the provider's answer is larger than limits.input_bytes
};

template <>
struct errc_info<pipeline_errc> {
  static constexpr const char* module = "pipeline";
  static constexpr std::array<ErrcEntry<pipeline_errc>, 11> codes{{
      {pipeline_errc::not_json, "not_json", failure::invalid},
      {pipeline_errc::duplicate_key, "duplicate_key", failure::invalid},
      {pipeline_errc::number_out_of_range, "number_out_of_range", failure::invalid},
      {pipeline_errc::too_large, "too_large", failure::invalid},
      {pipeline_errc::invalid_record, "invalid_record", failure::invalid},
      {pipeline_errc::invalid_command, "invalid_command", failure::invalid},
      {pipeline_errc::no_adapter, "no_adapter", failure::invalid},
      {pipeline_errc::sealed_unavailable, "sealed_unavailable", failure::invalid},
      {pipeline_errc::circuit_open, "circuit_open", failure::transient},
      {pipeline_errc::stopped_in_flight, "stopped_in_flight", failure::invalid},
      {pipeline_errc::answer_too_large, "answer_too_large", failure::invalid},
  }};
};

}  // namespace corridor

template <>
struct std::is_error_code_enum<corridor::pipeline_errc> : std::true_type {};
