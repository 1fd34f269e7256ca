// Commands over HTTP on the operations listener (engine/ingress/commands_api.hpp), over real loopback
// HTTP into the running engine: a payment, a payout, a refund, a cancel and a reconciliation sent
// with an Idempotency-Key; the same key again; every refusal with its code and its dead letter; 503
// when Kafka does not take a command or the store cannot be read; a merchant's token; card data that
// reaches no topic in clear.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <future>

#include "engine/ingress/commands_api.hpp"
#include "engine/ingress/ingress.hpp"
#include "engine/io/health.hpp"
#include "engine/io/http_client.hpp"
#include "engine/io/metrics.hpp"
#include "engine/pipeline/clock.hpp"
#include "engine/pipeline/executor.hpp"
#include "engine/pipeline/commands.hpp"
#include "engine/store/errc.hpp"
#include "sandbox/esipay/esipay_sandbox.hpp"
#include "tests/support/contracts.hpp"
#include "tests/support/delegating_store.hpp"
#include "tests/support/runtime_harness.hpp"

namespace corridor {
namespace {

using namespace testing;

constexpr const char* kOperator = "operator-token-0123456789";
constexpr const char* kZando = "zando-token-0123456789ab";
constexpr const char* kOther = "other-token-0123456789abc";

json::object payin(const std::string& reference, std::int64_t amount = 300) {
  return {{"merchant", "ZANDO"},
          {"reference", reference},
          {"provider", "novasend"},
          {"flow", "payin"},
          {"amount", {{"value", amount}, {"currency", "XOF"}}},
          {"customer", {{"msisdn", "+2250700000001"}, {"name", "Awa"}, {"country", "CI"}}}};
}

json::object card_payment(const std::string& reference, std::string_view card) {
  return {{"merchant", "ZANDO"},
          {"reference", reference},
          {"provider", "esipay"},
          {"flow", "card"},
          {"amount", {{"value", 10000}, {"currency", "XOF"}}},
          {"card", {{"number", card}, {"exp_month", 12}, {"exp_year", 2027}}}};
}

class CommandsApi : public ::testing::Test {
 protected:
  CommandsApi() {
    Config config = test_config(cluster, dir.path());
    config.auth.operator_tokens = {kOperator};
    // Below the listener's own body limit (limits.webhook_bytes), so that the command's limit answers.
    config.limits.command_bytes = 65536;
    for (auto& m : config.merchants)
      if (m.id == "ZANDO") m.tokens = {kZando};
    config.merchants.push_back(MerchantConfig{"OTHER", true, {"novasend"}, {kOther}});
    engine = std::make_unique<Engine>(config);
  }

  HttpResponse post(const std::string& path, const std::string& body, const std::string& key,
                    const std::string& token = kOperator) {
    HttpHeaders headers{{"Content-Type", "application/json"}};
    if (!key.empty()) headers.emplace_back("Idempotency-Key", key);
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    auto r = http->send(HttpRequest{"POST", "http://" + engine->runtime().operations_address() + path, headers, body, ""},
                        std::chrono::seconds(10));
    EXPECT_TRUE(r);
    return r ? *r : HttpResponse{0, {}, ""};
  }
  HttpResponse post(const std::string& path, const json::object& body, const std::string& key,
                    const std::string& token = kOperator) {
    return post(path, boost::json::serialize(body), key, token);
  }
  HttpResponse get(const std::string& path, const std::string& token = kOperator) {
    HttpHeaders headers{{"Authorization", "Bearer " + token}};
    auto r = http->send(HttpRequest{"GET", "http://" + engine->runtime().operations_address() + path, headers, "", ""},
                        std::chrono::seconds(10));
    EXPECT_TRUE(r);
    return r ? *r : HttpResponse{0, {}, ""};
  }
  static json::object body_of(const HttpResponse& r) {
    auto v = boost::json::parse(r.body);
    return v.is_object() ? v.as_object() : json::object{};
  }
  static std::string code_of(const HttpResponse& r) { return std::string(get_string(body_of(r), "code")); }

