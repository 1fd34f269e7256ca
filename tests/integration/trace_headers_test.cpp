// Events and dead letters on Kafka carry CloudEvents binary-mode headers and the W3C traceparent of the
// command that created the transaction, or of the refused request (docs/events.md): through the real runtime, the NovaSend
// sandbox over loopback, embedded Kafka and a SQLite file. The events of one payin come from a command,
// provider answers and a webhook, in several batches: every one carries the creating command's trace.
#include <gtest/gtest.h>

#include <set>

#include <boost/json/serialize.hpp>

#include "adapters/novasend/novasend_adapter.hpp"
#include "engine/io/http_client.hpp"
#include "engine/pipeline/commands.hpp"
#include "engine/pipeline/record_headers.hpp"
#include "tests/support/runtime_harness.hpp"

namespace corridor {
namespace {

using namespace testing;

const std::string kTrace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const std::string kOtherTrace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

std::string header(const KafkaHeaders& headers, std::string_view name) {
  std::string found;
  for (const auto& [n, v] : headers)
    if (n == name) found = v;
  return found;
}

class TraceHeaders : public ::testing::Test {
 protected:
  // The events of `txn_id` with their headers, once its latest status is `status`.
  std::vector<std::pair<json::object, KafkaHeaders>> events_until(const std::string& txn_id, const std::string& status) {
    EXPECT_TRUE(events.wait_until([&](const auto& evs) { return latest_status(evs, txn_id) == status; }))
        << txn_id << " never reached " << status;
    std::vector<std::pair<json::object, KafkaHeaders>> out;
    for (auto& [e, h] : events.records_with_headers())
      if (get_string(e, "txn_id") == txn_id) out.emplace_back(std::move(e), std::move(h));
    return out;
  }

  // Every CloudEvents header of a transaction.state_changed event says what its body says.
  static void expect_cloudevent(const json::object& e, const KafkaHeaders& h) {
    EXPECT_EQ(header(h, "ce_specversion"), "1.0");
    EXPECT_EQ(header(h, "ce_id"), get_string(e, "event_id"));
    EXPECT_EQ(header(h, "ce_type"), get_string(e, "type"));
    EXPECT_EQ(header(h, "ce_subject"), get_string(e, "txn_id"));
    EXPECT_EQ(header(h, "ce_time"), get_string(e, "occurred_at"));
    EXPECT_EQ(header(h, "content-type"), "application/json");
    if (get_string(e, "type") == "transaction.state_changed") {
      EXPECT_EQ(header(h, "ce_source"),
                "corridor/" + std::string(get_string(e, "provider")) + "." + std::string(get_string(e, "flow")));
    }
  }

