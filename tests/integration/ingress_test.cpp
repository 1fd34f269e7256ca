// corridor's HTTP routes over real loopback HTTP, on their two listeners: on the operations listener a
// transaction and its events, a merchant's payment methods (Cynod steps 1-2, from the configuration),
// health and metrics, behind bearer tokens when configured; on the public one only what providers call.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <set>

#include "engine/pipeline/commands.hpp"
#include "engine/io/http_client.hpp"
#include "tests/support/runtime_harness.hpp"

namespace corridor {
namespace {

using namespace testing;

class Ingress : public ::testing::Test {
 protected:
  // On the operations listener, with a bearer token when given.
  HttpResponse get(const std::string& path, const std::string& token = "") {
    HttpHeaders headers;
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    auto r = http->send(HttpRequest{"GET", "http://" + engine->runtime().operations_address() + path, headers, "", ""},
                        std::chrono::seconds(10));
    EXPECT_TRUE(r);
    return r ? *r : HttpResponse{0, {}, ""};
  }
  HttpResponse get_public(const std::string& path) {
    auto r = http->send(HttpRequest{"GET", engine->runtime().public_url() + path, {}, "", ""}, std::chrono::seconds(10));
    EXPECT_TRUE(r);
    return r ? *r : HttpResponse{0, {}, ""};
  }
  TempDir dir;
  Cluster cluster;
  std::unique_ptr<Engine> engine = std::make_unique<Engine>(cluster, dir.path());
  TopicCollector events{cluster.bootstrap, "corridor.events"};
  std::unique_ptr<HttpClient> http = recording_http_client();
};

TEST_F(Ingress, TransactionWithItsStatusAndEvents) {
  engine->publish_command(payin_command("HTTP-1", "+2250700000001"));
  const auto txn = derive_txn_id("ZANDO", "HTTP-1");
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return latest_status(evs, txn) == "succeeded"; }));
  const HttpResponse r = get("/v1/transactions/" + txn);
  ASSERT_EQ(r.status, 200);
  const auto body = boost::json::parse(r.body).as_object();
  EXPECT_EQ(get_string(body, "txn_id"), txn);
  EXPECT_EQ(get_string(body, "state"), "succeeded");
  EXPECT_EQ(get_string(body, "status"), "succeeded");
  EXPECT_EQ(get_int(*get_object(body, "amount"), "value"), 300);
  ASSERT_TRUE(body.at("events").is_array());
  EXPECT_EQ(body.at("events").as_array().size(), 5u);
  EXPECT_EQ(get(std::string("/v1/transactions/tx_nobody")).status, 404);
}

TEST_F(Ingress, PaymentMethodsComeFromTheConfiguration) {
  const HttpResponse r = get("/v1/merchants/ZANDO/payment-methods");
  ASSERT_EQ(r.status, 200);
  const auto body = boost::json::parse(r.body).as_object();
  EXPECT_EQ(get_string(body, "merchant"), "ZANDO");
  std::set<std::string> providers;
  for (const auto& m : body.at("payment_methods").as_array()) {
    providers.insert(std::string(get_string(m.as_object(), "provider")));
    EXPECT_FALSE(m.as_object().at("flows").as_array().empty());
  }
  EXPECT_EQ(providers, (std::set<std::string>{"cynod", "esipay", "flexpay", "interac", "novasend"}));
  EXPECT_EQ(get("/v1/merchants/NOBODY/payment-methods").status, 404);
}

TEST_F(Ingress, DisabledMerchantHasNoPaymentMethodsAndItsCommandsAreRejected) {
  Config config = test_config(cluster, dir.path() + "/disabled");
  config.merchants.push_back(MerchantConfig{"SLEEPY", false, {"novasend"}});
  engine.reset();
  engine = std::make_unique<Engine>(config);
  EXPECT_EQ(get("/v1/merchants/SLEEPY/payment-methods").status, 404);
  auto cmd = payin_command("SLEEPY-1", "+2250700000001");
  cmd["merchant"] = "SLEEPY";
  engine->publish_command(cmd);
  EXPECT_TRUE(events.wait_until([](const auto& evs) {
    for (const auto& e : evs)
      if (get_string(e, "type") == "command.rejected" && get_string(e, "reason").find("disabled") != std::string_view::npos)
        return true;
    return false;
  }));
}