  bool key_set = ::setenv("CORRIDOR_CARD_KEY", "5f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0", 1) == 0;
  TempDir dir;
  Cluster cluster;
  std::unique_ptr<Engine> engine;
  TopicCollector events{cluster.bootstrap, "corridor.events"};
  TopicCollector deadletters{cluster.bootstrap, "corridor.deadletter"};
  std::unique_ptr<HttpClient> http = recording_http_client();
};

TEST_F(CommandsApi, APaymentIsAcceptedOnceKafkaHoldsItAndRunsToItsEnd) {
  const HttpResponse r = post("/v1/payments", payin("API-1"), "key-API-1");
  ASSERT_EQ(r.status, 202) << r.body;
  const std::string txn = derive_txn_id("ZANDO", "API-1");
  const auto body = body_of(r);
  EXPECT_EQ(get_string(body, "txn_id"), txn);
  EXPECT_EQ(get_string(body, "command_id"), "key-API-1");
  EXPECT_EQ(get_string(body, "type"), "payment.create");
  EXPECT_EQ(r.header("Location"), "/v1/transactions/" + txn);
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return latest_status(evs, txn) == "succeeded"; }));
  const HttpResponse view = get(std::string(r.header("Location")));
  ASSERT_EQ(view.status, 200);
  EXPECT_EQ(get_string(body_of(view), "status"), "succeeded");
}

TEST_F(CommandsApi, TheSameKeyAgainIsTheSameCommandAndAnotherCommandUnderItIsAConflict) {
  ASSERT_EQ(post("/v1/payments", payin("API-2"), "key-API-2").status, 202);
  const std::string txn = derive_txn_id("ZANDO", "API-2");
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return latest_status(evs, txn) == "succeeded"; }));
  // The client did not see the first answer and sends it again: accepted, applied once.
  const HttpResponse again = post("/v1/payments", payin("API-2"), "key-API-2");
  EXPECT_EQ(again.status, 202);
  EXPECT_EQ(get_string(body_of(again), "txn_id"), txn);
  // The same key on the same payment with another amount: refused, with the code that says so.
  const HttpResponse other = post("/v1/payments", payin("API-2", 500), "key-API-2");
  EXPECT_EQ(other.status, 409);
  EXPECT_EQ(code_of(other), "api.idempotency_conflict");
  // The repeated create changed nothing: one created event, the transaction still at its end.
  ASSERT_TRUE(events.wait_until([&](const auto& evs) {
    return latest_status(evs, txn) == "succeeded" && !events_of(evs, txn).empty();
  }));
  std::size_t created = 0;
  for (const auto& e : events_of(events.records(), txn)) created += get_int(e, "version") == 1;
  EXPECT_EQ(created, 1u);
  EXPECT_EQ(get_int(body_of(get("/v1/transactions/" + txn)), "version"), 5);
}

TEST_F(CommandsApi, EveryRefusalNamesItsReasonAndCodeAndIsDeadLettered) {
  struct Case {
    std::string path, body, key;
    int status;
    std::string code;
  };
  const std::string big(static_cast<std::size_t>(engine->config().limits.command_bytes) + 1, ' ');
  json::object unknown_provider = payin("API-3");
  unknown_provider["provider"] = "nobody";
  json::object fraction = payin("API-3");
  fraction["amount"] = {{"value", 1.5}, {"currency", "XOF"}};
  json::object wrong_type = payin("API-3");
  wrong_type["type"] = "refund.create";
  json::object other_id = payin("API-3");
  other_id["command_id"] = "not-the-key";
  const std::vector<Case> cases{
      {"/v1/payments", boost::json::serialize(payin("API-3")), "", 400, "api.missing_idempotency_key"},
      {"/v1/payments", boost::json::serialize(payin("API-3")), "has space", 400, "api.missing_idempotency_key"},
      {"/v1/payments", boost::json::serialize(payin("API-3")), std::string(129, 'k'), 400, "api.missing_idempotency_key"},
      {"/v1/payments", "{\"merchant\": ", "k1", 400, "pipeline.not_json"},
      {"/v1/payments", R"({"reference": "a", "reference": "b"})", "k2", 400, "pipeline.duplicate_key"},
      {"/v1/payments", "[1, 2]", "k3", 400, "api.not_a_command_body"},
      {"/v1/payments", "", "k4", 400, "pipeline.not_json"},
      {"/v1/payments", big, "k5", 413, "pipeline.too_large"},
      {"/v1/payments", boost::json::serialize(unknown_provider), "k6", 400, "pipeline.invalid_command"},
      {"/v1/payments", boost::json::serialize(fraction), "k7", 400, "pipeline.invalid_command"},
      {"/v1/payments", boost::json::serialize(wrong_type), "k8", 400, "api.not_a_command_body"},
      {"/v1/payments", boost::json::serialize(other_id), "k9", 400, "api.not_a_command_body"},
      {"/v1/payments/tx_nobody/cancel", "", "k10", 404, "api.unknown_transaction"},
      {"/v1/payments/tx_nobody/refunds", "{}", "k11", 404, "api.unknown_transaction"},
  };
  for (const auto& c : cases) {
    const HttpResponse r = post(c.path, c.body, c.key);
    EXPECT_EQ(r.status, c.status) << c.path << " " << c.body.substr(0, 80) << " -> " << r.body;
    EXPECT_EQ(code_of(r), c.code) << c.body.substr(0, 80) << " -> " << r.body;
    EXPECT_FALSE(get_string(body_of(r), "error").empty()) << r.body;
  }
  // A body past the listener's own limit is refused before it is read, 413 too.
  const std::string huge(static_cast<std::size_t>(engine->config().limits.webhook_bytes) + 1, ' ');
  EXPECT_EQ(post("/v1/payments", huge, "k13").status, 413);
  // The router's own reason, word for word.
  json::object no_amount = payin("API-3");
  no_amount.erase("amount");
  const HttpResponse r = post("/v1/payments", no_amount, "k12");
  EXPECT_EQ(get_string(body_of(r), "error"), "missing required field 'amount'");
  // Each refusal is a dead letter naming the listener's route and status.
  ASSERT_TRUE(deadletters.wait_until([&](const auto& dls) { return dls.size() >= cases.size() + 1; })) << deadletters.records().size();
  for (const auto& d : deadletters.records()) EXPECT_EQ(get_string(d, "source"), "ingress") << boost::json::serialize(d);
  // No command reached a transaction.
  EXPECT_EQ(get("/v1/transactions/" + derive_txn_id("ZANDO", "API-3")).status, 404);
}

