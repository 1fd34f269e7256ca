#include "statemachines/registry.hpp"

#include "statemachines/novasend_payin.hpp"

namespace corridor {

const std::vector<const Flow*>& all_flows() {
  static const std::vector<const Flow*> flows{
      &novasend_payin_flow(),
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
