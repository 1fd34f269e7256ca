#pragma once
#include "statemachines/flow.hpp"

namespace corridor {

// toy.transfer — docs/flows/toy.transfer.md: a transfer asked, then done.
const Flow& toy_transfer_flow();

}  // namespace corridor
