// FlexPay sandbox over loopback: the seed's Payment Service, callback and Check transaction, and each
// scenario the amount's cents select (docs/providers/flexpay.md). The adapter reads its answers, so
// the two implementations check each other.
#include "sandbox/flexpay/flexpay_sandbox.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <condition_variable>
#include <mutex>

#include "adapters/flexpay/flexpay_adapter.hpp"
#include "engine/io/http_client.hpp"
#include "engine/io/http_server.hpp"

namespace corridor {
namespace {

using namespace std::chrono_literals;

// corridor's side: receives callbacks.
struct Receiver {
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::string> bodies;
  HttpServer server{"127.0.0.1", 0, [this](HttpRequest req, Respond respond) {
                      {
                        std::lock_guard lock(m);
                        bodies.push_back(req.body);
                      }
                      cv.notify_all();
                      respond(json_response(200, "{}"));
                    }};
  std::string url() { return "http://" + server.address() + "/webhooks/flexpay"; }
  // Waits (on the condition variable, woken by callbacks) until `done` holds or the deadline passes.
  bool wait(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(m);
    while (true) {
      lock.unlock();
      const bool ok = done();
      lock.lock();
      if (ok) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      cv.wait_for(lock, 20ms);
    }
  }
  std::size_t count() {
    std::lock_guard lock(m);
    return bodies.size();
  }
};

class FlexPaySandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FlexPaySandboxOptions o;
    o.customer_delay = 20ms;
    o.slow_response = 300ms;
    o.late_callback = 600ms;
    sandbox = std::make_unique<FlexPaySandbox>(o);
    sandbox->start();
    adapter = std::make_unique<FlexPayAdapter>(flexpay_settings(
        {{"base_url", sandbox->base_url()}, {"merchant", "ZANDO"}, {"token", "sandbox-token"},
         {"callback_url", receiver.url()}}));
  }

  ProviderCall pay_call(const std::string& ref, std::int64_t minor) {
    return {ref + ":1:pay", "flexpay", "pay",
            json::object{{"reference", ref}, {"amount", {{"value", minor}, {"currency", "USD"}}}}};
  }

  Result<ParsedInput> pay(const std::string& ref, std::int64_t minor) {
    auto call = pay_call(ref, minor);
    auto res = client->send(*adapter->build_request(call), 5s);
    if (!res) return res.error();
    return adapter->parse_response(call, *res);
  }

  Result<ParsedInput> check(const std::string& ref) {
    ProviderCall call{ref + ":2:check", "flexpay", "check",
                      json::object{{"orderNumber", sandbox->order_of(ref)}, {"reference", ref}}};
    auto res = client->send(*adapter->build_request(call), 5s);
    if (!res) return res.error();
    return adapter->parse_response(call, *res);
  }

  std::string status_of(const std::string& ref) {
    auto in = check(ref);
    if (!in) return "error: " + in.error().message;
    const json::object* t = get_object(in->data, "transaction");
    return t == nullptr ? "none" : std::string(get_string(*t, "status"));
  }

  Receiver receiver;
  std::unique_ptr<FlexPaySandbox> sandbox;
  std::unique_ptr<FlexPayAdapter> adapter;
  std::unique_ptr<HttpClient> client = make_http_client();
};

TEST_F(FlexPaySandboxTest, ApproveAnswersAnOrderThenCallsBackAndTheCheckAgrees) {
  auto in = pay("tx_A", 1000);
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->name, "pay.accepted");
  EXPECT_EQ(get_string(in->data, "orderNumber"), sandbox->order_of("tx_A"));
  EXPECT_EQ(get_string(in->data, "url"), sandbox->base_url() + "/pay/" + sandbox->order_of("tx_A"));
  ASSERT_TRUE(receiver.wait([&] { return receiver.count() == 1; }));
  auto cb = adapter->parse_webhook(HttpRequest{"POST", "/webhooks/flexpay", {}, receiver.bodies[0], "127.0.0.1"});
  ASSERT_TRUE(cb) << cb.error().message;
  EXPECT_EQ(cb->txn_id, "tx_A");
  EXPECT_EQ(get_string(cb->data, "code"), "0");
  EXPECT_FALSE(get_string(cb->data, "provider_reference").empty());
  auto checked = check("tx_A");
  ASSERT_TRUE(checked) << checked.error().message;
  const json::object* t = get_object(checked->data, "transaction");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(get_string(*t, "status"), "0");
  EXPECT_EQ(get_string(*t, "amount"), "10.0");
  EXPECT_EQ(get_string(*t, "amountCustomer"), "10.2");
  EXPECT_FALSE(get_string(*t, "createdAtIso").empty());
}

