// Stop the engine in the middle of a stream and start it again on the same store and the same Kafka
// log: every transaction finishes with versions 1..n, and no event_id is ever published with two
// different bodies.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <map>

#include "engine/pipeline/commands.hpp"
#include "sandbox/novasend/novasend_sandbox.hpp"
#include "tests/support/runtime_harness.hpp"

namespace corridor {
namespace {

using namespace testing;

TEST(Restart, StreamSurvivesAStopInTheMiddle) {
  TempDir dir;
  Cluster cluster;
  TopicCollector events{cluster.bootstrap, "corridor.events"};
  const std::vector<std::pair<std::string, std::string>> kinds = {
      {"+2250700000001", "succeeded"}, {"+2250700000002", "failed"}, {"+2250700000003", "declined"},
      {"+2250700000005", "succeeded"}, {"+2250700000004", "expired"}};
  constexpr int kPayments = 60;
  std::map<std::string, std::string> expected;  // txn -> status

  // The provider outlives corridor, as a real one does: one sandbox for both engines.
  Config config = test_config(cluster, dir.path());
  config.sandbox.enabled = false;
  NovaSendSandboxOptions options;
  options.api_key = config.providers["novasend"]["api_key"];
  options.api_client = config.providers["novasend"]["api_client"];
  options.webhook_secret = config.providers["novasend"]["webhook_secret"];
  NovaSendSandbox sandbox(options);
  sandbox.start();
  config.providers["novasend"]["base_url"] = sandbox.base_url();
  auto start_engine = [&] {
    auto e = std::make_unique<Engine>(config);
    sandbox.set_webhook_url(e->runtime().public_url() + "/webhooks/novasend");
    return e;
  };

  auto engine = start_engine();
  for (int i = 0; i < kPayments; ++i) {
    const auto& [msisdn, status] = kinds[static_cast<std::size_t>(i) % kinds.size()];
    const std::string reference = "RESTART-" + std::to_string(i);
    expected[derive_txn_id("ZANDO", reference)] = status;
    engine->publish_command(payin_command(reference, msisdn));
  }
  // Stop once part of the stream is through, while the rest is in flight.
  ASSERT_TRUE(events.wait_until([](const auto& evs) { return evs.size() >= 40; }, std::chrono::seconds(60)));
  engine.reset();
  const std::size_t seen_before_restart = events.records().size();

  engine = start_engine();
  const bool all_final = events.wait_until(
      [&](const auto& evs) {
        for (const auto& [txn, status] : expected)
          if (latest_status(evs, txn) != status) return false;
        return true;
      },
      std::chrono::seconds(90));
  engine.reset();

  const auto all = events.records();
  EXPECT_LT(seen_before_restart, all.size());
  std::map<std::string, std::string> body_of;  // event_id -> body
  std::map<std::string, std::map<std::int64_t, int>> versions;
  for (const auto& e : all) {
    const std::string id(get_string(e, "event_id"));
    const std::string body = boost::json::serialize(e);
    auto [it, inserted] = body_of.emplace(id, body);
    EXPECT_TRUE(inserted || it->second == body) << "event " << id << " published with two bodies";
    versions[std::string(get_string(e, "txn_id"))][get_int(e, "version")]++;
  }
  for (const auto& [txn, status] : expected) {
    EXPECT_EQ(latest_status(all, txn), status) << txn;
    EXPECT_EQ(sandbox.sessions_created(txn), 1u) << txn << ": charged twice";
    const auto& v = versions[txn];
    ASSERT_FALSE(v.empty()) << txn;
    std::int64_t n = 0;
    for (const auto& [version, _] : v) EXPECT_EQ(version, ++n) << txn << ": gap in versions";
  }
  ASSERT_TRUE(all_final);
}

}  // namespace
}  // namespace corridor
