#pragma once
#include "statemachines/flow.hpp"

namespace corridor {

// cynod.card_debit — seed 000_375b0fce72fe380b.txt (Cynod card debit confirmed in the wallet).
const Flow& cynod_card_debit_flow();

}  // namespace corridor
