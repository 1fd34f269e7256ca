// No single input stops corridor: oversized and malformed records, a record Kafka refuses, a Kafka
// that takes nothing for a while, and commands reusing an id. Each gets a bounded dead letter (or a
// clear refusal), the engine moves on, and a part that cannot move shows on /healthz.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <functional>

#include "adapters/novasend/novasend_adapter.hpp"
#include "engine/pipeline/commands.hpp"
#include "engine/io/http_client.hpp"
#include "tests/support/runtime_harness.hpp"

namespace corridor {
namespace {

using namespace testing;

constexpr std::size_t kDeadLetterBound = 6 * 4096 + 2048;  // the kept prefix escaped, and the fields around it

bool rejected_with(const std::vector<json::object>& events, std::string_view reason) {
  for (const auto& e : events)
    if (get_string(e, "type") == "command.rejected" && get_string(e, "reason").find(reason) != std::string_view::npos)
      return true;
  return false;
}

class Poison : public ::testing::Test {
 protected:
  // `tweak` changes the test configuration before the engine starts (dir and cluster exist by then:
  // they are declared before the engine).
  explicit Poison(std::function<void(Config&)> tweak = {})
      : engine(std::make_unique<Engine>([&] {
          Config c = test_config(cluster, dir.path());
          if (tweak) tweak(c);
          return c;
        }())) {}

  void expect_alive(const std::string& reference) {
    engine->publish_command(payin_command(reference, "+2250700000001"));
    EXPECT_TRUE(events.wait_until(
        [&](const auto& evs) { return latest_status(evs, derive_txn_id("ZANDO", reference)) == "succeeded"; }))
        << reference << " did not complete: the engine stopped";
  }

  // The dead letter whose reason holds `reason`, once there is one.
  json::object deadletter(std::string_view reason) {
    json::object found;
    EXPECT_TRUE(deadletters.wait_until([&](const auto& recs) {
      for (const auto& d : recs)
        if (get_string(d, "reason").find(reason) != std::string_view::npos) {
          found = d;
          return true;
        }
      return false;
    })) << "no dead letter mentioning '" << reason << "'";
    return found;
  }