TEST_F(Ingress, HealthMetricsAndUnknownRoutes) {
  EXPECT_EQ(get("/healthz").status, 200);
  EXPECT_EQ(get_public("/healthz").status, 200);
  const HttpResponse m = get("/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("corridor_events_published_total"), std::string::npos);
  EXPECT_NE(m.body.find("# TYPE corridor_inputs_applied_total counter"), std::string::npos);
  EXPECT_NE(m.body.find(R"(corridor_component_stalled{component="router"} 0)"), std::string::npos);
  EXPECT_NE(m.body.find(R"(corridor_attention_total{code="late_outcome"} 0)"), std::string::npos);
  EXPECT_EQ(get("/nowhere").status, 404);
}

// The public listener serves providers only: nothing of a transaction, no metrics.
TEST_F(Ingress, ThePublicListenerServesNoTransactionsAndNoMetrics) {
  engine->publish_command(payin_command("HTTP-P", "+2250700000001"));
  const auto txn = derive_txn_id("ZANDO", "HTTP-P");
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return latest_status(evs, txn) == "succeeded"; }));
  EXPECT_EQ(get_public("/v1/transactions/" + txn).status, 404);
  EXPECT_EQ(get_public("/metrics").status, 404);
  EXPECT_EQ(get_public("/v1/merchants/ZANDO/payment-methods").status, 404);
}

TEST_F(Ingress, TheTransactionViewIsAnExplicitListOfFields) {
  engine->publish_command(payin_command("HTTP-V", "+2250700000001"));
  const auto txn = derive_txn_id("ZANDO", "HTTP-V");
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return latest_status(evs, txn) == "succeeded"; }));
  const auto body = boost::json::parse(get("/v1/transactions/" + txn).body).as_object();
  std::set<std::string> keys;
  for (const auto& kv : body) keys.insert(std::string(kv.key()));
  EXPECT_EQ(keys, (std::set<std::string>{"txn_id", "merchant", "reference", "provider", "flow", "amount", "state",
                                         "status", "version", "provider_refs", "next_action", "reason", "attention",
                                         "created_at", "updated_at", "rejected_inputs", "events"}));
}

class IngressWithTokens : public Ingress {
 protected:
  static constexpr const char* kOperator = "operator-token-0123456789";
  static constexpr const char* kZando = "zando-token-0123456789ab";
  static constexpr const char* kOther = "other-token-0123456789abc";
  IngressWithTokens() {
    Config config = test_config(cluster, dir.path() + "/tokens");
    config.auth.operator_tokens = {kOperator};
    for (auto& m : config.merchants)
      if (m.id == "ZANDO") m.tokens = {kZando};
    config.merchants.push_back(MerchantConfig{"OTHER", true, {"novasend"}, {kOther}});
    engine.reset();
    engine = std::make_unique<Engine>(config);
  }
};

TEST_F(IngressWithTokens, EveryOperationsRouteButHealthNeedsAToken) {
  engine->publish_command(payin_command("HTTP-T", "+2250700000001"));
  const auto txn = derive_txn_id("ZANDO", "HTTP-T");
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return latest_status(evs, txn) == "succeeded"; }));
  EXPECT_EQ(get("/healthz").status, 200);
  const HttpResponse anonymous = get("/v1/transactions/" + txn);
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.header("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(get("/v1/transactions/" + txn, "not-a-token-0123456789").status, 401);
  EXPECT_EQ(get("/metrics").status, 401);
  // The operator sees everything; a merchant sees its own transactions and payment methods only.
  EXPECT_EQ(get("/v1/transactions/" + txn, kOperator).status, 200);
  EXPECT_EQ(get("/metrics", kOperator).status, 200);
  EXPECT_EQ(get("/v1/transactions/" + txn, kZando).status, 200);
  EXPECT_EQ(get("/v1/transactions/" + txn, kOther).status, 404);
  EXPECT_EQ(get("/v1/merchants/ZANDO/payment-methods", kZando).status, 200);
  EXPECT_EQ(get("/v1/merchants/ZANDO/payment-methods", kOther).status, 404);
  EXPECT_EQ(get("/metrics", kZando).status, 403);
}

TEST(IngressStart, AnOperationsListenerBeyondLoopbackNeedsTokens) {
  TempDir dir;
  Cluster cluster;
  Config config = test_config(cluster, dir.path());
  config.http.operations_listen = "0.0.0.0:0";
  Runtime runtime(config);
  try {
    runtime.start();
    FAIL() << "started without tokens on 0.0.0.0";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("auth.operator_tokens"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace corridor
