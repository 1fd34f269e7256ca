#include "tests/toy/statemachines/toy_transfer.hpp"

#include "tests/toy/statemachines/toy_inputs.hpp"

namespace corridor {

namespace {

void request_transfer(StepContext& c) {
  c.call("transfer", {{"reference", c.txn.txn_id}, {"amount", c.txn.amount.value}, {"currency", c.txn.amount.currency}});
}

void record_transfer(StepContext& c) { c.txn.provider_refs.set(toy_refs::kTransfer, c.input_as<ToyTransfer>().id); }

Flow make_flow() {
  Flow f;
  f.id = "toy.transfer";
  f.provider = "toy";
  f.name = "transfer";
  f.states = {
      {"created", Status::pending},
      {"requested", Status::processing},
      {"done", Status::succeeded, true},
  };
  // clang-format off
  f.rows = {
    // from         on                 guard  guard    to           action            cite
    {"created",     "payment.create",  "",    nullptr, "requested", request_transfer, "POST /transfers"},
    {"requested",   "transfer.done",   "",    nullptr, "done",      record_transfer,  "201: the transfer is done"},
  };
  // clang-format on
  f.index();
  return f;
}

}  // namespace

const Flow& toy_transfer_flow() {
  static const Flow flow = make_flow();
  return flow;
}

}  // namespace corridor
