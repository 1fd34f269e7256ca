// NovaSend as corridor carries it (adapters/plugin.hpp): mobile-money payin sessions. Its sandbox:
// sandbox/novasend/novasend_registration.cpp.
#include "adapters/novasend/novasend_adapter.hpp"
#include "adapters/plugin.hpp"
#include "statemachines/novasend_payin.hpp"

namespace corridor {

ProviderPlugin novasend_plugin() {
  return {.name = "novasend", .adapter = novasend_registration(), .flows = {&novasend_payin_flow()}};
}

}  // namespace corridor
