// novasend.payin through the real runtime: embedded Kafka, a SQLite file, the NovaSend sandbox over
// loopback HTTP. Every sandbox scenario (docs/providers/novasend.md) reaches its expected status.
#include <gtest/gtest.h>

#include <algorithm>

#include "engine/pipeline/commands.hpp"
#include "sandbox/novasend/novasend_sandbox.hpp"
#include "tests/support/runtime_harness.hpp"

namespace corridor {
namespace {

using namespace testing;

struct Scenario {
  const char* name;
  const char* msisdn;
  const char* status;
  std::vector<std::string> states;  // the whole path, version 1..n
};

class NovaSendRuntime : public ::testing::Test {
 protected:
  TempDir dir;
  Cluster cluster;
  std::unique_ptr<Engine> engine = std::make_unique<Engine>(cluster, dir.path());
  TopicCollector events{cluster.bootstrap, "corridor.events"};
};

void expect_versions_consecutive(const std::vector<json::object>& events) {
  for (std::size_t i = 0; i < events.size(); ++i) EXPECT_EQ(get_int(events[i], "version"), static_cast<std::int64_t>(i + 1));
}

TEST_F(NovaSendRuntime, EveryScenarioReachesItsStatus) {
  const std::vector<Scenario> scenarios = {
      {"completed", "+2250700000001", "succeeded",
       {"created", "session_requested", "awaiting_confirmation", "confirmed", "succeeded"}},
      {"failed", "+2250700000002", "failed",
       {"created", "session_requested", "awaiting_confirmation", "confirmed", "failed"}},
      {"declined", "+2250700000003", "declined", {"created", "session_requested", "awaiting_confirmation", "declined"}},
      {"expired", "+2250700000004", "expired", {"created", "session_requested", "awaiting_confirmation", "expired"}},
      {"no-confirmation", "+2250700000005", "succeeded", {"created", "session_requested", "confirmed", "succeeded"}},
      // NovaSend processes 299 of the 300 XOF asked: never a plain success.
      {"amount-mismatch", "+2250700000014", "amount_mismatch",
       {"created", "session_requested", "awaiting_confirmation", "amount_mismatch"}},
      // status processed with confirmationStatus none (the seed's example), settled only after
      // corridor's confirmation TTL: confirmed by NovaSend's word, never expired on corridor's clock.
      {"processed-late", "+2250700000015", "succeeded",
       {"created", "session_requested", "awaiting_confirmation", "confirmed", "succeeded"}},
  };
  for (const auto& s : scenarios) engine->publish_command(payin_command(std::string("IT-") + s.name, s.msisdn));
  const bool all_final = events.wait_until(
      [&](const auto& evs) {
        for (const auto& s : scenarios)
          if (latest_status(evs, derive_txn_id("ZANDO", std::string("IT-") + s.name)) != s.status) return false;
        return true;
      },
      std::chrono::seconds(60));
  const auto all = events.records();
  for (const auto& s : scenarios) {
    const auto txn = derive_txn_id("ZANDO", std::string("IT-") + s.name);
    const auto evs = events_of(all, txn);
    EXPECT_EQ(latest_status(all, txn), s.status) << s.name;
    std::vector<std::string> states;
    for (const auto& e : evs) states.push_back(std::string(get_string(e, "state")));
    // A webhook that comes before the session's answer (a loaded machine) takes the payin from
    // session_requested on, without awaiting_confirmation: the same path less that state.
    std::vector<std::string> early_webhook = s.states;
    std::erase(early_webhook, "awaiting_confirmation");
    if (states != early_webhook) {
      EXPECT_EQ(states, s.states) << s.name;
    }
    expect_versions_consecutive(evs);
    if (!evs.empty()) {
      EXPECT_EQ(get_string(evs.back(), "reference"), std::string("IT-") + s.name);
      EXPECT_EQ(get_string(evs.back(), "merchant"), "ZANDO");
      EXPECT_EQ(get_int(*get_object(evs.back(), "amount"), "value"), 300);
      EXPECT_EQ(get_string(*get_object(evs.back(), "amount"), "currency"), "XOF");
      EXPECT_EQ(get_string(evs.back(), "event_id"), txn + ":" + std::to_string(evs.size()));
    }
  }
  ASSERT_TRUE(all_final);
  // Both amounts travel with the mismatch, flagged for a person.
  const auto mismatch = events_of(all, derive_txn_id("ZANDO", "IT-amount-mismatch"));
  ASSERT_FALSE(mismatch.empty());
  EXPECT_EQ(get_string(mismatch.back(), "attention"), "amount_mismatch");
  ASSERT_NE(get_object(mismatch.back(), "provider_amount"), nullptr);
  EXPECT_EQ(get_int(*get_object(mismatch.back(), "provider_amount"), "value"), 299);
  EXPECT_EQ(get_int(*get_object(mismatch.back(), "amount"), "value"), 300);
  // The store agrees with the events.
  for (const auto& s : scenarios) {
    auto txn = engine->runtime().store().load(derive_txn_id("ZANDO", std::string("IT-") + s.name));
    ASSERT_TRUE(txn && *txn);
    EXPECT_EQ((*txn)->state, s.states.back());
    EXPECT_EQ((*txn)->version, static_cast<std::int64_t>(s.states.size()));
  }
}

TEST_F(NovaSendRuntime, AwaitingConfirmationCarriesTheRedirect) {
  engine->publish_command(payin_command("IT-redirect", "+2250700000001"));
  const auto txn = derive_txn_id("ZANDO", "IT-redirect");
  ASSERT_TRUE(events.wait_until([&](const auto& evs) {
    for (const auto& e : evs)
      if (get_string(e, "txn_id") == txn && get_string(e, "state") == "awaiting_confirmation") return true;
    return false;
  }));
  for (const auto& e : events_of(events.records(), txn)) {
    if (get_string(e, "state") != "awaiting_confirmation") continue;
    EXPECT_EQ(get_string(e, "status"), "requires_action");
    const json::object* next = get_object(e, "next_action");
    ASSERT_NE(next, nullptr);
    EXPECT_EQ(get_string(*next, "type"), "redirect");
    EXPECT_FALSE(get_string(*next, "url").empty());
    EXPECT_FALSE(get_string(*get_object(e, "provider_refs"), "reference").empty());
    EXPECT_EQ(get_string(e, "previous_state"), "session_requested");
  }
}

TEST_F(NovaSendRuntime, SamePaymentCreateTwiceMakesOneTransaction) {
  auto cmd = payin_command("IT-twice", "+2250700000001");
  engine->publish_command(cmd);
  cmd["command_id"] = "another-command-id";  // a retry upstream, under a fresh command id
  engine->publish_command(cmd);
  const auto txn = derive_txn_id("ZANDO", "IT-twice");
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return latest_status(evs, txn) == "succeeded"; },
                                std::chrono::seconds(30)));
  // A later payment proves the second create was processed (and ignored) before it.
  engine->publish_command(payin_command("IT-after-twice", "+2250700000001"));
  ASSERT_TRUE(events.wait_until(
      [&](const auto& evs) { return latest_status(evs, derive_txn_id("ZANDO", "IT-after-twice")) == "succeeded"; },
      std::chrono::seconds(30)));
  // One transaction, created once, its versions without a gap or a repeat. Four or five events: on a
  // loaded machine the confirmation webhook may come before the session's answer, and the payin goes
  // from session_requested to confirmed without awaiting_confirmation (a row of the table).
  const auto evs = events_of(events.records(), txn);
  ASSERT_GE(evs.size(), 4u);
  ASSERT_LE(evs.size(), 5u);
  expect_versions_consecutive(evs);
  EXPECT_EQ(std::count_if(evs.begin(), evs.end(), [](const auto& e) { return get_string(e, "state") == "created"; }), 1);
  EXPECT_EQ(get_int(evs.back(), "version"), static_cast<std::int64_t>(evs.size()));
  for (const auto& e : evs) EXPECT_EQ(get_string(e, "type"), "transaction.state_changed");
}

