// FlexPay as corridor carries it (adapters/plugin.hpp): a card payment on FlexPay's page, confirmed
// with its check endpoint. Its sandbox: sandbox/flexpay/flexpay_registration.cpp.
#include "adapters/flexpay/flexpay_adapter.hpp"
#include "adapters/plugin.hpp"
#include "statemachines/flexpay_card.hpp"

namespace corridor {

ProviderPlugin flexpay_plugin() {
  return {.name = "flexpay", .adapter = flexpay_registration(), .flows = {&flexpay_card_flow()}};
}

}  // namespace corridor
