// Bad commands of every kind get command.rejected and a dead-letter record with the reason, and the
// engine keeps going (a valid payment after them completes).
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "engine/pipeline/commands.hpp"
#include "tests/support/runtime_harness.hpp"

namespace corridor {
namespace {

using namespace testing;

class BadInput : public ::testing::Test {
 protected:
  TempDir dir;
  Cluster cluster;
  std::unique_ptr<Engine> engine = std::make_unique<Engine>(cluster, dir.path());
  TopicCollector events{cluster.bootstrap, "corridor.events"};
  TopicCollector deadletters{cluster.bootstrap, "corridor.deadletter"};

  // Publishes `raw`, then expects a command.rejected whose reason contains `reason` and a dead letter.
  void expect_rejected(const std::string& raw, const std::string& reason) {
    engine->publish_raw("ZANDO:bad", raw);
    const bool rejected = events.wait_until([&](const auto& evs) {
      for (const auto& e : evs)
        if (get_string(e, "type") == "command.rejected" && get_string(e, "reason").find(reason) != std::string_view::npos)
          return true;
      return false;
    });
    EXPECT_TRUE(rejected) << "no command.rejected mentioning '" << reason << "' for " << raw;
    const bool deadlettered = deadletters.wait_until([&](const auto& recs) {
      for (const auto& d : recs)
        if (get_string(d, "reason").find(reason) != std::string_view::npos) return true;
      return false;
    });
    EXPECT_TRUE(deadlettered) << "no dead letter mentioning '" << reason << "'";
  }

  void expect_engine_alive(const std::string& reference) {
    engine->publish_command(payin_command(reference, "+2250700000001"));
    EXPECT_TRUE(events.wait_until(
        [&](const auto& evs) { return latest_status(evs, derive_txn_id("ZANDO", reference)) == "succeeded"; },
        std::chrono::seconds(30)));
  }
};

std::string with(std::string_view field, std::string_view value_json) {
  json::object v = payin_command("BAD-1", "+2250700000001");
  if (value_json.empty()) {
    v.erase(field);
  } else {
    v[field] = boost::json::parse(value_json);
  }
  return boost::json::serialize(v);
}

TEST_F(BadInput, NotJson) { expect_rejected("{not json", "not valid JSON"); }
TEST_F(BadInput, NotAnObject) { expect_rejected("[1,2,3]", "must be a JSON object"); }
TEST_F(BadInput, MissingReference) { expect_rejected(with("reference", ""), "missing required field 'reference'"); }
TEST_F(BadInput, MissingAmount) { expect_rejected(with("amount", ""), "missing required field 'amount'"); }
TEST_F(BadInput, FractionalAmount) {
  expect_rejected(with("amount", R"({"value": 12.5, "currency": "XOF"})"), "not a fraction");
}
TEST_F(BadInput, NegativeAmount) {
  expect_rejected(with("amount", R"({"value": -300, "currency": "XOF"})"), "must be positive");
}
TEST_F(BadInput, AmountAsString) {
  expect_rejected(with("amount", R"({"value": "300", "currency": "XOF"})"), "integer number of minor units");
}
TEST_F(BadInput, UnknownCurrency) {
  expect_rejected(with("amount", R"({"value": 300, "currency": "ZZZ"})"), "unknown currency 'ZZZ'");
}
TEST_F(BadInput, UnknownProvider) { expect_rejected(with("provider", R"("paypalish")"), "unknown provider 'paypalish'"); }
TEST_F(BadInput, UnknownFlow) { expect_rejected(with("flow", R"("payout")"), "unknown flow 'payout'"); }
TEST_F(BadInput, UnknownType) { expect_rejected(with("type", R"("payment.teleport")"), "unknown command type"); }
TEST_F(BadInput, UnknownMerchant) { expect_rejected(with("merchant", R"("NOBODY")"), "unknown merchant 'NOBODY'"); }
TEST_F(BadInput, MissingMsisdn) {
  expect_rejected(with("customer", R"({"name": "John"})"), "missing required field 'customer.msisdn'");
}
TEST_F(BadInput, CancelOfUnknownTransaction) {
  expect_rejected(R"({"type":"payment.cancel","merchant":"ZANDO","reference":"NEVER-SEEN"})", "unknown transaction");
}

TEST_F(BadInput, IdempotencyConflictIsRejectedAndTheFirstPaymentGoesOn) {
  engine->publish_command(payin_command("CONFLICT-1", "+2250700000001", 300));
  auto other = payin_command("CONFLICT-1", "+2250700000001", 500);
  other["command_id"] = "conflicting";
  engine->publish_command(other);
  expect_rejected("{", "not valid JSON");  // keep the engine busy meanwhile
  EXPECT_TRUE(events.wait_until([&](const auto& evs) {
    for (const auto& e : evs)
      if (get_string(e, "type") == "command.rejected" && get_string(e, "reason").find("idempotency conflict") != std::string_view::npos &&
          get_string(e, "txn_id") == derive_txn_id("ZANDO", "CONFLICT-1"))
        return true;
    return false;
  }));
  EXPECT_TRUE(events.wait_until(
      [&](const auto& evs) { return latest_status(evs, derive_txn_id("ZANDO", "CONFLICT-1")) == "succeeded"; },
      std::chrono::seconds(30)));
  for (const auto& e : events_of(events.records(), derive_txn_id("ZANDO", "CONFLICT-1"))) {
    if (get_string(e, "type") == "transaction.state_changed") {
      EXPECT_EQ(get_int(*get_object(e, "amount"), "value"), 300);
    }
  }
}

TEST_F(BadInput, EngineKeepsGoingAfterABarrageOfBadCommands) {
  for (const char* raw : {"", "null", "{}", "{\"type\":1}", "\xff\xfe", "{\"type\":\"payment.create\"}"})
    engine->publish_raw("junk", raw);
  expect_engine_alive("ALIVE-1");
  EXPECT_TRUE(deadletters.wait_until([](const auto& recs) { return recs.size() >= 6; }));
}

TEST_F(BadInput, CardNumbersInRejectedCommandsAreMasked) {
  const std::string raw =
      R"({"type":"payment.create","merchant":"ZANDO","reference":"CARD-1","provider":"nobody","card":{"number":"4111111111111111","exp_month":12,"exp_year":2027},"amount":{"value":1,"currency":"XOF"}})";
  expect_rejected(raw, "unknown provider");
  for (const auto& d : deadletters.records()) EXPECT_EQ(boost::json::serialize(d).find("4111111111111111"), std::string::npos);
  for (const auto& e : events.records()) EXPECT_EQ(boost::json::serialize(e).find("4111111111111111"), std::string::npos);
}

}  // namespace
}  // namespace corridor
