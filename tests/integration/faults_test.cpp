// Faults through the real runtime: a full store that clears, Kafka brokers down and back, injected
// Kafka request errors, and a storm of duplicate and out-of-order webhooks. Whatever happens, every
// payment ends at its status with versions 1..n, and no event id is published with two bodies.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <map>

#include "adapters/novasend/novasend_adapter.hpp"
#include "engine/pipeline/commands.hpp"
#include "engine/io/http_client.hpp"
#include "tests/support/runtime_harness.hpp"

namespace corridor {
namespace {

using namespace testing;

// Every transaction of `references` at `status`, versions consecutive, no event id with two bodies.
void expect_clean_history(const std::vector<json::object>& events, const std::vector<std::string>& references,
                          std::string_view status) {
  std::map<std::string, std::string> body_of;
  for (const auto& e : events) {
    auto [it, inserted] = body_of.emplace(std::string(get_string(e, "event_id")), boost::json::serialize(e));
    EXPECT_TRUE(inserted || it->second == boost::json::serialize(e)) << "two bodies for " << it->first;
  }
  for (const auto& reference : references) {
    const auto txn = derive_txn_id("ZANDO", reference);
    EXPECT_EQ(latest_status(events, txn), status) << reference;
    std::map<std::int64_t, int> versions;
    for (const auto& e : events_of(events, txn)) versions[get_int(e, "version")]++;
    std::int64_t n = 0;
    for (const auto& [v, _] : versions) EXPECT_EQ(v, ++n) << reference << ": gap in versions";
  }
}

bool all_at(const std::vector<json::object>& events, const std::vector<std::string>& references, std::string_view status) {
  for (const auto& r : references)
    if (latest_status(events, derive_txn_id("ZANDO", r)) != status) return false;
  return true;
}

std::vector<std::string> references(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

class Faults : public ::testing::Test {
 protected:
  TempDir dir;
  Cluster cluster;
  std::unique_ptr<Engine> engine = std::make_unique<Engine>(cluster, dir.path());
  TopicCollector events{cluster.bootstrap, "corridor.events"};
};

TEST_F(Faults, FullStoreStallsTheBatchWhichCommitsOnceItClears) {
  Store& store = engine->runtime().store();
  engine->publish_command(payin_command("WARM", "+2250700000001"));
  ASSERT_TRUE(events.wait_until([](const auto& evs) { return all_at(evs, {"WARM"}, "succeeded"); }));

  auto size = store.size_bytes();
  ASSERT_TRUE(size);
  ASSERT_TRUE(store.limit_size(*size));  // the "disk" is full from now on
  const auto refs = references("FULL-", 40);
  for (const auto& r : refs) engine->publish_command(payin_command(r, "+2250700000001"));
  ASSERT_TRUE(eventually([&] { return engine->runtime().metrics().store_commit_failures.load() > 0; }));

  ASSERT_TRUE(store.limit_size(0));  // space again
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return all_at(evs, refs, "succeeded"); }, std::chrono::seconds(60)));
  expect_clean_history(events.records(), refs, "succeeded");
}

TEST_F(Faults, ReadOnlyStoreStallsTheBatchWhichCommitsOnceWritable) {
  Store& store = engine->runtime().store();
  ASSERT_TRUE(store.set_read_only(true));
  const auto refs = references("READONLY-", 10);
  for (const auto& r : refs) engine->publish_command(payin_command(r, "+2250700000001"));
  ASSERT_TRUE(eventually([&] { return engine->runtime().metrics().store_commit_failures.load() > 0; }));
  // Nothing half-written: no transaction of the stalled batch exists yet.
  for (const auto& r : refs) {
    auto txn = store.load(derive_txn_id("ZANDO", r));
    ASSERT_TRUE(txn);
    EXPECT_FALSE(*txn) << r;
  }
  ASSERT_TRUE(store.set_read_only(false));
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return all_at(evs, refs, "succeeded"); }, std::chrono::seconds(60)));
  expect_clean_history(events.records(), refs, "succeeded");
}

TEST_F(Faults, EveryBrokerDownThenBackLosesNothing) {
  engine->publish_command(payin_command("BEFORE-DOWN", "+2250700000001"));
  ASSERT_TRUE(events.wait_until([](const auto& evs) { return all_at(evs, {"BEFORE-DOWN"}, "succeeded"); }));

  for (int broker = 1; broker <= 3; ++broker) cluster.kafka->set_broker_down(broker);
  KafkaProducer upstream(cluster.bootstrap);
  std::atomic<int> acked{0};
  const auto refs = references("DOWN-", 10);
  for (const auto& r : refs)
    upstream.produce("corridor.commands", "ZANDO:" + r, boost::json::serialize(payin_command(r, "+2250700000001")),
                     [&](const std::string& error) { acked += error.empty() ? 1 : 0; });
  EXPECT_EQ(acked.load(), 0);  // nobody can acknowledge while every broker is down
  for (int broker = 1; broker <= 3; ++broker) cluster.kafka->set_broker_up(broker);

  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return all_at(evs, refs, "succeeded"); }, std::chrono::seconds(90)));
  EXPECT_EQ(acked.load(), 10);
  expect_clean_history(events.records(), refs, "succeeded");
}

