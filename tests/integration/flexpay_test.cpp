// flexpay.card through the real runtime: embedded Kafka, a SQLite file, the FlexPay sandbox over
// loopback HTTP. Every sandbox scenario (docs/providers/flexpay.md) reaches its expected status, and
// no callback ever makes a payment final on its own: the last step is always a check answer.
#include <gtest/gtest.h>

#include "engine/pipeline/commands.hpp"
#include "engine/io/http_client.hpp"
#include "statemachines/flexpay_card.hpp"
#include "tests/support/runtime_harness.hpp"

namespace corridor {
namespace {

using namespace testing;

json::object card_command(const std::string& reference, std::int64_t minor) {
  return {{"type", "payment.create"},
          {"command_id", "cmd-" + reference},
          {"merchant", "ZANDO"},
          {"reference", reference},
          {"provider", "flexpay"},
          {"flow", "card"},
          {"amount", {{"value", minor}, {"currency", "USD"}}},
          {"customer", {{"name", "John Doe"}, {"country", "CD"}}},
          {"description", "integration test"},
          {"metadata", json::object{}}};
}

struct Scenario {
  const char* name;
  std::int64_t amount;  // the cents choose the sandbox's behaviour
  const char* status;
  std::vector<std::string> states;
  const char* verifying_cause;  // what moved the payment to verifying: the callback, or the payment delay
  // Another correct path where timing decides (a poll racing the payment delay on a loaded machine).
  std::vector<std::string> alternative = {};
};

// The callback only triggers a check; the check's answer ends the payment straight from awaiting_customer.
const std::vector<std::string> kPaid = {"created", "payment_requested", "awaiting_customer", "succeeded"};
const std::vector<std::string> kFailed = {"created", "payment_requested", "awaiting_customer", "failed"};
// The payment delay passed first: a last check decides from verifying.
const std::vector<std::string> kPaidAfterTheDelay = {"created", "payment_requested", "awaiting_customer", "verifying",
                                                     "succeeded"};

class FlexPayRuntime : public ::testing::Test {
 protected:
  TempDir dir;
  Cluster cluster;
  std::unique_ptr<Engine> engine = std::make_unique<Engine>(cluster, dir.path());
  TopicCollector events{cluster.bootstrap, "corridor.events"};
};

TEST_F(FlexPayRuntime, EveryScenarioReachesItsStatus) {
  const std::vector<Scenario> scenarios = {
      {"approve", 1000, "succeeded", kPaid, "timer"},
      {"decline", 1001, "failed", kFailed, "timer"},
      {"cancel", 1002, "cancelled", {"created", "payment_requested", "awaiting_customer", "cancelled"}, "timer"},
      {"expire", 1003, "expired", {"created", "payment_requested", "awaiting_customer", "verifying", "expired"}, "timer"},
      {"5xx-then-success", 1004, "succeeded", kPaid, "timer"},
      {"slow-answer", 1005, "succeeded", kPaid, "timer"},
      {"duplicate-callback", 1006, "succeeded", kPaid, "timer"},
      {"callback-while-verifying", 1007, "succeeded", kPaidAfterTheDelay, "timer"},
      // No callback: the slow awaiting_customer check finds the payment, normally before the delay runs
      // out; on a loaded machine the delay may win and the payment is found while verifying.
      {"no-callback", 1008, "succeeded", kPaid, "timer", kPaidAfterTheDelay},
      {"refused", 1009, "failed", {"created", "payment_requested", "failed"}, ""},
      // FlexPay's check reports 11.10 USD for the 10.10 asked: never a plain success.
      {"amount-mismatch", 1010, "amount_mismatch", {"created", "payment_requested", "awaiting_customer", "amount_mismatch"},
       "timer"},
  };
  for (const auto& s : scenarios) engine->publish_command(card_command(std::string("FP-") + s.name, s.amount));
  const bool all_final = events.wait_until(
      [&](const auto& evs) {
        for (const auto& s : scenarios)
          if (latest_status(evs, derive_txn_id("ZANDO", std::string("FP-") + s.name)) != s.status) return false;
        return true;
      },
      std::chrono::seconds(90));
  const auto all = events.records();
  for (const auto& s : scenarios) {
    const auto txn = derive_txn_id("ZANDO", std::string("FP-") + s.name);
    const auto evs = events_of(all, txn);
    EXPECT_EQ(latest_status(all, txn), s.status) << s.name;
    std::vector<std::string> states;
    for (const auto& e : evs) states.push_back(std::string(get_string(e, "state")));
    if (s.alternative.empty() || states != s.alternative) {
      EXPECT_EQ(states, s.states) << s.name;
    }
    for (std::size_t i = 0; i < evs.size(); ++i) {
      EXPECT_EQ(get_int(evs[i], "version"), static_cast<std::int64_t>(i + 1)) << s.name;
      EXPECT_EQ(get_string(evs[i], "event_id"), txn + ":" + std::to_string(i + 1)) << s.name;
      const auto state = get_string(evs[i], "state");
      const auto cause = get_string(*get_object(evs[i], "cause"), "kind");
      if (state == "verifying") {
        EXPECT_EQ(cause, s.verifying_cause) << s.name;
      }
      // Unsigned callbacks never decide, nor move anything: every change follows a FlexPay answer or
      // corridor's own timer, never a webhook.
      EXPECT_NE(cause, "webhook") << s.name << " " << state;
      if (state == "succeeded" || state == "failed" || state == "expired" || state == "cancelled" ||
          state == "amount_mismatch") {
        EXPECT_EQ(cause, "provider_response") << s.name;
      }
      if (state == "awaiting_customer") {
        const json::object* next = get_object(evs[i], "next_action");
        ASSERT_NE(next, nullptr) << s.name;
        EXPECT_EQ(get_string(*next, "type"), "redirect");
        EXPECT_NE(get_string(*next, "url").find("/pay/"), std::string_view::npos);
        EXPECT_FALSE(get_string(*get_object(evs[i], "provider_refs"), "orderNumber").empty());
      }
    }
    if (!evs.empty()) {
      EXPECT_EQ(get_string(evs.back(), "reference"), std::string("FP-") + s.name);
      EXPECT_EQ(get_string(evs.back(), "merchant"), "ZANDO");
      EXPECT_EQ(get_int(*get_object(evs.back(), "amount"), "value"), s.amount);
      EXPECT_EQ(get_string(*get_object(evs.back(), "amount"), "currency"), "USD");
    }
  }
  ASSERT_TRUE(all_final);
  const auto mismatch = events_of(all, derive_txn_id("ZANDO", "FP-amount-mismatch"));
  ASSERT_FALSE(mismatch.empty());
  EXPECT_EQ(get_string(mismatch.back(), "attention"), "amount_mismatch");
  ASSERT_NE(get_object(mismatch.back(), "provider_amount"), nullptr);
  EXPECT_EQ(get_int(*get_object(mismatch.back(), "provider_amount"), "value"), 1110);
  for (const auto& s : scenarios) {
    auto txn = engine->runtime().store().load(derive_txn_id("ZANDO", std::string("FP-") + s.name));
    ASSERT_TRUE(txn && *txn);
    EXPECT_EQ((*txn)->state, s.states.back()) << s.name;
    const auto versions = static_cast<std::int64_t>(s.states.size());
    if (s.alternative.empty() || (*txn)->version != static_cast<std::int64_t>(s.alternative.size())) {
      EXPECT_EQ((*txn)->version, versions) << s.name;
    }
    if (std::string(s.status) == "succeeded") {
      // What the customer paid, read from the check's "amountCustomer" exactly (2 % fees in the sandbox).
      EXPECT_EQ((*txn)->data.as<FlexPayCardData>().amount_customer, s.amount + s.amount / 50) << s.name;
    }
  }
}

// Callbacks are unsigned: a forged "code 0" for a payment nobody made only triggers a check, and the
// payment still expires when FlexPay says it has no transaction.
TEST_F(FlexPayRuntime, ForgedCallbackDoesNotMakeAPaymentSucceed) {
  engine->publish_command(card_command("FP-forged", 1003));
  const auto txn = derive_txn_id("ZANDO", "FP-forged");
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return latest_status(evs, txn) == "requires_action"; }));
  auto client = recording_http_client();
  HttpRequest forged{"POST", engine->runtime().public_url() + "/webhooks/flexpay",
                     {{"Content-Type", "application/json"}},
                     R"({"code":"0","reference":")" + txn + R"(","provider_reference":"FAKE","orderNumber":"FORGED"})", ""};
  auto res = client->send(forged, std::chrono::seconds(5));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);  // accepted as a hint
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return latest_status(evs, txn) == "expired"; },
                                std::chrono::seconds(60)));
  std::vector<std::string> states;
  for (const auto& e : events_of(events.records(), txn)) {
    states.push_back(std::string(get_string(e, "state")));
    // The forged callback moved nothing: the payment page stayed until the payment delay passed.
    if (states.back() == "verifying") {
      EXPECT_EQ(get_string(*get_object(e, "cause"), "kind"), "timer");
    }
  }
  EXPECT_EQ(states, (std::vector<std::string>{"created", "payment_requested", "awaiting_customer", "verifying", "expired"}));
  // The forged orderNumber never replaced the one FlexPay's pay answer gave.
  auto stored = engine->runtime().store().load(txn);
  ASSERT_TRUE(stored && *stored);
  const auto order = (*stored)->provider_refs.find("orderNumber");
  EXPECT_FALSE(order.empty());
  EXPECT_NE(order, "FORGED");
}

// FlexPay takes CDF and USD: a EUR payment is refused before anything is sent. It is turned away by
// the router (command.rejected) where the adapter's constraints are checked up front, and otherwise
// ends failed with the adapter's reason; never unknown, never retried.
TEST_F(FlexPayRuntime, ACurrencyFlexPayDoesNotTakeIsRefusedNeverUnknown) {
  auto cmd = card_command("FP-eur", 1000);
  cmd["amount"] = {{"value", 1000}, {"currency", "EUR"}};
  engine->publish_command(cmd);
  const auto txn = derive_txn_id("ZANDO", "FP-eur");
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return rejected_or_failed(evs, txn); }, std::chrono::seconds(30)));
  for (const auto& e : events_of(events.records(), txn)) {
    EXPECT_NE(get_string(e, "status"), "unknown");
    if (get_string(e, "status") == "failed") {
      EXPECT_NE(get_string(e, "reason").find("EUR"), std::string_view::npos) << get_string(e, "reason");
    }
  }
}

}  // namespace
}  // namespace corridor
