#pragma once
#include "statemachines/flow.hpp"

namespace corridor {

// interac.payment — seed 004_65eeba9a99dbfec8.txt (Paysafe Interac e-Transfer payments, request-money
// and send-money flows).
const Flow& interac_payment_flow();

}  // namespace corridor
