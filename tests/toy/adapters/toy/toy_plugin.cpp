// The toy provider as corridor would carry it (adapters/plugin.hpp): one flow, an adapter, a PIN the
// router seals. Its sandbox: sandbox/toy/toy_registration.cpp.
#include "adapters/plugin.hpp"
#include "tests/toy/adapters/toy/toy_adapter.hpp"
#include "tests/toy/statemachines/toy_transfer.hpp"

namespace corridor {

ProviderPlugin toy_plugin() {
  return {.name = "toy",
          .adapter = toy_registration(),
          .flows = {&toy_transfer_flow()},
          .capabilities = {.sealed_fields = {{.object = "toy", .key = "pin", .sealed_as = "pin_sealed"}}}};
}

}  // namespace corridor
