// esipay.card through the real runtime: embedded Kafka, a SQLite file, the esipay sandbox over
// loopback HTTP calling corridor's return URL, card data sealed with CORRIDOR_CARD_KEY. Every sandbox
// scenario (docs/providers/esipay.md) reaches its expected status with versions 1..n.
#include <gtest/gtest.h>

#include "tests/support/eventually.hpp"

#include <condition_variable>
#include <cstdlib>
#include <mutex>

#include "engine/pipeline/commands.hpp"
#include "sandbox/esipay/esipay_sandbox.hpp"
#include "statemachines/esipay_card.hpp"
#include "tests/support/runtime_harness.hpp"

namespace corridor {
namespace {

using namespace testing;

bool set_card_key() {
  return ::setenv("CORRIDOR_CARD_KEY", "5f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0", 1) == 0;
}

json::object card_payment(const std::string& reference, std::string_view card, std::int64_t amount = 10000) {
  return {{"type", "payment.create"},
          {"command_id", "cmd-" + reference},
          {"merchant", "ZANDO"},
          {"reference", reference},
          {"provider", "esipay"},
          {"flow", "card"},
          {"amount", {{"value", amount}, {"currency", "XOF"}}},
          {"card", {{"number", card}, {"exp_month", 12}, {"exp_year", 2027}}},
          {"description", "integration test"}};
}

json::object refund(const std::string& reference, const std::string& command_id, std::int64_t amount = 0) {
  json::object c{{"type", "refund.create"}, {"command_id", command_id}, {"merchant", "ZANDO"}, {"reference", reference}};
  if (amount > 0) c["amount"] = {{"value", amount}, {"currency", "XOF"}};
  return c;
}

// The executor's timeout is what turns esipay's silence into `unknown`: short here.
Config esipay_config(const Cluster& cluster, const std::string& dir) {
  Config c = test_config(cluster, dir);
  c.executor.timeout_ms = 1500;
  return c;
}

class EsipayRuntime : public ::testing::Test {
 protected:
  bool key = set_card_key();
  TempDir dir;
  Cluster cluster;
  std::unique_ptr<Engine> engine = std::make_unique<Engine>(esipay_config(cluster, dir.path()));
  TopicCollector events{cluster.bootstrap, "corridor.events"};