  TempDir dir;
  Cluster cluster;
  std::unique_ptr<Engine> engine = std::make_unique<Engine>(cluster, dir.path());
  TopicCollector events{cluster.bootstrap, "corridor.events"};
  TopicCollector deadletters{cluster.bootstrap, "corridor.deadletter"};
};

TEST_F(TraceHeaders, EveryEventOfAPaymentCarriesItsCommandsTraceparent) {
  engine->publish_command(payin_command("TRACE-1", "+2250700000001"), {{"traceparent", kTrace}});
  const std::string txn = derive_txn_id("ZANDO", "TRACE-1");
  const auto evs = events_until(txn, "succeeded");
  ASSERT_EQ(evs.size(), 5u);  // created .. succeeded: a command, two answers and a webhook caused them
  std::set<std::string> causes;
  for (const auto& [e, h] : evs) {
    expect_cloudevent(e, h);
    EXPECT_EQ(header(h, "traceparent"), kTrace) << get_string(e, "event_id");
    causes.insert(std::string(get_string(*get_object(e, "cause"), "kind")));
  }
  EXPECT_TRUE(causes.contains("webhook"));
  EXPECT_TRUE(causes.contains("provider_response"));
  // Kept with the transaction, for what comes later (after a restart too).
  auto kept = engine->runtime().store().traceparents_among({txn});
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->at(txn), kTrace);
}

TEST_F(TraceHeaders, ACommandWithoutATraceOrWithAnInvalidOneGetsOneDerivedFromItsTransaction) {
  engine->publish_command(payin_command("TRACE-NONE", "+2250700000001"));
  engine->publish_command(payin_command("TRACE-BAD", "+2250700000001"), {{"traceparent", "00-not-a-trace-01"}});
  for (const std::string reference : {"TRACE-NONE", "TRACE-BAD"}) {
    const std::string txn = derive_txn_id("ZANDO", reference);
    const auto evs = events_until(txn, "succeeded");  // an invalid trace is ignored, never refused
    ASSERT_FALSE(evs.empty());
    for (const auto& [e, h] : evs) {
      expect_cloudevent(e, h);
      EXPECT_EQ(header(h, "traceparent"), derived_traceparent(txn)) << reference;
    }
  }
}

TEST_F(TraceHeaders, ARejectedCommandsEventAndDeadLetterCarryItsOwnTrace) {
  json::object bad = payin_command("TRACE-REJECTED", "+2250700000001");
  bad["amount"] = {{"value", 12.5}, {"currency", "XOF"}};
  engine->publish_command(bad, {{"traceparent", kOtherTrace}});
  const std::string txn = derive_txn_id("ZANDO", "TRACE-REJECTED");
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return rejected_or_failed(evs, txn); }));
  ASSERT_TRUE(deadletters.wait_until([](const auto& d) { return !d.empty(); }));
  for (const auto& [e, h] : events.records_with_headers()) {
    if (get_string(e, "txn_id") != txn) continue;
    EXPECT_EQ(get_string(e, "type"), "command.rejected");
    expect_cloudevent(e, h);
    EXPECT_EQ(header(h, "ce_source"), "corridor");
    EXPECT_EQ(header(h, "traceparent"), kOtherTrace);
  }
  bool found = false;
  for (const auto& [d, h] : deadletters.records_with_headers()) {
    if (get_string(d, "source") != "router") continue;
    found = true;
    EXPECT_EQ(header(h, "ce_type"), "corridor.deadletter");
    EXPECT_EQ(header(h, "ce_source"), "corridor/router");
    EXPECT_EQ(header(h, "ce_subject"), txn);
    EXPECT_EQ(header(h, "ce_time"), get_string(d, "at"));
    EXPECT_EQ(header(h, "traceparent"), kOtherTrace);
  }
  EXPECT_TRUE(found);
}

TEST_F(TraceHeaders, ALaterCommandKeepsTheTransactionsTraceAndItsRejectionItsOwn) {
  engine->publish_command(payin_command("TRACE-LATER", "+2250700000001"), {{"traceparent", kTrace}});
  const std::string txn = derive_txn_id("ZANDO", "TRACE-LATER");
  ASSERT_FALSE(events_until(txn, "succeeded").empty());
  // A cancel of a final payment is refused by the processor, not the router.
  engine->publish_command({{"type", "payment.cancel"}, {"command_id", "cancel-late"}, {"merchant", "ZANDO"},
                           {"reference", "TRACE-LATER"}},
                          {{"traceparent", kOtherTrace}});
  ASSERT_TRUE(events.wait_until([&](const auto& evs) {
    for (const auto& e : events_of(evs, txn))
      if (get_string(e, "type") == "command.rejected") return true;
    return false;
  }));
  for (const auto& [e, h] : events.records_with_headers()) {
    if (get_string(e, "txn_id") != txn) continue;
    expect_cloudevent(e, h);
    if (get_string(e, "type") == "command.rejected") {
      EXPECT_EQ(header(h, "ce_source"), "corridor/novasend.payin");
      EXPECT_EQ(header(h, "traceparent"), kOtherTrace);
    } else {
      EXPECT_EQ(header(h, "traceparent"), kTrace);
    }
  }
  // The processor's dead letter of the refused cancel, with the cancel's own trace.
  const std::string cancel = command_input_id(txn, "cancel-late");
  ASSERT_TRUE(deadletters.wait_until([&](const auto& dls) {
    for (const auto& d : dls)
      if (get_string(d, "input_id") == cancel) return true;
    return false;
  }));
  for (const auto& [d, h] : deadletters.records_with_headers()) {
    if (header(h, "ce_subject") != txn) continue;
    EXPECT_EQ(get_string(d, "source"), "processor");
    EXPECT_EQ(header(h, "ce_source"), "corridor/processor");
    EXPECT_EQ(header(h, "traceparent"), kOtherTrace);
  }
}