// NovaSend takes whole units: a 12.50 USD payin is refused before anything is sent. It is turned
// away by the router (command.rejected) where the adapter's constraints are checked up front, and
// otherwise ends failed with the adapter's reason; never unknown, never retried.
TEST_F(NovaSendRuntime, AFractionOfAUnitIsRefusedNeverUnknown) {
  auto cmd = payin_command("IT-fraction", "+2250700000001");
  cmd["amount"] = {{"value", 1250}, {"currency", "USD"}};
  engine->publish_command(cmd);
  const auto txn = derive_txn_id("ZANDO", "IT-fraction");
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return rejected_or_failed(evs, txn); }, std::chrono::seconds(30)));
  for (const auto& e : events_of(events.records(), txn)) {
    EXPECT_NE(get_string(e, "status"), "unknown");
    if (get_string(e, "status") == "failed") {
      EXPECT_EQ(get_string(e, "previous_state"), "session_requested");
      EXPECT_NE(get_string(e, "reason").find("whole"), std::string_view::npos) << get_string(e, "reason");
    }
  }
}

TEST_F(NovaSendRuntime, TransactionIsServedOverHttp) {
  engine->publish_command(payin_command("IT-http", "+2250700000001"));
  const auto txn = derive_txn_id("ZANDO", "IT-http");
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return latest_status(evs, txn) == "succeeded"; }));
  auto stored = engine->runtime().store().events_of(txn);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->size(), 5u);
}

}  // namespace
}  // namespace corridor