TEST_F(CommandsApi, ACommandKafkaDoesNotTakeIs503AndTheSameKeyLaterIsTakenOnce) {
  // A payment to its end first: the engine is idle after it, so the next produce request is the API's.
  ASSERT_EQ(post("/v1/payments", payin("API-K0"), "key-API-K0").status, 202);
  ASSERT_TRUE(events.wait_until(
      [&](const auto& evs) { return latest_status(evs, derive_txn_id("ZANDO", "API-K0")) == "succeeded"; }));
  // The broker refuses the next produce request for its size, which librdkafka does not retry (an
  // authorization refusal would do, but librdkafka then fails the topic's records until its next
  // metadata refresh).
  constexpr int kMessageTooLarge = 10;
  cluster.kafka->push_request_errors(0 /* Produce */, {kMessageTooLarge});
  const std::string txn = derive_txn_id("ZANDO", "API-K1");
  const HttpResponse refused = post("/v1/payments", payin("API-K1"), "key-API-K1");
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(code_of(refused), "kafka.not_acknowledged") << refused.body;
  EXPECT_EQ(get_string(body_of(refused), "error"), "not stored; retry with the same Idempotency-Key");
  EXPECT_EQ(refused.header("Location"), "");
  EXPECT_EQ(get("/v1/transactions/" + txn).status, 404);
  // The client does as told: the same key again is taken, and the payment runs once.
  const HttpResponse again = post("/v1/payments", payin("API-K1"), "key-API-K1");
  ASSERT_EQ(again.status, 202) << again.body;
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return latest_status(evs, txn) == "succeeded"; }));
  std::size_t created = 0;
  for (const auto& e : events_of(events.records(), txn)) created += get_int(e, "version") == 1;
  EXPECT_EQ(created, 1u);
}

// The command API over a store that cannot be read: its reads fail as a locked or broken database's do.
class UnreadableStore final : public DelegatingStore {
 public:
  using DelegatingStore::DelegatingStore;
  Result<std::optional<Transaction>> load(const std::string&) override {
    return fail(store_errc::statement_failed, "store: step: database is locked");
  }
  Result<std::map<std::string, std::string>> processed_among(const std::vector<std::string>&) override {
    return fail(store_errc::statement_failed, "store: step: database is locked");
  }
};

