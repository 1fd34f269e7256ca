// Interac e-Transfer through Paysafe as corridor carries it (adapters/plugin.hpp): payments and
// withdrawals (standalone credits). Its sandbox: sandbox/interac/interac_registration.cpp.
#include "adapters/interac/interac_adapter.hpp"
#include "adapters/plugin.hpp"
#include "statemachines/interac_payment.hpp"
#include "statemachines/interac_withdrawal.hpp"

namespace corridor {

ProviderPlugin interac_plugin() {
  return {.name = "interac",
          .adapter = interac_registration(),
          .flows = {&interac_payment_flow(), &interac_withdrawal_flow()},
          // A withdrawal may carry the recipient's answer to the security question: sealed at the
          // router, opened by the executor for the call that sends it (docs/providers/interac.md, "The security answer").
          .capabilities = {.sealed_fields = {{.object = "interac", .key = "answer", .sealed_as = "answer_sealed"}}}};
}

}  // namespace corridor
