// The example read model: rebuilt right from events delivered twice and out of order.
#include "examples/read_model/read_model.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "statemachines/novasend_payin.hpp"
#include "statemachines/flow.hpp"
#include "tests/support/flow_harness.hpp"

namespace corridor {
namespace {

using examples::ReadModel;

// The whole event history of a real novasend.payin happy path, versions 1 to 5, from the flow itself.
std::vector<json::object> payin_events(std::string txn_id) {
  const Flow& flow = novasend_payin_flow();
  FlowSettings settings;
  Effects fx;
  Input create = testing::create_command("novasend.payin");
  create.txn_id = txn_id;
  Transaction t = start(flow, create, fx);
  json::object session{{"reference", "tr_1"}, {"confirmationRequired", true}, {"paymentUrl", "https://x"}};
  for (Input in : {create, testing::make_input("session.created", session),
                   testing::make_input("payin.confirmed", session, testing::kT0, InputKind::webhook),
                   testing::make_input("status.checked", {{"transaction", {{"status", "completed"}}}})}) {
    in.txn_id = txn_id;
    (void)step(flow, t, in, settings, fx);
  }
  std::vector<json::object> events;
  for (const auto& e : fx.events) events.push_back(to_json(e));
  return events;
}

TEST(ReadModel, InOrderEventsBuildTheTransaction) {
  ReadModel model;
  for (const auto& e : payin_events("tx_a")) EXPECT_EQ(model.apply(e), ReadModel::Applied::applied);
  const auto& t = model.transactions().at("tx_a");
  EXPECT_EQ(t.status, "succeeded");
  EXPECT_EQ(t.version, 5);
  EXPECT_EQ(t.amount, 300);
  EXPECT_EQ(t.currency, "XOF");
}

TEST(ReadModel, DuplicatesAndReorderingGiveTheSameModel) {
  std::vector<json::object> delivered;
  for (const char* id : {"tx_a", "tx_b", "tx_c"}) {
    auto evs = payin_events(id);
    delivered.insert(delivered.end(), evs.begin(), evs.end());
    delivered.insert(delivered.end(), evs.begin(), evs.end());  // at-least-once: everything twice
  }
  std::mt19937 rng(42);
  std::shuffle(delivered.begin(), delivered.end(), rng);
  ReadModel model;
  std::size_t duplicates = 0;
  for (const auto& e : delivered) duplicates += model.apply(e) == ReadModel::Applied::duplicate;
  EXPECT_EQ(duplicates, delivered.size() / 2);
  EXPECT_EQ(model.held_back(), 0u);
  ASSERT_EQ(model.transactions().size(), 3u);
  for (const auto& [_, t] : model.transactions()) {
    EXPECT_EQ(t.status, "succeeded");
    EXPECT_EQ(t.version, 5);
  }
}

TEST(ReadModel, AGapIsHeldBackUntilTheMissingVersionArrives) {
  auto evs = payin_events("tx_a");
  ReadModel model;
  EXPECT_EQ(model.apply(evs[2]), ReadModel::Applied::held_back);  // version 3 before 1 and 2
  EXPECT_EQ(model.apply(evs[1]), ReadModel::Applied::held_back);
  EXPECT_EQ(model.held_back(), 2u);
  EXPECT_EQ(model.apply(evs[0]), ReadModel::Applied::applied);
  EXPECT_EQ(model.transactions().at("tx_a").version, 3);
  EXPECT_EQ(model.held_back(), 0u);
  EXPECT_EQ(model.apply(evs[1]), ReadModel::Applied::duplicate);
}

TEST(ReadModel, RejectedCommandsAreCounted) {
  ReadModel model;
  json::object rejected{{"event_id", "rejected:cmd:1"}, {"type", "command.rejected"}, {"reason", "bad"}};
  model.apply(rejected);
  model.apply(rejected);
  EXPECT_EQ(model.rejected_commands(), 1u);
  EXPECT_TRUE(model.transactions().empty());
}

}  // namespace
}  // namespace corridor
