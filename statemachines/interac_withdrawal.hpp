#pragma once
#include "statemachines/flow.hpp"

namespace corridor {

// interac.withdrawal — seed 004_65eeba9a99dbfec8.txt (Paysafe Interac e-Transfer withdrawals:
// optional verification, standalone credits, autodeposit or security question).
const Flow& interac_withdrawal_flow();

}  // namespace corridor