TEST_F(FlexPaySandboxTest, CheckAnswerHasTheSeedsTrailingComma) {
  ASSERT_TRUE(pay("tx_T", 1000));
  ASSERT_TRUE(receiver.wait([&] { return receiver.count() == 1; }));
  auto res = client->send(HttpRequest{"GET", sandbox->base_url() + "/api/rest/v1/check/" + sandbox->order_of("tx_T"),
                                      {{"Authorization", "Bearer sandbox-token"}}, "", ""},
                          5s);
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find(",}"), std::string::npos) << res->body;
}

TEST_F(FlexPaySandboxTest, DeclineAndCancelEndWithStatusOne) {
  ASSERT_TRUE(pay("tx_D", 1001));
  ASSERT_TRUE(pay("tx_C", 1002));
  ASSERT_TRUE(receiver.wait([&] { return receiver.count() == 2; }));
  EXPECT_EQ(status_of("tx_D"), "1");
  EXPECT_EQ(status_of("tx_C"), "1");
  std::set<std::string> codes;
  for (const auto& b : receiver.bodies) codes.insert(std::string(get_string(json::parse(b).as_object(), "code")));
  EXPECT_EQ(codes, (std::set<std::string>{"1", "2"}));
}

TEST_F(FlexPaySandboxTest, ExpireNeverHasATransaction) {
  ASSERT_TRUE(pay("tx_E", 1003));
  ASSERT_TRUE(pay("tx_after", 1000));  // a later payment's callback proves the customer delay passed
  ASSERT_TRUE(receiver.wait([&] { return receiver.count() == 1; }));
  EXPECT_EQ(status_of("tx_E"), "none");
  auto in = check("tx_E");
  EXPECT_EQ(get_string(in->data, "code"), "1");
  EXPECT_EQ(get_string(in->data, "message"), "Aucune transaction trouvée");
}

TEST_F(FlexPaySandboxTest, FiveHundredOnceThenTheSameReferenceSucceeds) {
  auto first = pay("tx_5", 1004);
  ASSERT_FALSE(first);
  EXPECT_TRUE(first.error().retryable());
  EXPECT_EQ(sandbox->orders_created("tx_5"), 0u);
  auto second = pay("tx_5", 1004);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->name, "pay.accepted");
  ASSERT_TRUE(receiver.wait([&] { return status_of("tx_5") == "0"; }));
}

TEST_F(FlexPaySandboxTest, SameReferenceAgainGetsTheSameOrder) {
  auto a = pay("tx_R", 1000);
  auto b = pay("tx_R", 1000);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(get_string(a->data, "orderNumber"), get_string(b->data, "orderNumber"));
  EXPECT_EQ(sandbox->orders_created("tx_R"), 1u);
  EXPECT_EQ(sandbox->pay_requests(), 2u);
  auto other_amount = pay("tx_R", 2000);
  ASSERT_TRUE(other_amount);
  EXPECT_EQ(other_amount->name, "pay.rejected");
}

TEST_F(FlexPaySandboxTest, SlowAnswerStillAnswers) {
  const auto t0 = std::chrono::steady_clock::now();
  auto in = pay("tx_S", 1005);
  ASSERT_TRUE(in);
  EXPECT_EQ(in->name, "pay.accepted");
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 300ms);
  ASSERT_TRUE(receiver.wait([&] { return receiver.count() == 1; }));
}

