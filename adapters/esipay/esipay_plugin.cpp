// esipay as corridor carries it (adapters/plugin.hpp): a card payment with refunds. esipay has no
// status endpoint; its settlement file is its word on what corridor could not know. Its sandbox:
// sandbox/esipay/esipay_registration.cpp.
#include "adapters/esipay/esipay_adapter.hpp"
#include "adapters/esipay/esipay_settlement.hpp"
#include "adapters/plugin.hpp"
#include "statemachines/esipay_card.hpp"

namespace corridor {

ProviderPlugin esipay_plugin() {
  return {.name = "esipay",
          .adapter = esipay_registration(),
          .flows = {&esipay_card_flow()},
          .capabilities = {.settlement = esipay_settlement()}};
}

}  // namespace corridor
