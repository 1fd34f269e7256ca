#pragma once
#include "statemachines/flow.hpp"

namespace corridor {

// esipay.card — seed 002_37ebfe69c218fca4.txt (esipay v2: card pay in the URL path, return-URL
// callback, refund and partial refund).
const Flow& esipay_card_flow();

}  // namespace corridor
