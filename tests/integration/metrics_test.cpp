// GET /metrics on a running engine: payments through the sandboxes show in the labelled counters, the
// command-to-final histogram counts every finished payment, and the gauges read Kafka and the store.
// Then the parts the gauges rest on: a consumer's lag and the store's backlog counts.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <map>
#include <regex>
#include <sstream>

#include "engine/io/http_client.hpp"
#include "engine/pipeline/commands.hpp"
#include "tests/support/delegating_store.hpp"
#include "tests/support/contracts.hpp"
#include "tests/support/runtime_harness.hpp"

namespace corridor {
namespace {

using namespace testing;

// Series (the name with its labels, as written) to values; histogram sums are left out.
std::map<std::string, std::int64_t> parse_series(const std::string& text) {
  std::map<std::string, std::int64_t> out;
  std::istringstream in(text);
  const std::regex line(R"((corridor_[a-z_]+(\{.*\})?) (-?[0-9]+))");
  for (std::string l; std::getline(in, l);) {
    std::smatch m;
    if (std::regex_match(l, m, line)) out[m[1]] = std::stoll(m[3]);
  }
  return out;
}

class MetricsEndpoint : public ::testing::Test {
 protected:
  std::string scrape() {
    auto r = http->send(
        HttpRequest{"GET", "http://" + engine->runtime().operations_address() + "/metrics", {}, "", ""},
        std::chrono::seconds(10));
    EXPECT_TRUE(r);
    if (!r) return "";
    EXPECT_EQ(r->status, 200);
    return r->body;
  }
  // The value of a series, -1 when it is not served.
  std::int64_t value(const std::string& series) {
    const auto all = parse_series(scrape());
    auto it = all.find(series);
    return it == all.end() ? -1 : it->second;
  }

  TempDir dir;
  Cluster cluster;
  std::unique_ptr<Engine> engine = std::make_unique<Engine>(cluster, dir.path());
  TopicCollector events{cluster.bootstrap, "corridor.events"};
  std::unique_ptr<HttpClient> http = recording_http_client();
};

TEST_F(MetricsEndpoint, PaymentsShowByProviderFlowAndStatusWithTheirLatencyAndTheGaugesSettle) {
  const std::vector<std::pair<std::string, std::string>> payments{
      {"MET-1", "+2250700000001"}, {"MET-2", "+2250700000001"}, {"MET-3", "+2250700000001"},
      {"MET-4", "+2250700000002"}};  // the last: accepted, then failed
  for (const auto& [reference, msisdn] : payments) engine->publish_command(payin_command(reference, msisdn));
  // A hostile sender: a made-up provider in a command, a webhook for a provider that does not exist.
  auto evil = payin_command("MET-EVIL", "+2250700000001");
  evil["provider"] = "evil\"} 1\ncorridor_fake";
  engine->publish_command(evil);
  auto refused = http->send(HttpRequest{"POST", engine->runtime().public_url() + "/webhooks/evil", {}, "{}", ""},
                            std::chrono::seconds(10));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 404);

  ASSERT_TRUE(events.wait_until([&](const auto& evs) {
    for (int i = 1; i <= 3; ++i)
      if (latest_status(evs, derive_txn_id("ZANDO", "MET-" + std::to_string(i))) != "succeeded") return false;
    return latest_status(evs, derive_txn_id("ZANDO", "MET-4")) == "failed";
  }));

