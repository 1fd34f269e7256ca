// Cynod as corridor carries it (adapters/plugin.hpp): a card debit the customer confirms in the Cynod
// wallet. Its sandbox: sandbox/cynod/cynod_registration.cpp.
#include "adapters/cynod/cynod_adapter.hpp"
#include "adapters/plugin.hpp"
#include "statemachines/cynod_card_debit.hpp"

namespace corridor {

ProviderPlugin cynod_plugin() {
  return {.name = "cynod", .adapter = cynod_registration(), .flows = {&cynod_card_debit_flow()}};
}

}  // namespace corridor