TEST_F(TraceHeaders, TheIngresssDeadLettersCarryTheHeadersAndTheRequestsTrace) {
  auto http = recording_http_client();
  // Refused: no such provider (404), with a trace; and with a traceparent that is not one.
  auto refused = http->send(HttpRequest{"POST", engine->runtime().public_url() + "/webhooks/nobody",
                                        {{"traceparent", kTrace}}, R"({"n":1})", ""},
                            std::chrono::seconds(10));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 404);
  auto untraced = http->send(HttpRequest{"POST", engine->runtime().public_url() + "/webhooks/nobody",
                                         {{"traceparent", "00-not-a-trace"}}, R"({"n":2})", ""},
                             std::chrono::seconds(10));
  ASSERT_TRUE(untraced);
  EXPECT_EQ(untraced->status, 404);
  // Acknowledged and ignored: a signed notification of a type corridor does not handle.
  const std::string secret = engine->config().providers.at("novasend").at("webhook_secret");
  const std::string body = R"({"id":"evt_trace_unhandled","event":"account.updated","data":{}})";
  const std::string t = "1795867200";
  auto ignored = http->send(
      HttpRequest{"POST", engine->runtime().public_url() + "/webhooks/novasend",
                  {{"Content-Type", "application/json"},
                   {"X-NovaSend-Signature", "t=" + t + ",v1=" + novasend_webhook_signature(secret, t, body)},
                   {"traceparent", kOtherTrace}},
                  body, ""},
      std::chrono::seconds(10));
  ASSERT_TRUE(ignored);
  EXPECT_EQ(ignored->status, 200);

  ASSERT_TRUE(deadletters.wait_until([](const auto& d) { return d.size() >= 3; })) << deadletters.records().size();
  std::set<std::string> traces;
  for (const auto& [d, h] : deadletters.records_with_headers()) {
    SCOPED_TRACE(boost::json::serialize(d));
    EXPECT_EQ(get_string(d, "source"), "ingress");
    EXPECT_EQ(header(h, "ce_specversion"), "1.0");
    EXPECT_EQ(header(h, "ce_type"), "corridor.deadletter");
    EXPECT_EQ(header(h, "ce_source"), "corridor/ingress");
    EXPECT_TRUE(header(h, "ce_id").starts_with("deadletter:")) << header(h, "ce_id");
    EXPECT_EQ(header(h, "ce_id").size(), std::string("deadletter:").size() + 32);
    EXPECT_EQ(header(h, "ce_subject"), "");
    EXPECT_EQ(header(h, "ce_time"), get_string(d, "at"));
    EXPECT_EQ(header(h, "content-type"), "application/json");
    traces.insert(header(h, "traceparent"));
  }
  EXPECT_EQ(traces, (std::set<std::string>{kTrace, "", kOtherTrace}));
}

TEST_F(TraceHeaders, TheTraceIsKeptWithTheTransactionAcrossARestart) {
  engine->publish_command(payin_command("TRACE-RESTART", "+2250700000001"), {{"traceparent", kTrace}});
  const std::string txn = derive_txn_id("ZANDO", "TRACE-RESTART");
  ASSERT_FALSE(events_until(txn, "succeeded").empty());
  engine.reset();
  engine = std::make_unique<Engine>(cluster, dir.path());
  auto kept = engine->runtime().store().traceparents_among({txn, derive_txn_id("ZANDO", "NEVER-SEEN")});
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->size(), 1u);
  EXPECT_EQ(kept->at(txn), kTrace);
}

}  // namespace
}  // namespace corridor