  TempDir dir;
  Cluster cluster;
  std::unique_ptr<Engine> engine;
  TopicCollector events{cluster.bootstrap, "corridor.events"};
  TopicCollector deadletters{cluster.bootstrap, "corridor.deadletter"};
};

TEST_F(Poison, AHugeCommandThatIsNotJsonIsDeadLetteredBoundedAndTheRouterGoesOn) {
  engine->publish_raw("ZANDO:huge", std::string(170 * 1024, '\x01'));
  const json::object d = deadletter("not valid JSON");
  EXPECT_EQ(get_int(d, "payload_bytes"), 170 * 1024);
  EXPECT_EQ(get_string(d, "payload_sha256").size(), 64u);
  EXPECT_LT(boost::json::serialize(d).size(), kDeadLetterBound);
  expect_alive("AFTER-HUGE");
}

TEST_F(Poison, ACommandOverTheLimitIsRejectedUnreadAndTheRouterGoesOn) {
  json::object cmd = payin_command("BIG-1", "+2250700000001");
  cmd["description"] = std::string(600 * 1024, 'x');
  engine->publish_command(cmd);
  json::object refund{{"type", "refund.create"}, {"command_id", "r-big"}, {"merchant", "ZANDO"},
                      {"reference", "NEVER-SEEN"}, {"note", std::string(600 * 1024, 'y')}};
  engine->publish_command(refund);
  EXPECT_TRUE(events.wait_until([](const auto& evs) {
    int n = 0;
    for (const auto& e : evs)
      n += get_string(e, "type") == "command.rejected" &&
           get_string(e, "reason").find("larger than limits.command_bytes") != std::string_view::npos;
    return n == 2;
  }));
  EXPECT_LT(boost::json::serialize(deadletter("larger than limits.command_bytes")).size(), kDeadLetterBound);
  expect_alive("AFTER-BIG");
}

TEST_F(Poison, AnOversizedRecordOnTheInputsTopicIsDeadLetteredByTheProcessor) {
  KafkaProducer upstream(cluster.bootstrap);
  ASSERT_TRUE(upstream.produce_sync("corridor.inputs", "tx_x", std::string(600 * 1024, 'z')));
  const json::object d = deadletter("larger than limits.input_bytes");
  EXPECT_EQ(get_string(d, "source"), "processor");
  EXPECT_LT(boost::json::serialize(d).size(), kDeadLetterBound);
  expect_alive("AFTER-INPUT");
}

TEST_F(Poison, TwoPaymentsMayShareACommandIdAndTheSameIdForAnotherCommandIsRefused) {
  // Another reference, the same command id: another transaction, another command.
  auto first = payin_command("SHARE-1", "+2250700000001");
  auto second = payin_command("SHARE-2", "+2250700000001");
  first["command_id"] = second["command_id"] = "shared-id";
  engine->publish_command(first);
  engine->publish_command(second);
  EXPECT_TRUE(events.wait_until([](const auto& evs) {
    return latest_status(evs, derive_txn_id("ZANDO", "SHARE-1")) == "succeeded" &&
           latest_status(evs, derive_txn_id("ZANDO", "SHARE-2")) == "succeeded";
  }));
  // The same id for a cancel of SHARE-1: another body under an id that named a payment.
  json::object cancel{{"type", "payment.cancel"}, {"command_id", "shared-id"}, {"merchant", "ZANDO"}, {"reference", "SHARE-1"}};
  engine->publish_command(cancel);
  EXPECT_TRUE(events.wait_until(
      [](const auto& evs) { return rejected_with(evs, "command_id 'shared-id' was already used for another command"); }));
  // The very same command again is a no-op: no event, no rejection.
  engine->publish_command(first);
  expect_alive("AFTER-SHARE");
  int rejections = 0;
  for (const auto& e : events.records()) rejections += get_string(e, "type") == "command.rejected";
  EXPECT_EQ(rejections, 1);
  auto changes = [&](std::string_view reference) {
    std::size_t n = 0;
    for (const auto& e : events_of(events.records(), derive_txn_id("ZANDO", reference)))
      n += get_string(e, "type") == "transaction.state_changed";
    return n;
  };
  EXPECT_EQ(changes("SHARE-1"), changes("SHARE-2"));
}

// What the router's producer refuses for what it is (over its message.max.bytes) goes as a minimal
// dead letter and a command.rejected, and the offset moves on.
class PoisonSmallRecords : public Poison {
 protected:
  PoisonSmallRecords() : Poison([](Config& c) { c.kafka.properties["message.max.bytes"] = "100000"; }) {}
};

TEST_F(PoisonSmallRecords, ARecordKafkaRefusesIsDeadLetteredInItsMinimalForm) {
  json::object cmd = payin_command("REFUSED-1", "+2250700000001");
  cmd["description"] = std::string(150 * 1024, 'x');  // within limits.command_bytes, beyond message.max.bytes
  engine->publish_command(cmd);
  EXPECT_TRUE(events.wait_until([](const auto& evs) { return rejected_with(evs, "Kafka refused the command's input record"); }));
  // The rejection names the command as the sender knows it.
  for (const auto& e : events.records()) {
    if (get_string(e, "type") != "command.rejected" || get_string(e, "reason").find("Kafka refused") == std::string_view::npos)
      continue;
    EXPECT_EQ(get_string(e, "merchant"), "ZANDO");
    EXPECT_EQ(get_string(e, "reference"), "REFUSED-1");
    EXPECT_EQ(get_string(e, "command_id"), get_string(cmd, "command_id"));
  }
  const json::object d = deadletter("its minimal form");
  EXPECT_EQ(get_string(d, "refused_topic"), "corridor.inputs");
  EXPECT_GT(get_int(d, "record_bytes"), 150 * 1024);
  EXPECT_EQ(get_string(d, "topic"), "corridor.commands");  // where to find the command itself
  EXPECT_LT(boost::json::serialize(d).size(), 2048u);
  expect_alive("AFTER-REFUSED");
  EXPECT_GE(engine->runtime().metrics().records_refused.load(), 1);
}

// While Kafka takes nothing for corridor.inputs, the router holds its batch, backs off, and says so on
// /healthz (503, naming it); once Kafka takes records again it goes on and the payment completes.
class PoisonKafkaDown : public Poison {
 protected:
  PoisonKafkaDown() : Poison([](Config& c) { c.kafka.properties["message.timeout.ms"] = "1000"; }) {}