namespace corridor {
namespace {

using namespace testing;

// The rest of the sandbox's scenarios, with the sandbox outside the engine so the test can read its
// counters: every payment reaches its status and NovaSend created exactly one session for it.
TEST(NovaSendScenarios, FaultsAndOddDeliveriesStillEndRightAndChargeOnce) {
  TempDir dir;
  Cluster cluster;
  Config config = test_config(cluster, dir.path());
  config.sandbox.enabled = false;
  config.executor.timeout_ms = 5000;
  NovaSendSandboxOptions options;
  options.api_key = config.providers["novasend"]["api_key"];
  options.api_client = config.providers["novasend"]["api_client"];
  options.webhook_secret = config.providers["novasend"]["webhook_secret"];
  NovaSendSandbox sandbox(options);
  sandbox.start();
  config.providers["novasend"]["base_url"] = sandbox.base_url();
  Engine engine(config);
  sandbox.set_webhook_url(engine.runtime().public_url() + "/webhooks/novasend");
  TopicCollector events{cluster.bootstrap, "corridor.events"};

  const std::vector<Scenario> scenarios = {
      {"unavailable-once", "+2250700000006", "succeeded",
       {"created", "session_requested", "awaiting_confirmation", "confirmed", "succeeded"}},
      {"lost-response", "+2250700000007", "succeeded",
       {"created", "session_requested", "awaiting_confirmation", "confirmed", "succeeded"}},
      // The customer confirms while the session answer is still on its way: the webhook overtakes it.
      {"slow-response", "+2250700000008", "succeeded", {"created", "session_requested", "confirmed", "succeeded"}},
      {"duplicate-webhook", "+2250700000009", "succeeded",
       {"created", "session_requested", "awaiting_confirmation", "confirmed", "succeeded"}},
      // No webhook: a status poll finds transaction.status completed.
      {"no-webhook", "+2250700000010", "succeeded", {"created", "session_requested", "awaiting_confirmation", "succeeded"}},
      {"webhook-first", "+2250700000011", "succeeded", {"created", "session_requested", "confirmed", "succeeded"}},
      {"refused", "+2250700000012", "failed", {"created", "session_requested", "failed"}},
  };
  for (const auto& s : scenarios) engine.publish_command(payin_command(std::string("SC-") + s.name, s.msisdn));
  const bool all_final = events.wait_until(
      [&](const auto& evs) {
        for (const auto& s : scenarios)
          if (latest_status(evs, derive_txn_id("ZANDO", std::string("SC-") + s.name)) != s.status) return false;
        return true;
      },
      std::chrono::seconds(60));
  const auto all = events.records();
  for (const auto& s : scenarios) {
    const auto txn = derive_txn_id("ZANDO", std::string("SC-") + s.name);
    std::vector<std::string> states;
    for (const auto& e : events_of(all, txn)) states.push_back(std::string(get_string(e, "state")));
    EXPECT_EQ(states, s.states) << s.name;
    expect_versions_consecutive(events_of(all, txn));
    if (std::string_view(s.name) != "refused") {
      EXPECT_EQ(sandbox.sessions_created(txn), 1u) << s.name;
    }
  }
  EXPECT_GE(engine.runtime().metrics().provider_call_retries.load(), 2);  // the 503 and the lost answer
  EXPECT_GE(sandbox.webhooks_delivered(derive_txn_id("ZANDO", "SC-duplicate-webhook")), 2u);
  EXPECT_EQ(sandbox.webhooks_delivered(derive_txn_id("ZANDO", "SC-no-webhook")), 0u);
  ASSERT_TRUE(all_final);
}

}  // namespace
}  // namespace corridor
