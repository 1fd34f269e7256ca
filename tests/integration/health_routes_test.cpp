// The health routes over real loopback HTTP on both listeners: /health/live and /healthz (parts stuck),
// /health/ready (this process holds its partitions), without a token even when tokens are configured,
// with the detail (partitions, epochs, fenced commits, reasons) on the operations listener only.
// The partitions are reported to the runtime's Health as the processor reports them; a partition
// number beyond the topic's (999) is one no processor ever claims.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "engine/io/http_client.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/runtime_harness.hpp"

namespace corridor {
namespace {

using namespace testing;

class HealthRoutes : public ::testing::Test {
 protected:
  HttpResponse get(const std::string& base, const std::string& path, const std::string& token = "") {
    HttpHeaders headers;
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    auto r = http->send(HttpRequest{"GET", base + path, headers, "", ""}, std::chrono::seconds(10));
    EXPECT_TRUE(r);
    return r ? *r : HttpResponse{0, {}, ""};
  }
  HttpResponse operations(const std::string& path) {
    return get("http://" + engine->runtime().operations_address(), path);
  }
  HttpResponse public_(const std::string& path) { return get(engine->runtime().public_url(), path); }
  Health& health() { return engine->runtime().health(); }

  TempDir dir;
  Cluster cluster;
  std::unique_ptr<Engine> engine = std::make_unique<Engine>(cluster, dir.path());
  std::unique_ptr<HttpClient> http = recording_http_client();
};

TEST_F(HealthRoutes, LivenessOnBothListeners) {
  for (const char* path : {"/health/live", "/healthz"}) {
    const HttpResponse ops = operations(path);
    EXPECT_EQ(ops.status, 200) << path << " " << ops.body;
    const auto body = boost::json::parse(ops.body).as_object();
    EXPECT_EQ(body.at("status").as_string(), "ok");
    EXPECT_TRUE(body.at("partitions").is_array());
    EXPECT_EQ(body.at("fenced_commits").as_int64(), 0);
    const HttpResponse pub = public_(path);
    EXPECT_EQ(pub.status, 200) << path;
    EXPECT_EQ(pub.body, R"({"status":"ok"})") << path;
  }
}

TEST_F(HealthRoutes, ReadinessFollowsThePartitionsHeld) {
  // The engine's own assignment (every partition, one process), each partition claimed.
  ASSERT_TRUE(eventually([&] { return operations("/health/ready").status == 200; }));
  EXPECT_EQ(public_("/health/ready").body, R"({"status":"ok"})");
  // One process routes every partition of corridor.commands (as many as corridor.inputs has), once its
  // router has taken them.
  boost::json::object ready;
  EXPECT_TRUE(eventually([&] {
    ready = boost::json::parse(operations("/health/ready").body).as_object();
    return !ready.at("commands_partitions").as_array().empty();
  }));
  EXPECT_EQ(ready.at("commands_partitions").as_array().size(), ready.at("partitions").as_array().size());

  // A partition given and never claimed: not ready, and named.
  health().partitions_assigned({999});
  HttpResponse waiting = operations("/health/ready");
  EXPECT_EQ(waiting.status, 503);
  auto body = boost::json::parse(waiting.body).as_object();
  EXPECT_EQ(body.at("status").as_string(), "unavailable");
  bool named = false;
  for (const auto& r : body.at("reasons").as_array()) named = named || r.as_string().find("partition 999") != std::string::npos;
  EXPECT_TRUE(named) << waiting.body;
  EXPECT_EQ(public_("/health/ready").body, R"({"status":"unavailable"})");

  // Claimed, then fenced: listed with its epochs; ready again once revoked.
  health().partition_claimed(999, 4);
  EXPECT_EQ(operations("/health/ready").status, 200);
  health().fenced(999, 4);
  waiting = operations("/health/ready");
  EXPECT_EQ(waiting.status, 503);
  body = boost::json::parse(waiting.body).as_object();
  EXPECT_GE(body.at("fenced_commits").as_int64(), 1);
  bool listed = false;
  for (const auto& p : body.at("partitions").as_array()) {
    const auto& o = p.as_object();
    if (o.at("partition").as_int64() != 999) continue;
    listed = true;
    EXPECT_EQ(o.at("state").as_string(), "fenced");
    EXPECT_EQ(o.at("epoch").as_int64(), 4);
    EXPECT_EQ(o.at("fenced_epoch").as_int64(), 4);
  }
  EXPECT_TRUE(listed) << waiting.body;
  EXPECT_EQ(operations("/health/live").status, 200) << "a fenced commit is not a stall";
  health().partitions_revoked({999});
  EXPECT_EQ(operations("/health/ready").status, 200);
}

TEST_F(HealthRoutes, OnlyGetAndOnlyTheseTwoPaths) {
  EXPECT_EQ(operations("/health").status, 404);
  EXPECT_EQ(operations("/health/other").status, 404);
  EXPECT_EQ(operations("/health/ready/more").status, 404);
  EXPECT_EQ(public_("/health/dead").status, 404);
  auto r = http->send(HttpRequest{"POST", engine->runtime().public_url() + "/health/ready", {}, "", ""},
                      std::chrono::seconds(10));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST_F(HealthRoutes, NoTokenNeededWhenTokensAreConfigured) {
  Config config = test_config(cluster, dir.path() + "/tokens");
  config.auth.operator_tokens = {"operator-token-0123456789"};
  engine.reset();
  engine = std::make_unique<Engine>(config);
  EXPECT_EQ(operations("/health/live").status, 200);
  EXPECT_TRUE(eventually([&] { return operations("/health/ready").status == 200; }));  // its partitions claimed
  EXPECT_EQ(operations("/metrics").status, 401);  // the rest still needs one
}

}  // namespace
}  // namespace corridor