  HttpResponse health() {
    auto r = http->send(HttpRequest{"GET", "http://" + engine->runtime().operations_address() + "/healthz", {}, "", ""},
                        std::chrono::seconds(10));
    return r ? *r : HttpResponse{0, {}, ""};
  }
  std::unique_ptr<HttpClient> http = recording_http_client();
};

TEST_F(PoisonKafkaDown, AStuckRouterShowsOnHealthzAndRecovers) {
  expect_alive("BEFORE-DOWN");
  ASSERT_EQ(health().status, 200);
  // corridor.inputs loses its leaders: nothing can be produced to it.
  for (std::int32_t p = 0; p < 4; ++p) cluster.kafka->set_partition_leader("corridor.inputs", p, -1);
  engine->publish_command(payin_command("DURING-DOWN", "+2250700000001"));
  HttpResponse stuck;
  ASSERT_TRUE(eventually(
      [&] {
        stuck = health();
        return stuck.status == 503;
      },
      std::chrono::seconds(60)))
      << stuck.body;
  const auto body = boost::json::parse(stuck.body).as_object();
  EXPECT_EQ(get_string(body, "status"), "unavailable");
  bool router = false;
  for (const auto& c : body.at("components").as_array())
    router = router || get_string(c.as_object(), "component") == "router";
  EXPECT_TRUE(router) << stuck.body;
  for (std::int32_t p = 0; p < 4; ++p) cluster.kafka->set_partition_leader("corridor.inputs", p, 1 + p % 3);
  EXPECT_TRUE(events.wait_until(
      [&](const auto& evs) { return latest_status(evs, derive_txn_id("ZANDO", "DURING-DOWN")) == "succeeded"; },
      std::chrono::seconds(90)));
  EXPECT_TRUE(eventually([&] { return health().status == 200; }, std::chrono::seconds(30)));
}

// Refused requests are dead-lettered within a rate per source, counted beyond it.
class PoisonRefusals : public Poison {
 protected:
  PoisonRefusals() : Poison([](Config& c) { c.limits.refusals_per_minute = 5; }) {}
};

TEST_F(PoisonRefusals, AFloodOfBadWebhooksCannotFillKafka) {
  auto http = recording_http_client();
  const auto began = std::chrono::steady_clock::now();
  for (int i = 0; i < 40; ++i) {
    auto r = http->send(HttpRequest{"POST", engine->runtime().public_url() + "/webhooks/nobody", {}, "{\"n\":1}", ""},
                        std::chrono::seconds(10));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
  }
  expect_alive("AFTER-FLOOD");
  const auto refused = [&] {
    int n = 0;
    for (const auto& d : deadletters.records()) n += get_string(d, "source") == "ingress";
    return n;
  };
  // The bucket holds 5 and refills at 5 a minute (one per 12 s) while the test runs.
  const auto elapsed_s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - began).count();
  const int allowed = 5 + static_cast<int>((elapsed_s + 11) / 12);
  EXPECT_GE(refused(), 5);
  EXPECT_LE(refused(), allowed);
  EXPECT_GE(engine->runtime().metrics().refusals_unrecorded.load(), 40 - allowed);
  EXPECT_EQ(engine->runtime().metrics().webhooks_refused.load(), 40);
  EXPECT_GE(engine->runtime().metrics().deadletters_published.load(), refused());
}

// A signed notification of a type corridor does not act on: acknowledged (the provider stops
// redelivering), kept on its transaction's log, and ignored.
TEST_F(Poison, AnUnhandledWebhookTypeIsAcknowledgedKeptAndIgnored) {
  engine->publish_command(payin_command("UNHANDLED-1", "+2250700000001"));
  const auto txn = derive_txn_id("ZANDO", "UNHANDLED-1");
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return latest_status(evs, txn) == "succeeded"; }));
  const std::size_t before = events_of(events.records(), txn).size();
  TopicCollector inputs{cluster.bootstrap, "corridor.inputs"};
  auto http = recording_http_client();
  const std::string secret = engine->config().providers.at("novasend").at("webhook_secret");
  auto post = [&](std::string body) {
    const std::string t = "1795867200";
    HttpRequest req{"POST", engine->runtime().public_url() + "/webhooks/novasend",
                    {{"Content-Type", "application/json"},
                     {"X-NovaSend-Signature", "t=" + t + ",v1=" + novasend_webhook_signature(secret, t, body)}},
                    std::move(body), ""};
    auto r = http->send(req, std::chrono::seconds(10));
    return r ? r->status : -1;
  };
  EXPECT_EQ(post(boost::json::serialize(json::object{
                {"id", "evt_unhandled_1"}, {"event", "payin.refunded"}, {"data", {{"customerReference", txn}}}})),
            200);
  EXPECT_EQ(post(R"({"id":"evt_unhandled_2","event":"account.updated","data":{}})"), 200);
  EXPECT_TRUE(inputs.wait_until([&](const auto& recs) {
    for (const auto& r : recs)
      if (get_string(r, "name") == "unhandled.payin.refunded" && get_string(r, "txn_id") == txn) return true;
    return false;
  }));
  deadletter("event type 'account.updated' is not handled: acknowledged and ignored");
  expect_alive("AFTER-UNHANDLED");
  EXPECT_EQ(events_of(events.records(), txn).size(), before);
}

// An unsigned callback naming another provider's transaction never reaches that transaction's flow.
TEST_F(Poison, ACallbackNamingAnotherProvidersTransactionIsRefused) {
  engine->publish_command(payin_command("OTHERS-1", "+2250700000001"));
  const auto txn = derive_txn_id("ZANDO", "OTHERS-1");
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return latest_status(evs, txn) == "succeeded"; }));
  auto http = recording_http_client();
  auto r = http->send(HttpRequest{"POST", engine->runtime().public_url() + "/webhooks/flexpay",
                                  {{"Content-Type", "application/json"}},
                                  boost::json::serialize(json::object{{"code", "0"},
                                                                      {"reference", txn},
                                                                      {"provider_reference", "x"},
                                                                      {"orderNumber", "ord-1"}}),
                                  ""},
                      std::chrono::seconds(10));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  deadletter("unknown transaction for provider flexpay");
}

}  // namespace
}  // namespace corridor
