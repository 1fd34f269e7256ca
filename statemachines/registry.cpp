#include "statemachines/registry.hpp"

#include "statemachines/cynod_card_debit.hpp"
#include "statemachines/esipay_card.hpp"
#include "statemachines/flexpay_card.hpp"
#include "statemachines/interac_payment.hpp"
#include "statemachines/interac_withdrawal.hpp"
#include "statemachines/novasend_payin.hpp"

namespace corridor {

const std::vector<const Flow*>& all_flows() {
  static const std::vector<const Flow*> flows{
      &cynod_card_debit_flow(),
      &flexpay_card_flow(),
      &esipay_card_flow(),
      &novasend_payin_flow(),
      &interac_payment_flow(),
      &interac_withdrawal_flow(),
  };
  return flows;
}

const Flow* find_flow(std::string_view id) {
  for (const Flow* f : all_flows())
    if (f->id == id) return f;
  return nullptr;
}

const Flow* resolve_flow(std::string_view provider, std::string_view flow) {
  if (!flow.empty()) {
    for (const Flow* f : all_flows())
      if (f->provider == provider && f->name == flow) return f;
    return nullptr;
  }
  const Flow* only = nullptr;
  for (const Flow* f : all_flows()) {
    if (f->provider != provider) continue;
    if (only != nullptr) return nullptr;  // ambiguous: the command must name the flow
    only = f;
  }
  return only;
}

}  // namespace corridor
