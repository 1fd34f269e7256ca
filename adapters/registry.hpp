#pragma once
// The provider registry's helpers beyond adapter.hpp's seam.
#include <string_view>
#include <vector>

#include "adapters/adapter.hpp"

namespace corridor {

// Checks a list of registrations: names present and unique, a factory for each. adapter_registrations()
// runs it on corridor's own list at first use and refuses to start (std::logic_error) on an error.
Result<bool> validate_registrations(const std::vector<AdapterRegistration>& registrations);

// The transaction a provider call belongs to: call ids are "<txn_id>:<seq>:<what>" (StepContext::next_id).
std::string_view txn_id_of_call(std::string_view call_id);

}  // namespace corridor
