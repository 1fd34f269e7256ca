#pragma once
// Every flow corridor knows, by id ("novasend.payin"). Adding a flow adds one line to registry.cpp.
#include <string_view>
#include <vector>

#include "statemachines/flow.hpp"

namespace corridor {

const std::vector<const Flow*>& all_flows();
const Flow* find_flow(std::string_view id);
// The flow a command names: `flow` may be omitted where the provider has only one.
const Flow* resolve_flow(std::string_view provider, std::string_view flow);

}  // namespace corridor
