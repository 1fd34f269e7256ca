// The Cynod sandbox over loopback, driven through corridor's own adapter, with a small HttpServer
// standing in for corridor's POST /webhooks/cynod. Scenarios of docs/providers/cynod.md.
#include "sandbox/cynod/cynod_sandbox.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "adapters/cynod/cynod_adapter.hpp"
#include "engine/io/http_client.hpp"
#include "engine/io/http_server.hpp"

namespace corridor {
namespace {

using namespace std::chrono_literals;

class WebhookReceiver {
 public:
  WebhookReceiver()
      : server_("127.0.0.1", 0, [this](HttpRequest req, Respond respond) {
          {
            std::lock_guard lock(m_);
            received_.push_back(std::move(req));
            cv_.notify_all();
          }
          respond(json_response(200, "{}"));
        }) {}
  std::string url() const { return "http://" + server_.address() + "/webhooks/cynod"; }
  bool wait_for(std::size_t n, std::chrono::milliseconds within = 10s) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, within, [&] { return received_.size() >= n; });
  }
  std::vector<HttpRequest> received() {
    std::lock_guard lock(m_);
    return received_;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<HttpRequest> received_;
  HttpServer server_;
};

class CynodSandboxTest : public ::testing::Test {
 protected:
  WebhookReceiver corridor;
  CynodSandbox sandbox{[&] {
    CynodSandboxOptions o;
    o.webhook_url = corridor.url();
    o.slow_response = 300ms;
    return o;
  }()};
  std::unique_ptr<CynodAdapter> adapter;
  std::unique_ptr<HttpClient> client = make_http_client();

  void SetUp() override {
    sandbox.start();
    CynodSettings s;
    s.base_url = sandbox.base_url();
    s.api_key = "sandbox-cynod-key";
    s.webhook_secret = "sandbox-cynod-webhook-secret";
    adapter = std::make_unique<CynodAdapter>(s);
  }

  Result<ParsedInput> call(const ProviderCall& c) {
    auto req = adapter->build_request(c);
    if (!req) return req.error();
    auto res = client->send(*req, 5s);
    if (!res) return res.error();
    return adapter->parse_response(c, *res);
  }
  static ProviderCall authorize(const std::string& ref, std::string_view card) {
    return {ref + ":1:request_authorization", "cynod", "request_authorization",
            {{"reference", ref}, {"amount", {{"value", 1500050}, {"currency", "CDF"}}},
             {"card", {{"number", card}, {"exp_month", 12}, {"exp_year", 2027}}}}};
  }
  static ProviderCall op(const std::string& ref, std::string name, json::object extra = {}) {
    extra["reference"] = ref;
    return {ref + ":4:" + name, "cynod", name, std::move(extra)};
  }
  std::vector<ParsedInput> webhooks() {
    std::vector<ParsedInput> out;
    for (auto r : corridor.received()) {
      auto in = adapter->parse_webhook(r);
      EXPECT_TRUE(in) << in.error().message;
      if (in) out.push_back(*in);
    }
    return out;
  }
};

TEST_F(CynodSandboxTest, ApproveThenAcknowledge) {
  auto in = call(authorize("tx_1", cynod_cards::kApprove));
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->name, "authorization.in_progress");
  EXPECT_EQ(get_string(in->data, "card"), "626200******0001");
  ASSERT_TRUE(corridor.wait_for(1));
  auto hooks = webhooks();
  ASSERT_EQ(hooks.size(), 1u);
  EXPECT_EQ(hooks[0].name, "authorization.approved");
  EXPECT_EQ(corridor.received()[0].body.find(cynod_cards::kApprove), std::string::npos);
  const std::string number(get_string(hooks[0].data, "authorization_number"));
  auto ack = call(op("tx_1", "acknowledge", {{"authorization_number", number}, {"status", "approved"}}));
  ASSERT_TRUE(ack) << ack.error().message;
  EXPECT_EQ(ack->name, "acknowledgement.accepted");
  EXPECT_EQ(sandbox.acknowledgements("tx_1"), 1u);
  // A repeated request answers the same authorisation: no second wallet confirmation.
  auto again = call(authorize("tx_1", cynod_cards::kApprove));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->name, "authorization.approved");
  EXPECT_EQ(sandbox.authorizations_created("tx_1"), 1u);
}

TEST_F(CynodSandboxTest, DeclinesAtOnceAndRejected) {
  auto no_account = call(authorize("tx_2", cynod_cards::kNoAccount));
  ASSERT_TRUE(no_account);
  EXPECT_EQ(no_account->name, "authorization.declined");
  EXPECT_EQ(get_string(no_account->data, "reason"), "no_account");
  EXPECT_EQ(get_string(call(authorize("tx_3", cynod_cards::kNoBalance))->data, "reason"), "insufficient_balance");
  auto rejected = call(authorize("tx_4", cynod_cards::kRejected));
  EXPECT_EQ(rejected->name, "authorization.rejected");
  EXPECT_EQ(get_int(rejected->data, "http_status"), 422);
}

