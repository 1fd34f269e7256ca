#pragma once
#include "statemachines/flow.hpp"

namespace corridor {

// flexpay.card — seed 001_4098339f3fd8c036.txt (FlexPay card payment: POST /v1/pay, callback, check).
const Flow& flexpay_card_flow();

}  // namespace corridor
