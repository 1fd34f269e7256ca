// esipay as corridor carries it (adapters/plugin.hpp): a card payment with refunds. Its sandbox:
// sandbox/esipay/esipay_registration.cpp.
#include "adapters/esipay/esipay_adapter.hpp"
#include "adapters/plugin.hpp"
#include "statemachines/esipay_card.hpp"

namespace corridor {

ProviderPlugin esipay_plugin() {
  return {.name = "esipay",
          .adapter = esipay_registration(),
          .flows = {&esipay_card_flow()}};
}

}  // namespace corridor