TEST_F(FlexPaySandboxTest, DuplicateCallbackIsDeliveredTwice) {
  ASSERT_TRUE(pay("tx_2", 1006));
  ASSERT_TRUE(receiver.wait([&] { return receiver.count() == 2; }));
  EXPECT_EQ(receiver.bodies[0], receiver.bodies[1]);
  EXPECT_TRUE(receiver.wait([&] { return sandbox->callbacks_delivered("tx_2") == 2u; }));
}

TEST_F(FlexPaySandboxTest, LateCallbackIsPendingUntilItComes) {
  ASSERT_TRUE(pay("tx_L", 1007));
  ASSERT_TRUE(receiver.wait([&] { return status_of("tx_L") == "2"; }));  // card submitted, not settled
  EXPECT_EQ(receiver.count(), 0u);
  ASSERT_TRUE(receiver.wait([&] { return receiver.count() == 1; }));
  EXPECT_EQ(status_of("tx_L"), "0");
}

TEST_F(FlexPaySandboxTest, NoCallbackButTheCheckKnows) {
  ASSERT_TRUE(pay("tx_N", 1008));
  ASSERT_TRUE(receiver.wait([&] { return status_of("tx_N") == "0"; }));
  ASSERT_TRUE(pay("tx_after", 1000));
  ASSERT_TRUE(receiver.wait([&] { return receiver.count() == 1; }));
  EXPECT_EQ(sandbox->callbacks_delivered("tx_N"), 0u);
}

TEST_F(FlexPaySandboxTest, AmountMismatchReportsAnotherAmountThanAsked) {
  ASSERT_TRUE(pay("tx_M", 1010));
  ASSERT_TRUE(receiver.wait([&] { return receiver.count() == 1; }));
  auto checked = check("tx_M");
  ASSERT_TRUE(checked) << checked.error().message;
  const json::object* t = get_object(checked->data, "transaction");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(get_string(*t, "status"), "0");
  EXPECT_EQ(get_string(*t, "amount"), "11.1");  // 10.10 asked
  EXPECT_EQ(get_string(*t, "currency"), "USD");
}

TEST_F(FlexPaySandboxTest, RefusedAmount) {
  auto in = pay("tx_X", 1009);
  ASSERT_TRUE(in);
  EXPECT_EQ(in->name, "pay.rejected");
  EXPECT_EQ(sandbox->orders_created("tx_X"), 0u);
}

TEST_F(FlexPaySandboxTest, CredentialsAndFieldsAreChecked) {
  auto send = [&](std::string body) {
    return client->send(HttpRequest{"POST", sandbox->base_url() + "/v1/pay", {{"Content-Type", "application/json"}}, body, ""},
                        5s);
  };
  auto bad_token = send(R"({"authorization":"nope","merchant":"ZANDO","reference":"r","amount":"1","currency":"USD"})");
  EXPECT_EQ(bad_token->status, 401);
  auto no_ref = send(R"({"authorization":"sandbox-token","merchant":"ZANDO","amount":"1","currency":"USD"})");
  EXPECT_EQ(no_ref->status, 400);
  EXPECT_NE(no_ref->body.find("reference"), std::string::npos);
  auto bad_amount = send(R"({"authorization":"sandbox-token","merchant":"ZANDO","reference":"r","amount":"1.005","currency":"USD"})");
  EXPECT_EQ(bad_amount->status, 400);
  auto eur = send(R"({"authorization":"sandbox-token","merchant":"ZANDO","reference":"r","amount":"1","currency":"EUR"})");
  EXPECT_NE(eur->body.find(R"("code":"1")"), std::string::npos);
  auto integer_amount = send(R"({"authorization":"sandbox-token","merchant":"ZANDO","reference":"r2","amount":100,"currency":"CDF",})");
  EXPECT_EQ(integer_amount->status, 200);
  EXPECT_NE(integer_amount->body.find(R"("code":"0")"), std::string::npos);
  auto check_no_bearer = client->send(
      HttpRequest{"GET", sandbox->base_url() + "/api/rest/v1/check/" + sandbox->order_of("r2"), {}, "", ""}, 5s);
  EXPECT_EQ(check_no_bearer->status, 401);
}

}  // namespace
}  // namespace corridor
