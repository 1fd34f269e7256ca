// The sandboxes' webhook delivery helpers (sandbox/support/webhooks.cpp), with a fake HttpClient.
#include "sandbox/support/webhooks.hpp"
#include "engine/io/errc.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace corridor {
namespace {

using namespace std::chrono_literals;

class RecordingClient final : public HttpClient {
 public:
  explicit RecordingClient(Result<HttpResponse> answer) : answer_(std::move(answer)) {}
  Result<HttpResponse> send(const HttpRequest& request, std::chrono::milliseconds timeout) override {
    requests.push_back(request);
    timeouts.push_back(timeout);
    return answer_;
  }
  std::vector<HttpRequest> requests;
  std::vector<std::chrono::milliseconds> timeouts;

 private:
  Result<HttpResponse> answer_;
};

HttpResponse status(int code) {
  HttpResponse r;
  r.status = code;
  return r;
}

TEST(RetryPolicy, DoublesTheDelayUntilTheLastAttempt) {
  const RetryPolicy policy{5, 100ms};
  EXPECT_EQ(policy.delay_after(1), 100ms);
  EXPECT_EQ(policy.delay_after(2), 200ms);
  EXPECT_EQ(policy.delay_after(3), 400ms);
  EXPECT_EQ(policy.delay_after(4), 800ms);
  EXPECT_EQ(policy.delay_after(5), std::nullopt);
}

TEST(RetryPolicy, StopsDoublingAfterTenTimes) {
  const RetryPolicy policy{20, 1ms};
  EXPECT_EQ(policy.delay_after(11), 1024ms);
  EXPECT_EQ(policy.delay_after(15), 1024ms);
}

TEST(PostJson, SendsAJsonPostWithTheExtraHeadersAfterTheContentType) {
  RecordingClient client(status(204));
  EXPECT_TRUE(post_json(client, "http://127.0.0.1:1/webhooks/x", R"({"a":1})", {{"X-Signature", "sig"}}, 2000ms));
  ASSERT_EQ(client.requests.size(), 1u);
  const HttpRequest& req = client.requests[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "http://127.0.0.1:1/webhooks/x");
  EXPECT_EQ(req.body, R"({"a":1})");
  EXPECT_EQ(req.headers, (HttpHeaders{{"Content-Type", "application/json"}, {"X-Signature", "sig"}}));
  EXPECT_EQ(client.timeouts[0], 2000ms);
}

TEST(PostJson, OnlyA2xxIsADelivery) {
  RecordingClient redirect(status(302));
  EXPECT_FALSE(post_json(redirect, "http://h/", "{}", {}, 1ms));
  RecordingClient server_error(status(500));
  EXPECT_FALSE(post_json(server_error, "http://h/", "{}", {}, 1ms));
  RecordingClient unreachable(fail(http_errc::connect_failed, "connection refused"));
  EXPECT_FALSE(post_json(unreachable, "http://h/", "{}", {}, 1ms));
  RecordingClient ok(status(299));
  EXPECT_TRUE(post_json(ok, "http://h/", "{}", {}, 1ms));
}

}  // namespace
}  // namespace corridor