TEST(CommandsApiStore, AStoreThatCannotBeReadIs503AndTheCommandIsNotPublished) {
  TempDir dir;
  Cluster cluster;
  const Config config = test_config(cluster, dir.path());
  const std::unique_ptr<Store> real = open_sqlite_store(dir.path() + "/store.db");
  UnreadableStore store(*real);
  KafkaProducer producer(cluster.bootstrap);
  const AdapterMap adapters;
  SystemClock clock;
  Metrics metrics;
  Health health;
  RefusalRecorder refusals(config, producer, clock, metrics);
  const std::atomic<bool> ready{true};
  const IngressContext context{config, store, producer, adapters, clock, metrics, health, refusals, ready, nullptr};
  TopicCollector inputs{cluster.bootstrap, config.kafka.inputs};
  TopicCollector deadletters{cluster.bootstrap, config.kafka.deadletter};

  auto post = [&](const std::string& target, const std::string& body, const std::string& key) {
    auto answered = std::make_shared<std::promise<HttpResponse>>();  // outlives a late answer
    auto answer = answered->get_future();
    handle_command(context, Caller{true, ""},
                   HttpRequest{"POST", target, {{"Content-Type", "application/json"}, {"Idempotency-Key", key}}, body,
                               "127.0.0.1"},
                   [answered](HttpResponse r) { answered->set_value(std::move(r)); });
    if (answer.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
      ADD_FAILURE() << target << ": no answer within 30 s";
      return HttpResponse{0, {}, "{}"};
    }
    return answer.get();
  };
  // A new payment: the check for an earlier command under the key cannot be made.
  const HttpResponse create = post("/v1/payments", boost::json::serialize(payin("API-S1")), "key-S1");
  EXPECT_EQ(create.status, 503) << create.body;
  // A command on a payment named by its path: the payment cannot be looked up.
  const HttpResponse cancel = post("/v1/payments/" + derive_txn_id("ZANDO", "API-S1") + "/cancel", "", "key-S2");
  EXPECT_EQ(cancel.status, 503) << cancel.body;
  for (const HttpResponse& r : {create, cancel}) {
    const json::value body = boost::json::parse(r.body);
    EXPECT_EQ(get_string(body.as_object(), "code"), "store.statement_failed") << r.body;
    EXPECT_FALSE(get_string(body.as_object(), "error").empty()) << r.body;
  }
  // Each refusal is a dead letter; neither command reached corridor.inputs.
  ASSERT_TRUE(deadletters.wait_until([](const auto& d) { return d.size() >= 2; })) << deadletters.records().size();
  for (const auto& d : deadletters.records()) EXPECT_EQ(get_string(d, "source"), "ingress") << boost::json::serialize(d);
  // A marker (an input of corridor.inputs' own shape) written after both under their key, so to their
  // partition: once the collector has it, it has everything before it.
  const std::string txn = derive_txn_id("ZANDO", "API-S1");
  const Input marker{"marker", txn, InputKind::timer, "timer.marker", clock.now_ms(), {}};
  ASSERT_TRUE(producer.produce_sync(config.kafka.inputs, txn, boost::json::serialize(to_json(marker))));
  ASSERT_TRUE(inputs.wait_until([](const auto& recs) { return !recs.empty(); }));
  for (const auto& r : inputs.records()) EXPECT_EQ(get_string(r, "input_id"), "marker") << boost::json::serialize(r);
}

TEST_F(CommandsApi, CancelRefundAndReconcileNameTheirPaymentByPath) {
  const std::string card(esipay_cards::kApprove);
  ASSERT_EQ(post("/v1/payments", card_payment("API-4", card), "key-API-4").status, 202);
  const std::string txn = derive_txn_id("ZANDO", "API-4");
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return latest_status(evs, txn) == "succeeded"; }));
  // A part, then the rest.
  const HttpResponse part = post("/v1/payments/" + txn + "/refunds",
                                 json::object{{"amount", {{"value", 4000}, {"currency", "XOF"}}}}, "refund-1");
  ASSERT_EQ(part.status, 202) << part.body;
  EXPECT_EQ(get_string(body_of(part), "type"), "refund.create");
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return latest_status(evs, txn) == "partially_refunded"; }));
  ASSERT_EQ(post("/v1/payments/" + txn + "/refunds", "", "refund-2").status, 202);
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return latest_status(evs, txn) == "refunded"; }));
  // A body naming another payment than the path is refused.
  const HttpResponse elsewhere =
      post("/v1/payments/" + txn + "/refunds", json::object{{"reference", "API-other"}}, "refund-3");
  EXPECT_EQ(elsewhere.status, 400);
  EXPECT_EQ(code_of(elsewhere), "api.not_a_command_body");
  // Reconciliation asked by hand is accepted for any payment; a cancel reaches the flow, which says
  // what it makes of it.
  const HttpResponse reconcile = post("/v1/payments/" + txn + "/reconcile", "", "reconcile-1");
  EXPECT_EQ(reconcile.status, 202) << reconcile.body;
  EXPECT_EQ(get_string(body_of(reconcile), "type"), "transaction.reconcile");
  const HttpResponse cancel = post("/v1/payments/" + txn + "/cancel", "{}", "cancel-1");
  EXPECT_EQ(cancel.status, 202) << cancel.body;
  EXPECT_EQ(get_string(body_of(cancel), "type"), "payment.cancel");
}

