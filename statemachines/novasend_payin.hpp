#pragma once
#include "statemachines/flow.hpp"

namespace corridor {

// novasend.payin — seed 003_bf421fd2ae9f23ae.txt (NovaSend mobile-money payin sessions).
const Flow& novasend_payin_flow();

}  // namespace corridor