TEST_F(Faults, InjectedKafkaRequestErrorsAreRetriedWithoutDuplicates) {
  constexpr int kNotLeader = 6, kRequestTimedOut = 7, kNotEnoughReplicas = 19;
  cluster.kafka->push_request_errors(0 /* Produce */, {kNotLeader, kRequestTimedOut, kNotEnoughReplicas, kNotLeader});
  cluster.kafka->push_request_errors(1 /* Fetch */, {kNotLeader, kRequestTimedOut});
  const auto refs = references("INJECTED-", 20);
  for (const auto& r : refs) engine->publish_command(payin_command(r, "+2250700000001"));
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return all_at(evs, refs, "succeeded"); }, std::chrono::seconds(60)));
  expect_clean_history(events.records(), refs, "succeeded");
}

TEST_F(Faults, WebhookStormOfDuplicatesAndOutOfOrderEventsChangesNothingFinal) {
  engine->publish_command(payin_command("STORM", "+2250700000001"));
  const auto txn = derive_txn_id("ZANDO", "STORM");
  ASSERT_TRUE(events.wait_until([](const auto& evs) { return all_at(evs, {"STORM"}, "succeeded"); }));
  const std::size_t events_before = events_of(events.records(), txn).size();

  auto http = recording_http_client();
  const std::string url = engine->runtime().public_url() + "/webhooks/novasend";
  const std::string secret = engine->config().providers.at("novasend").at("webhook_secret");
  int accepted = 0;
  for (int i = 0; i < 60; ++i) {
    // 40 copies of one confirmation (the same event id), then 20 distinct late declines.
    const bool decline = i >= 40;
    const std::string body = boost::json::serialize(json::object{
        {"id", decline ? "evt_storm_decline_" + std::to_string(i) : std::string("evt_storm_confirm")},
        {"event", decline ? "payin.declined" : "payin.confirmed"},
        {"createdAt", "2026-11-22T10:00:00.000Z"},
        {"data", {{"reference", "tr_storm"}, {"customerReference", txn}, {"confirmationStatus", decline ? "declined" : "accepted"}}}});
    const std::string t = "1795867200";
    HttpRequest req{"POST", url, {{"Content-Type", "application/json"},
                                  {"X-NovaSend-Signature", "t=" + t + ",v1=" + novasend_webhook_signature(secret, t, body)}},
                    body, ""};
    auto r = http->send(req, std::chrono::seconds(10));
    ASSERT_TRUE(r);
    accepted += r->status == 200;
  }
  EXPECT_EQ(accepted, 60);  // every genuine notification is acknowledged once Kafka holds it
  // The storm was processed (a new payment after it completes), and it changed nothing.
  engine->publish_command(payin_command("AFTER-STORM", "+2250700000001"));
  ASSERT_TRUE(events.wait_until([](const auto& evs) { return all_at(evs, {"AFTER-STORM"}, "succeeded"); }));
  ASSERT_TRUE(eventually([&] { return engine->runtime().metrics().inputs_duplicate.load() >= 39; }));
  EXPECT_EQ(events_of(events.records(), txn).size(), events_before);
  auto stored = engine->runtime().store().load(txn);
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->state, "succeeded");
  expect_clean_history(events.records(), {"STORM"}, "succeeded");
}

TEST_F(Faults, ForgedAndMalformedWebhooksAreRefusedAndDeadLettered) {
  TopicCollector deadletters{cluster.bootstrap, "corridor.deadletter"};
  auto http = recording_http_client();
  const std::string url = engine->runtime().public_url() + "/webhooks/novasend";
  auto post = [&](std::string body, HttpHeaders headers) {
    auto r = http->send(HttpRequest{"POST", url, std::move(headers), std::move(body), ""}, std::chrono::seconds(10));
    return r ? r->status : -1;
  };
  EXPECT_EQ(post(R"({"event":"payin.confirmed"})", {{"X-NovaSend-Signature", "t=1,v1=00"}}) / 100, 4);
  EXPECT_EQ(post("not json", {}) / 100, 4);
  EXPECT_EQ(post(std::string(2 << 20, 'x'), {}), 413);  // over http.max_body_bytes, refused before it is read whole
  auto missing = http->send(HttpRequest{"POST", engine->runtime().public_url() + "/webhooks/nobody", {}, "{}", ""},
                            std::chrono::seconds(10));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  // Four refusals, four dead letters: the oversized body's has no payload (it was never read).
  EXPECT_TRUE(deadletters.wait_until([](const auto& recs) { return recs.size() >= 4; }));
  bool oversized = false;
  for (const auto& d : deadletters.records()) {
    EXPECT_EQ(get_string(d, "source"), "ingress");
    if (get_int(d, "http_status") == 413) {
      oversized = true;
      EXPECT_EQ(get_string(d, "target"), "/webhooks/novasend") << boost::json::serialize(d);
      EXPECT_EQ(get_string(d, "payload"), "");
    }
  }
  EXPECT_TRUE(oversized);
}

}  // namespace
}  // namespace corridor