TEST_F(CommandsApi, CardDataSentOverHttpIsOnNoTopicInClear) {
  const std::string card(esipay_cards::kApprove);
  TopicCollector inputs{cluster.bootstrap, "corridor.inputs"};
  ASSERT_EQ(post("/v1/payments", card_payment("API-5", card), "key-API-5").status, 202);
  // A refused card command: its dead letter hides the card.
  json::object refused = card_payment("API-6", card);
  refused["amount"] = {{"value", 10000}, {"currency", "ZZZ"}};
  ASSERT_EQ(post("/v1/payments", refused, "key-API-6").status, 400);
  // And one refused before it is read (no token): the same.
  ASSERT_EQ(post("/v1/payments", card_payment("API-7", card), "key-API-7", "").status, 401);
  const std::string txn = derive_txn_id("ZANDO", "API-5");
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return latest_status(evs, txn) == "succeeded"; }));
  ASSERT_TRUE(deadletters.wait_until([](const auto& dls) { return dls.size() >= 2; }));
  ASSERT_TRUE(inputs.wait_until([](const auto& ins) { return !ins.empty(); }));
  for (const auto* topic : {&inputs, &events, &deadletters})
    for (const auto& r : topic->records())
      EXPECT_EQ(boost::json::serialize(r).find(card), std::string::npos) << boost::json::serialize(r);
}

TEST_F(CommandsApi, AMerchantsTokenSpeaksForThatMerchantOnly) {
  // The merchant left out: the token's.
  json::object mine = payin("API-8");
  mine.erase("merchant");
  const HttpResponse r = post("/v1/payments", mine, "key-API-8", kZando);
  ASSERT_EQ(r.status, 202) << r.body;
  const std::string txn = derive_txn_id("ZANDO", "API-8");
  EXPECT_EQ(get_string(body_of(r), "txn_id"), txn);
  // Another merchant named: forbidden; another merchant's payment: unknown.
  const HttpResponse theirs = post("/v1/payments", payin("API-9"), "key-API-9", kOther);
  EXPECT_EQ(theirs.status, 403);
  EXPECT_EQ(code_of(theirs), "api.other_merchant");
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return latest_status(evs, txn) == "succeeded"; }));
  const HttpResponse cancel = post("/v1/payments/" + txn + "/cancel", "", "cancel-API-8", kOther);
  EXPECT_EQ(cancel.status, 404);
  EXPECT_EQ(code_of(cancel), "api.unknown_transaction");
  // An operator must name the merchant.
  EXPECT_EQ(post("/v1/payments", mine, "key-API-10").status, 400);
  // No token, a wrong one: 401.
  EXPECT_EQ(post("/v1/payments", payin("API-11"), "key-API-11", "").status, 401);
  EXPECT_EQ(post("/v1/payments", payin("API-11"), "key-API-11", "wrong-token-0123456789").status, 401);
}

TEST_F(CommandsApi, TheCallersTraceReachesEveryEventOfThePayment) {
  const std::string trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  HttpHeaders headers{{"Idempotency-Key", "key-API-14"}, {"Authorization", std::string("Bearer ") + kOperator},
                      {"traceparent", trace}};
  auto r = http->send(HttpRequest{"POST", "http://" + engine->runtime().operations_address() + "/v1/payments", headers,
                                  boost::json::serialize(payin("API-14")), ""},
                      std::chrono::seconds(10));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 202) << r->body;
  const std::string txn = derive_txn_id("ZANDO", "API-14");
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return latest_status(evs, txn) == "succeeded"; }));
  std::size_t seen = 0;
  for (const auto& [event, record_headers] : events.records_with_headers()) {
    if (get_string(event, "txn_id") != txn) continue;
    ++seen;
    std::string got;
    for (const auto& [k, v] : record_headers)
      if (k == "traceparent") got = v;
    EXPECT_EQ(got, trace) << boost::json::serialize(event);
  }
  EXPECT_EQ(seen, 5u);
}

TEST_F(CommandsApi, APayoutIsAcceptedOnItsOwnRoute) {
  json::object payout{{"merchant", "ZANDO"},
                      {"reference", "API-12"},
                      {"provider", "interac"},
                      {"flow", "withdrawal"},
                      {"amount", {{"value", 2500}, {"currency", "CAD"}}},
                      {"customer", {{"email", "awa@example.com"}, {"name", "Awa"}}}};
  const HttpResponse r = post("/v1/payouts", payout, "key-API-12");
  EXPECT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(get_string(body_of(r), "type"), "payout.create");
  // A payout sent as a payment is refused by the router's rule on create commands.
  const HttpResponse wrong = post("/v1/payments", payout, "key-API-13");
  EXPECT_EQ(wrong.status, 400);
  EXPECT_EQ(code_of(wrong), "pipeline.invalid_command");
}

}  // namespace
}  // namespace corridor
