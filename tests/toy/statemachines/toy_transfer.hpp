#pragma once
#include "statemachines/flow.hpp"

namespace corridor {

// The toy id a transfer keeps (Transaction::provider_refs).
namespace toy_refs {
inline constexpr RefKey kTransfer{"transfer"};
}  // namespace toy_refs

// toy.transfer — docs/flows/toy.transfer.md: a transfer asked, then done.
const Flow& toy_transfer_flow();

}  // namespace corridor
