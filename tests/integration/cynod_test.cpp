// cynod.card_debit through the real runtime: embedded Kafka, a SQLite file, the Cynod sandbox over
// loopback HTTP, card data sealed with CORRIDOR_CARD_KEY. Every sandbox scenario
// (docs/providers/cynod.md) reaches its expected status with versions 1..n.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <cstdlib>

#include "engine/pipeline/commands.hpp"
#include "sandbox/cynod/cynod_sandbox.hpp"
#include "statemachines/cynod_card_debit.hpp"
#include "tests/support/runtime_harness.hpp"

namespace corridor {
namespace {

using namespace testing;

bool set_card_key() {
  return ::setenv("CORRIDOR_CARD_KEY", "5f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0", 1) == 0;
}

json::object card_debit(const std::string& reference, std::string_view card) {
  return {{"type", "payment.create"},
          {"command_id", "cmd-" + reference},
          {"merchant", "ZANDO"},
          {"reference", reference},
          {"provider", "cynod"},
          {"flow", "card_debit"},
          {"amount", {{"value", 1500050}, {"currency", "CDF"}}},
          {"card", {{"number", card}, {"exp_month", 12}, {"exp_year", 2027}}},
          {"customer", {{"name", "Jean Mukendi"}, {"msisdn", "+243810000001"}}},
          {"description", "integration test"}};
}

struct Scenario {
  const char* name;
  std::string_view card;
  const char* status;
  std::vector<std::string> states;  // the whole path, version 1..n; empty: only the ends are fixed
  const char* last_state;
};

class CynodRuntime : public ::testing::Test {
 protected:
  bool key = set_card_key();
  TempDir dir;
  Cluster cluster;
  std::unique_ptr<Engine> engine = std::make_unique<Engine>([this] {
    Config c = test_config(cluster, dir.path());
    c.providers["cynod"]["max_retries"] = "2";  // the acknowledgement's budget, spent in seconds here
    // The failing acknowledgements of one scenario must not open Cynod's circuit under the others'
    // calls (their budgets are spent in seconds too): the breaker has tests of its own.
    c.executor.breaker_failures = 1000;
    return c;
  }());
  TopicCollector events{cluster.bootstrap, "corridor.events"};
  TopicCollector inputs{cluster.bootstrap, "corridor.inputs"};
  TopicCollector deadletter{cluster.bootstrap, "corridor.deadletter"};
};

TEST_F(CynodRuntime, EveryScenarioReachesItsStatus) {
  namespace c = cynod_cards;
  const std::vector<std::string> approved_path = {"created", "authorization_requested", "awaiting_wallet_confirmation",
                                                  "debited", "completed"};
  const std::vector<Scenario> scenarios = {
      // The webhook may overtake the 6.2 answer by a hair: only the ends are fixed where it can.
      {"approve", c::kApprove, "succeeded", {}, "completed"},
      {"no-account", c::kNoAccount, "declined", {"created", "authorization_requested", "declined"}, "declined"},
      {"no-balance", c::kNoBalance, "declined", {"created", "authorization_requested", "declined"}, "declined"},
      {"customer-refuses", c::kCustomerRefuses, "declined", {}, "declined"},
      {"never-confirms", c::kNeverConfirms, "expired",
       {"created", "authorization_requested", "awaiting_wallet_confirmation", "expiring", "expired"}, "expired"},
      {"unavailable-once", c::kUnavailableOnce, "succeeded", {}, "completed"},
      {"slow-answer", c::kSlowAnswer, "succeeded", {}, "completed"},
      {"duplicate-webhook", c::kDuplicateWebhook, "succeeded", {}, "completed"},
      // The 8.2 webhook is acknowledged by Kafka before the 6.2 answer leaves the sandbox.
      {"out-of-order", c::kOutOfOrder, "succeeded", {"created", "authorization_requested", "debited", "completed"}, "completed"},
      // No webhook at all: the cancel at the end of the delay answers 409 with the approval.
      {"no-callback", c::kNoCallback, "succeeded",
       {"created", "authorization_requested", "awaiting_wallet_confirmation", "expiring", "debited", "completed"}, "completed"},
      {"rejected", c::kRejected, "failed", {"created", "authorization_requested", "failed"}, "failed"},
      // Step 8.2 reports one unit less than asked: the money moved, not as asked.
      {"other-amount", c::kOtherAmount, "amount_mismatch", {}, "amount_mismatch"},
      // Every acknowledgement fails: the debit stands once the budget is spent.
      {"acknowledgement-fails", c::kAcknowledgementFails, "succeeded", {}, "debited_unacknowledged"},
  };
  ASSERT_TRUE(key);
  for (const auto& s : scenarios) engine->publish_command(card_debit(std::string("CY-") + s.name, s.card));
  const bool all_final = events.wait_until(
      [&](const auto& evs) {
        for (const auto& s : scenarios)
          if (latest_status(evs, derive_txn_id("ZANDO", std::string("CY-") + s.name)) != s.status) return false;
        return true;
      },
      std::chrono::seconds(60));
  const auto all = events.records();
  for (const auto& s : scenarios) {
    const auto txn = derive_txn_id("ZANDO", std::string("CY-") + s.name);
    const auto evs = events_of(all, txn);
    EXPECT_EQ(latest_status(all, txn), s.status) << s.name;
    std::vector<std::string> states;
    for (const auto& e : evs) states.push_back(std::string(get_string(e, "state")));
    if (!s.states.empty()) {
      EXPECT_EQ(states, s.states) << s.name;
    } else {
      ASSERT_FALSE(states.empty()) << s.name;
      EXPECT_EQ(states.front(), "created") << s.name;
      EXPECT_EQ(states.back(), s.last_state) << s.name;
      if (std::string(s.last_state) == "completed") {
        const std::vector<std::string> overtaken = {"created", "authorization_requested", "debited", "completed"};
        EXPECT_TRUE(states == approved_path || states == overtaken) << s.name << ": " << ::testing::PrintToString(states);
      }
    }
    for (std::size_t i = 0; i < evs.size(); ++i)
      EXPECT_EQ(get_int(evs[i], "version"), static_cast<std::int64_t>(i + 1)) << s.name;
    if (!evs.empty()) {
      EXPECT_EQ(get_string(evs.back(), "event_id"), txn + ":" + std::to_string(evs.size()));
    }
  }
  ASSERT_TRUE(all_final);
  // The authorisation number and the masked card are kept; the card never in clear.
  auto approved = engine->runtime().store().load(derive_txn_id("ZANDO", "CY-approve"));
  ASSERT_TRUE(approved && *approved);
  EXPECT_FALSE((*approved)->provider_refs.find("authorization_number").empty());
  EXPECT_EQ((*approved)->data.as<CynodCardDebitData>().card_masked, "626200******0001");
}

TEST_F(CynodRuntime, AmountMismatchCarriesBothAmounts) {
  ASSERT_TRUE(key);
  engine->publish_command(card_debit("CY-amount", cynod_cards::kOtherAmount));
  const auto txn = derive_txn_id("ZANDO", "CY-amount");
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return latest_status(evs, txn) == "amount_mismatch"; }));
  const auto evs = events_of(events.records(), txn);
  const json::object& last = evs.back();
  EXPECT_EQ(last.at("amount").as_object().at("value").as_int64(), 1500050);
  EXPECT_EQ(last.at("provider_amount").as_object().at("value").as_int64(), 1499950);
  EXPECT_EQ(get_string(last, "attention"), "amount_mismatch");
}