TEST_F(CynodSandboxTest, CustomerRefuses) {
  ASSERT_TRUE(call(authorize("tx_5", cynod_cards::kCustomerRefuses)));
  ASSERT_TRUE(corridor.wait_for(1));
  auto hooks = webhooks();
  EXPECT_EQ(hooks[0].name, "authorization.declined");
  EXPECT_EQ(get_string(hooks[0].data, "reason"), "customer_refused");
}

TEST_F(CynodSandboxTest, NeverConfirmsThenCancelled) {
  ASSERT_TRUE(call(authorize("tx_6", cynod_cards::kNeverConfirms)));
  auto cancelled = call(op("tx_6", "cancel_authorization"));
  ASSERT_TRUE(cancelled) << cancelled.error().message;
  EXPECT_EQ(cancelled->name, "authorization.cancelled");
  EXPECT_EQ(sandbox.status_of("tx_6"), "cancelled");
}

TEST_F(CynodSandboxTest, UnavailableOnceThenTheRetrySucceeds) {
  auto first = call(authorize("tx_7", cynod_cards::kUnavailableOnce));
  ASSERT_FALSE(first);
  EXPECT_TRUE(first.error().retryable());
  auto second = call(authorize("tx_7", cynod_cards::kUnavailableOnce));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->name, "authorization.in_progress");
  EXPECT_EQ(sandbox.authorizations_created("tx_7"), 1u);
}

TEST_F(CynodSandboxTest, SlowAnswerStillInProgress) {
  const auto t0 = std::chrono::steady_clock::now();
  auto in = call(authorize("tx_8", cynod_cards::kSlowAnswer));
  ASSERT_TRUE(in);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 300ms);
}

TEST_F(CynodSandboxTest, DuplicateWebhookHasOneId) {
  ASSERT_TRUE(call(authorize("tx_9", cynod_cards::kDuplicateWebhook)));
  ASSERT_TRUE(corridor.wait_for(2));
  auto hooks = webhooks();
  ASSERT_EQ(hooks.size(), 2u);
  EXPECT_EQ(hooks[0].dedupe_id, hooks[1].dedupe_id);
}

TEST_F(CynodSandboxTest, OutOfOrderApprovalBeforeTheAnswer) {
  auto in = call(authorize("tx_10", cynod_cards::kOutOfOrder));
  ASSERT_TRUE(in);
  EXPECT_EQ(in->name, "authorization.in_progress");
  ASSERT_GE(corridor.received().size(), 1u);  // the approval was delivered before the answer
  ASSERT_TRUE(corridor.wait_for(2));
  auto hooks = webhooks();
  EXPECT_EQ(hooks[0].name, "authorization.approved");
  EXPECT_EQ(hooks[1].name, "authorization.in_progress");
}

TEST_F(CynodSandboxTest, NoCallbackButTheCancelTellsTheTruth) {
  ASSERT_TRUE(call(authorize("tx_11", cynod_cards::kNoCallback)));
  std::mutex m;
  std::condition_variable never;
  std::unique_lock lock(m);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (sandbox.status_of("tx_11") != "approved" && std::chrono::steady_clock::now() < deadline) never.wait_for(lock, 5ms);
  auto cancel = call(op("tx_11", "cancel_authorization"));
  ASSERT_TRUE(cancel) << cancel.error().message;
  EXPECT_EQ(cancel->name, "authorization.approved");
  EXPECT_TRUE(corridor.received().empty());
}

TEST_F(CynodSandboxTest, OtherAmountAtStep82) {
  auto in = call(authorize("tx_12", cynod_cards::kOtherAmount));
  ASSERT_TRUE(in);
  EXPECT_EQ(get_string(in->data, "amount"), "15000.50");  // 6.2: the amount asked
  ASSERT_TRUE(corridor.wait_for(1));
  auto hooks = webhooks();
  ASSERT_EQ(hooks.size(), 1u);
  EXPECT_EQ(hooks[0].name, "authorization.approved");
  EXPECT_EQ(get_string(hooks[0].data, "amount"), "14999.50");  // 8.2: one unit less
  EXPECT_EQ(get_string(hooks[0].data, "currency"), "CDF");
}

TEST_F(CynodSandboxTest, AcknowledgementsFail) {
  ASSERT_TRUE(call(authorize("tx_13", cynod_cards::kAcknowledgementFails)));
  ASSERT_TRUE(corridor.wait_for(1));
  const std::string number(get_string(webhooks()[0].data, "authorization_number"));
  auto ack = call(op("tx_13", "acknowledge", {{"authorization_number", number}, {"status", "approved"}}));
  ASSERT_FALSE(ack);
  EXPECT_TRUE(ack.error().retryable());
  EXPECT_EQ(sandbox.status_of("tx_13"), "approved");
}

TEST_F(CynodSandboxTest, BadKeyIs401) {
  HttpRequest req{"POST", sandbox.base_url() + "/v1/authorizations", {{"Authorization", "Bearer nope"}}, "{}", {}};
  EXPECT_EQ(client->send(req, 5s)->status, 401);
}

}  // namespace
}  // namespace corridor