  std::string txn(const std::string& reference) { return derive_txn_id("ZANDO", reference); }
  std::vector<std::string> states_of(const std::string& reference) {
    std::vector<std::string> out;
    const auto evs = events_of(events.records(), txn(reference));
    for (std::size_t i = 0; i < evs.size(); ++i) {
      EXPECT_EQ(get_int(evs[i], "version"), static_cast<std::int64_t>(i + 1)) << reference;
      out.push_back(std::string(get_string(evs[i], "state")));
    }
    return out;
  }
  bool reaches(const std::string& reference, std::string_view status, std::chrono::seconds within = std::chrono::seconds(30)) {
    return events.wait_until([&](const auto& evs) { return latest_status(evs, txn(reference)) == status; }, within);
  }
  // The transaction as the store has it; a default one when it is not stored yet.
  Transaction stored(const std::string& reference) {
    auto t = engine->runtime().store().load(txn(reference));
    if (!t || !*t) return {};
    return std::move(**t);
  }
  EsipayCardData data_of(const std::string& reference) { return stored(reference).data.as<EsipayCardData>(); }
};

using Path = std::vector<std::string>;

TEST_F(EsipayRuntime, EveryPaymentScenarioReachesItsStatus) {
  namespace c = esipay_cards;
  struct Scenario {
    const char* name;
    std::string_view card;
    const char* status;
    Path states;
  };
  const Path callback_first = {"created", "charging", "callback_received", "captured"};
  const std::vector<Scenario> scenarios = {
      {"approve", c::kApprove, "succeeded", callback_first},
      {"bad-request", c::kBadRequest, "failed", {"created", "charging", "failed"}},
      {"forbidden", c::kForbidden, "failed", {"created", "charging", "failed"}},
      {"service-error", c::kServiceError, "failed", {"created", "charging", "failed"}},
      {"no-answer", c::kNoAnswer, "unknown", {"created", "charging", "unknown"}},
      {"slow-answer", c::kSlowAnswer, "succeeded", callback_first},
      {"callback-after-answer", c::kCallbackAfterAnswer, "succeeded", {"created", "charging", "captured"}},
      {"no-callback", c::kNoCallback, "succeeded", {"created", "charging", "captured"}},
      {"duplicate-callback", c::kDuplicateCallback, "succeeded", callback_first},
      // corridor refuses the callback (wrong token, 404): esipay cancels the payment and answers 500.
      {"wrong-return-token", c::kWrongReturnToken, "failed", {"created", "charging", "failed"}},
      // The callback's montant réel is not the amount asked: never a plain capture.
      {"other-real-amount", c::kOtherRealAmount, "amount_mismatch", {"created", "charging", "callback_received", "amount_mismatch"}},
  };
  ASSERT_TRUE(key);
  for (const auto& s : scenarios) engine->publish_command(card_payment(std::string("ES-") + s.name, s.card));
  const bool all_final = events.wait_until(
      [&](const auto& evs) {
        for (const auto& s : scenarios)
          if (latest_status(evs, txn(std::string("ES-") + s.name)) != s.status) return false;
        return true;
      },
      std::chrono::seconds(60));
  for (const auto& s : scenarios) {
    EXPECT_EQ(latest_status(events.records(), txn(std::string("ES-") + s.name)), s.status) << s.name;
    EXPECT_EQ(states_of(std::string("ES-") + s.name), s.states) << s.name;
  }
  ASSERT_TRUE(all_final);
  // The callback after the 200 is still recorded: its transaction id is what a refund needs.
  ASSERT_TRUE(eventually([&] { return data_of("ES-callback-after-answer").callback_received.value_or(false); }));
  EXPECT_FALSE(data_of("ES-no-callback").callback_received.value_or(false));
  // No answer is unknown, never retried (esipay has no idempotency key).
  const auto unknown = engine->runtime().store().load(txn("ES-no-answer"));
  ASSERT_TRUE(unknown && *unknown);
  EXPECT_EQ((*unknown)->state, "unknown");
}

TEST_F(EsipayRuntime, OtherRealAmountCarriesBothAmounts) {
  ASSERT_TRUE(key);
  engine->publish_command(card_payment("ES-other-amount", esipay_cards::kOtherRealAmount));
  ASSERT_TRUE(reaches("ES-other-amount", "amount_mismatch"));
  const auto evs = events_of(events.records(), txn("ES-other-amount"));
  const json::object& last = evs.back();
  EXPECT_EQ(last.at("amount").as_object().at("value").as_int64(), 10000);
  EXPECT_EQ(last.at("provider_amount").as_object().at("value").as_int64(), 9999);
  EXPECT_EQ(get_string(last, "attention"), "amount_mismatch");
}

// A card number esipay's URL cannot take (11 digits) never leaves corridor: refused up front by the
// router (the registration's constraints) or, failing that, failed with the adapter's reason; never
// unknown.
TEST_F(EsipayRuntime, ACardNumberTheAdapterRefusesNeverEndsUnknown) {
  ASSERT_TRUE(key);
  engine->publish_command(card_payment("ES-short-card", "40000000001"));
  const std::string id = txn("ES-short-card");
  ASSERT_TRUE(events.wait_until([&](const auto& evs) {
    for (const auto& e : evs)
      if (get_string(e, "type") == "command.rejected" && get_string(e, "txn_id") == id) return true;
    return latest_status(evs, id) == "failed";
  }));
  EXPECT_NE(latest_status(events.records(), id), "unknown");
  for (const auto& e : events_of(events.records(), id)) {
    if (get_string(e, "status") != "failed") continue;
    EXPECT_NE(get_string(e, "reason").find("12-19 digits"), std::string_view::npos) << get_string(e, "reason");
  }
}

TEST_F(EsipayRuntime, FullRefund) {
  ASSERT_TRUE(key);
  engine->publish_command(card_payment("ES-refund-full", esipay_cards::kApprove));
  ASSERT_TRUE(reaches("ES-refund-full", "succeeded"));
  engine->publish_command(refund("ES-refund-full", "refund-1"));
  ASSERT_TRUE(reaches("ES-refund-full", "refunded"));
  EXPECT_EQ(states_of("ES-refund-full"), (Path{"created", "charging", "callback_received", "captured", "refunded"}));
  const Transaction t = stored("ES-refund-full");
  EXPECT_EQ(t.refunded_amount, 10000);
  EXPECT_EQ(t.data.as<EsipayCardData>().remaining_amount, 0);
}

TEST_F(EsipayRuntime, PartialThenFullRefund) {
  ASSERT_TRUE(key);
  engine->publish_command(card_payment("ES-refund-parts", esipay_cards::kApprove));
  ASSERT_TRUE(reaches("ES-refund-parts", "succeeded"));
  engine->publish_command(refund("ES-refund-parts", "refund-1", 4000));
  ASSERT_TRUE(reaches("ES-refund-parts", "partially_refunded"));
  EXPECT_EQ(data_of("ES-refund-parts").remaining_amount, 6000);
  engine->publish_command(refund("ES-refund-parts", "refund-2"));
  ASSERT_TRUE(reaches("ES-refund-parts", "refunded"));
  EXPECT_EQ(states_of("ES-refund-parts"),
            (Path{"created", "charging", "callback_received", "captured", "partially_refunded", "refunded"}));
  EXPECT_EQ(stored("ES-refund-parts").refunded_amount, 10000);
}

TEST_F(EsipayRuntime, RefundOverTheRemainingAmountIsRejectedBeforeAnyCall) {
  TopicCollector deadletters{cluster.bootstrap, "corridor.deadletter"};
  engine->publish_command(card_payment("ES-refund-over", esipay_cards::kApprove));
  ASSERT_TRUE(reaches("ES-refund-over", "succeeded"));
  engine->publish_command(refund("ES-refund-over", "refund-1", 4000));
  ASSERT_TRUE(reaches("ES-refund-over", "partially_refunded"));
  engine->publish_command(refund("ES-refund-over", "refund-too-much", 7000));  // 6000 remain
  // The sender hears of it: command.rejected with the reason, and a dead letter.
  ASSERT_TRUE(events.wait_until([&](const auto& evs) {
    for (const auto& e : evs)
      if (get_string(e, "type") == "command.rejected" && get_string(e, "txn_id") == txn("ES-refund-over") &&
          get_string(e, "reason").find("more than the remaining") != std::string_view::npos)
        return true;
    return false;
  }));
  EXPECT_TRUE(deadletters.wait_until([&](const auto& recs) {
    for (const auto& d : recs)
      if (get_string(d, "reason").find("more than the remaining") != std::string_view::npos) return true;
    return false;
  }));
  // Nothing moved: no new version, the remaining amount intact, no refund left in flight.
  Path states;
  for (const auto& e : events_of(events.records(), txn("ES-refund-over")))
    if (get_string(e, "type") == "transaction.state_changed") states.push_back(std::string(get_string(e, "state")));
  EXPECT_EQ(states, (Path{"created", "charging", "callback_received", "captured", "partially_refunded"}));
  EXPECT_EQ(data_of("ES-refund-over").remaining_amount, 6000);
  EXPECT_FALSE(data_of("ES-refund-over").refund_in_flight.has_value());
}

TEST_F(EsipayRuntime, RefundRefusedByEsipayLeavesThePaymentCapturedAndIsAnnounced) {
  ASSERT_TRUE(key);
  engine->publish_command(card_payment("ES-refund-refused", esipay_cards::kRefundRefused));
  ASSERT_TRUE(reaches("ES-refund-refused", "succeeded"));
  engine->publish_command(refund("ES-refund-refused", "refund-1"));
  // The refusal is published: the payment's fifth event, in the same state, with esipay's reason.
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return events_of(evs, txn("ES-refund-refused")).size() >= 5; }));
  EXPECT_EQ(states_of("ES-refund-refused"), (Path{"created", "charging", "callback_received", "captured", "captured"}));
  const auto evs = events_of(events.records(), txn("ES-refund-refused"));
  EXPECT_EQ(get_string(evs.back(), "status"), "succeeded");
  EXPECT_EQ(get_string(evs.back(), "previous_state"), "captured");
  EXPECT_TRUE(get_string(evs.back(), "reason").starts_with("esipay: incorrect parameter or amount over the remaining (400)"))
      << get_string(evs.back(), "reason");
  const auto d = data_of("ES-refund-refused");
  ASSERT_TRUE(d.refunds && !d.refunds->empty());
  EXPECT_EQ(d.refunds->back().status, "failed");
  EXPECT_EQ(d.remaining_amount, 10000);
}

}  // namespace
}  // namespace corridor