// A card number the adapter refuses (11 digits) never leaves corridor: refused up front by the router
// (the registration's constraints) or, failing that, failed with the adapter's reason; never unknown.
TEST_F(CynodRuntime, ACardNumberTheAdapterRefusesNeverEndsUnknown) {
  ASSERT_TRUE(key);
  engine->publish_command(card_debit("CY-short-card", "62620000001"));
  const auto txn = derive_txn_id("ZANDO", "CY-short-card");
  ASSERT_TRUE(events.wait_until([&](const auto& evs) {
    for (const auto& e : evs)
      if (get_string(e, "type") == "command.rejected" && get_string(e, "txn_id") == txn) return true;
    return latest_status(evs, txn) == "failed";
  }));
  EXPECT_NE(latest_status(events.records(), txn), "unknown");
  for (const auto& e : events_of(events.records(), txn)) {
    if (get_string(e, "status") != "failed") continue;
    EXPECT_NE(get_string(e, "reason").find("12-19 digits"), std::string_view::npos) << get_string(e, "reason");
  }
}

TEST_F(CynodRuntime, AwaitingWalletConfirmationAsksForTheWallet) {
  ASSERT_TRUE(key);
  engine->publish_command(card_debit("CY-wallet", cynod_cards::kNeverConfirms));
  const auto txn = derive_txn_id("ZANDO", "CY-wallet");
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return latest_status(evs, txn) == "expired"; }));
  bool seen = false;
  for (const auto& e : events_of(events.records(), txn)) {
    if (get_string(e, "state") != "awaiting_wallet_confirmation") continue;
    seen = true;
    EXPECT_EQ(get_string(e, "status"), "requires_action");
    const json::object* next = get_object(e, "next_action");
    ASSERT_NE(next, nullptr);
    EXPECT_EQ(get_string(*next, "type"), "wallet_confirmation");
  }
  std::string dump;
  for (const auto& r : inputs.records()) dump += json::serialize(r).substr(0, 400) + "\n";
  for (const auto& r : deadletter.records()) dump += "DL " + json::serialize(r).substr(0, 600) + "\n";
  EXPECT_TRUE(seen) << dump;
}

}  // namespace
}  // namespace corridor