  const std::string np = R"(provider="novasend",flow="payin")";
  // The histogram counts every finished payment, under its outcome.
  // The router counts a batch once Kafka acknowledged all of it, which may come after the processor
  // has read its first records.
  ASSERT_TRUE(eventually([&] {
    return value("corridor_command_to_final_seconds_count{" + np + R"(,status="succeeded"})") == 3 &&
           value("corridor_command_to_final_seconds_count{" + np + R"(,status="failed"})") == 1 &&
           value(R"(corridor_commands_rejected_total{type="payment.create",provider="none",flow="none"})") == 1 &&
           value(R"(corridor_commands_routed_total{type="payment.create",)" + np + "}") == 4;
  }));
  const std::string text = scrape();
  const auto s = parse_series(text);
  auto at = [&](const std::string& series) {
    auto it = s.find(series);
    EXPECT_NE(it, s.end()) << series << " is not served";
    return it == s.end() ? -1 : it->second;
  };
  EXPECT_EQ(at("corridor_command_to_final_seconds_bucket{" + np + R"(,status="succeeded",le="+Inf"})"), 3);
  EXPECT_EQ(at("corridor_transactions_final_total{" + np + R"(,status="succeeded"})"), 3);
  EXPECT_EQ(at("corridor_transactions_final_total{" + np + R"(,status="failed"})"), 1);
  EXPECT_EQ(at("corridor_transactions_created_total{" + np + "}"), 4);
  EXPECT_EQ(at("corridor_state_changes_total{" + np + R"(,status="succeeded"})"), 3);
  EXPECT_GE(at("corridor_state_changes_total{" + np + R"(,status="requires_action"})"), 4);
  EXPECT_EQ(at(R"(corridor_commands_routed_total{type="payment.create",)" + np + "}"), 4);
  EXPECT_EQ(at(R"(corridor_commands_rejected_total{type="payment.create",provider="none",flow="none"})"), 1);
  EXPECT_EQ(at(R"(corridor_webhooks_refused_total{provider="none"})"), 1);
  EXPECT_GE(at(R"(corridor_webhooks_accepted_total{provider="novasend"})"), 4);  // payin.confirmed, one each
  EXPECT_EQ(at(R"(corridor_attention_total{)" + np + R"(,code="late_outcome"})"), 0);
  // Every payment made its session call, answered at the first attempt; each attempt was timed.
  EXPECT_EQ(at(R"(corridor_provider_calls_total{provider="novasend",op="create_session",outcome="ok"})"), 4);
  EXPECT_EQ(at(R"(corridor_provider_call_seconds_count{provider="novasend",op="create_session"})"), 4);
  EXPECT_EQ(at(R"(corridor_circuit_open{provider="novasend"})"), 0);
  EXPECT_EQ(at(R"(corridor_component_stalled{component="processor"})"), 0);
  EXPECT_GE(at("corridor_timers_due"), 0);

  // Labels hold no merchant, reference, transaction id, nor anything the hostile sender wrote.
  for (const auto& [series, _] : s) {
    EXPECT_EQ(series.find("ZANDO"), std::string::npos) << series;
    EXPECT_EQ(series.find("MET-"), std::string::npos) << series;
    EXPECT_EQ(series.find("tx_"), std::string::npos) << series;
    EXPECT_EQ(series.find("evil"), std::string::npos) << series;
  }
  EXPECT_EQ(text.find("corridor_fake"), std::string::npos);

