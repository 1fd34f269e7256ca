// One test per row of toy.transfer (tests/toy/docs/flows/toy.transfer.md).
#include "tests/toy/statemachines/toy_transfer.hpp"

#include <gtest/gtest.h>

#include "tests/support/flow_harness.hpp"

namespace corridor {
namespace {

using testing::Harness;

TEST(ToyTransfer, CreateAsksForTheTransfer) {
  Harness h{toy_transfer_flow()};
  auto r = h.feed(h.create_input());
  EXPECT_EQ(r.outcome, Outcome::applied);
  EXPECT_EQ(h.txn.state, "requested");
  ASSERT_NE(h.call("transfer"), nullptr);
  EXPECT_EQ(h.call("transfer")->provider, "toy");
  EXPECT_EQ(get_int(h.call("transfer")->params.object(), "amount"), 300);
  EXPECT_EQ(h.call("transfer")->params.text("currency"), "XOF");
}

TEST(ToyTransfer, TheTransferDoneEndsIt) {
  Harness h{toy_transfer_flow()};
  h.in("requested").feed("transfer.done", {{"id", "T-1"}});
  EXPECT_EQ(h.txn.state, "done");
  EXPECT_EQ(h.txn.provider_refs.find("transfer"), "T-1");
  ASSERT_EQ(h.effects.events.size(), 1u);
  EXPECT_EQ(to_string(h.effects.events[0].status), "succeeded");
}

}  // namespace
}  // namespace corridor