  // Everything consumed, published and answered: the sampled gauges come back to 0 (read at most
  // once a second, so waited for).
  EXPECT_TRUE(eventually([&] {
    const auto now = parse_series(scrape());
    auto is_zero = [&](const std::string& k) { return now.contains(k) && now.at(k) == 0; };
    return is_zero(R"(corridor_consumer_lag{topic="corridor.inputs"})") &&
           is_zero(R"(corridor_consumer_lag{topic="corridor.commands"})") && is_zero("corridor_outbox_depth") &&
           is_zero("corridor_pending_calls");
  }));
}

TEST_F(MetricsEndpoint, CommandsOverHttpAreCountedUnderTheirLabels) {
  auto post = [&](const json::object& body, const std::string& key) {
    auto r = http->send(HttpRequest{"POST", "http://" + engine->runtime().operations_address() + "/v1/payments",
                                    {{"Idempotency-Key", key}, {"Content-Type", "application/json"}},
                                    boost::json::serialize(body), ""},
                        std::chrono::seconds(10));
    return r ? r->status : 0;
  };
  EXPECT_EQ(post(payin_command("MET-HTTP-1", "+2250700000001"), "cmd-MET-HTTP-1"), 202);
  auto made_up = payin_command("MET-HTTP-2", "+2250700000001");
  made_up["provider"] = "nobody";
  EXPECT_EQ(post(made_up, "cmd-MET-HTTP-2"), 400);
  const auto s = parse_series(scrape());
  auto at = [&](const std::string& k) { return s.contains(k) ? s.at(k) : -1; };
  EXPECT_EQ(at(R"(corridor_commands_routed_total{type="payment.create",provider="novasend",flow="payin"})"), 1);
  EXPECT_EQ(at(R"(corridor_commands_rejected_total{type="payment.create",provider="none",flow="none"})"), 1);
  for (const auto& [series, _] : s) EXPECT_EQ(series.find("nobody"), std::string::npos) << series;
}

TEST_F(MetricsEndpoint, MetricsAreForOperatorsOnly) {
  Config config = test_config(cluster, dir.path() + "/tokens");
  config.auth.operator_tokens = {"operator-token-0123456789"};
  config.merchants.front().tokens = {"zando-token-0123456789"};
  engine.reset();
  engine = std::make_unique<Engine>(config);
  auto get = [&](const std::string& token) {
    HttpHeaders headers;
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    auto r = http->send(HttpRequest{"GET", "http://" + engine->runtime().operations_address() + "/metrics", headers, "", ""},
                        std::chrono::seconds(10));
    return r ? r->status : 0;
  };
  EXPECT_EQ(get(""), 401);
  EXPECT_EQ(get("zando-token-0123456789"), 403);
  EXPECT_EQ(get("operator-token-0123456789"), 200);
}

// ---- what the gauges read ----------------------------------------------------------------------

TEST(ConsumerLag, IsTheEndOfTheLogMinusWhereTheConsumerIs) {
  EmbeddedKafka kafka;
  kafka.create_topic("lag.topic", 1);
  KafkaProducer producer(kafka.bootstrap(), EmbeddedKafka::client_properties());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(producer.produce_sync("lag.topic", "k", "v" + std::to_string(i)));

  // Started where a store says (offset 4), before consuming anything: one record behind.
  KafkaConsumer from_store(kafka.bootstrap(), "lag.store", EmbeddedKafka::client_properties());
  from_store.assign_all("lag.topic", [](const std::string&, std::int32_t) -> std::int64_t { return 4; });
  EXPECT_TRUE(eventually([&] { return from_store.lag() && *from_store.lag() == 1; }));

  // Consumed two of five.
  KafkaConsumer reader(kafka.bootstrap(), "lag.group", EmbeddedKafka::client_properties());
  reader.assign_all("lag.topic");
  std::size_t consumed = 0;
  ASSERT_TRUE(eventually([&] {
    consumed += reader.poll(2 - consumed, std::chrono::milliseconds(100)).size();
    return consumed == 2;
  }));
  EXPECT_TRUE(eventually([&] { return reader.lag() && *reader.lag() == 3; }));
  ASSERT_TRUE(reader.commit());

  // The same group again, before consuming: from the group's committed offset.
  KafkaConsumer again(kafka.bootstrap(), "lag.group", EmbeddedKafka::client_properties());
  again.assign_all("lag.topic");
  EXPECT_TRUE(eventually([&] { return again.lag() && *again.lag() == 3; }));
}

TEST(StoreBacklog, CountsOutboxRowsPendingCallsAndDueTimersUpToTheCap) {
  TempDir dir;
  auto store = open_sqlite_store(dir.path() + "/backlog.db");
  StoreBatch batch;
  batch.outbox = {{0, "events", "tx_a", "{}"}, {0, "deadletter", "", "{}"}};
  ProviderCall call;
  call.call_id = "tx_a:1";
  call.provider = "novasend";
  call.op = "create_session";
  batch.calls = {call};
  batch.timers_set = {{"tx_a", "ttl", 1000, "timer:tx_a:ttl"}, {"tx_b", "ttl", 5000, "timer:tx_b:ttl"}};
  ASSERT_TRUE(store->commit(batch));

  auto b = store->backlog(2000, 1'000'000);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->outbox, 2);
  EXPECT_EQ(b->pending_calls, 1);
  EXPECT_EQ(b->timers_due, 1);  // the other is due later
  auto capped = store->backlog(9000, 1);
  ASSERT_TRUE(capped);
  EXPECT_EQ(capped->outbox, 1);
  EXPECT_EQ(capped->timers_due, 1);

  // The interface's own reading, for stores without a count of their own, agrees.
  struct Plain : DelegatingStore {
    using DelegatingStore::DelegatingStore;
    Result<Backlog> backlog(std::int64_t now, std::int64_t cap) override { return Store::backlog(now, cap); }
  } plain(*store);
  auto p = plain.backlog(2000, 1'000'000);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->outbox, 2);
  EXPECT_EQ(p->pending_calls, 1);
  EXPECT_EQ(p->timers_due, 1);
}

}  // namespace
}  // namespace corridor
