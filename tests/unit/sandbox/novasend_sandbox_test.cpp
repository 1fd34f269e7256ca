// The NovaSend sandbox over real loopback HTTP, driven through corridor's own adapter, with a tiny
// HttpServer standing in for corridor's webhook endpoint. Each scenario of docs/providers/novasend.md.
#include "sandbox/novasend/novasend_sandbox.hpp"

#include <gtest/gtest.h>

#include "tests/support/eventually.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <condition_variable>
#include <mutex>

#include "adapters/novasend/novasend_adapter.hpp"
#include "engine/io/http_client.hpp"
#include "engine/io/http_server.hpp"
#include "statemachines/novasend_inputs.hpp"

namespace corridor {
namespace {

using namespace std::chrono_literals;
using corridor::testing::eventually;

// Stands in for corridor's POST /webhooks/novasend.
class WebhookReceiver {
 public:
  WebhookReceiver()
      : server_("127.0.0.1", 0, [this](HttpRequest req, Respond respond) {
          int status = 200;
          {
            std::lock_guard lock(m_);
            if (refuse_next_ > 0) {
              --refuse_next_;
              status = 500;
            } else {
              received_.push_back(std::move(req));
            }
            ++calls_;
            cv_.notify_all();
          }
          respond(json_response(status, "{}"));
        }) {}

  std::string url() const { return "http://" + server_.address() + "/webhooks/novasend"; }
  void refuse_next(int n) {
    std::lock_guard lock(m_);
    refuse_next_ = n;
  }
  bool wait_for(std::size_t n, std::chrono::milliseconds within = 10s) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, within, [&] { return received_.size() >= n; });
  }
  std::vector<HttpRequest> received() {
    std::lock_guard lock(m_);
    return received_;
  }
  int calls() {
    std::lock_guard lock(m_);
    return calls_;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<HttpRequest> received_;
  int refuse_next_ = 0;
  int calls_ = 0;
  HttpServer server_;  // last: stops before the members its handler uses go away
};

NovaSendSandboxOptions sandbox_options(const WebhookReceiver& hooks) {
  NovaSendSandboxOptions o;
  o.api_key = "ak_test";
  o.api_client = "client_1";
  o.webhook_url = hooks.url();
  o.webhook_secret = "whsec_test";
  o.customer_delay = 20ms;
  o.expire_after = 10s;
  o.slow_response = 400ms;
  o.webhook_retry_delay = 10ms;
  return o;
}

class NovaSendSandboxTest : public ::testing::Test {
 protected:
  void start(NovaSendSandboxOptions o) {
    sandbox_ = std::make_unique<NovaSendSandbox>(std::move(o));
    sandbox_->start("127.0.0.1", 0);
    NovaSendSettings s;
    s.base_url = sandbox_->base_url();
    s.api_key = "ak_test";
    s.api_client = "client_1";
    s.account_id = "merchant_9923lkdz";
    s.webhook_secret = "whsec_test";
    adapter_ = std::make_unique<NovaSendAdapter>(s);
  }
  void start() { start(sandbox_options(hooks_)); }

  ProviderCall session_call(const std::string& txn, const std::string& msisdn, int seq = 1) {
    ProviderCall c;
    c.call_id = txn + ":" + std::to_string(seq) + ":create_session";
    c.provider = "novasend";
    c.op = "create_session";
    c.params = {{"reference", txn},
                {"amount", {{"value", 300}, {"currency", "XOF"}}},
                {"msisdn", msisdn},
                {"customerName", "John Doe"},
                {"country", "CI"}};
    return c;
  }

  Result<HttpResponse> send(const ProviderCall& call, std::chrono::milliseconds timeout = 5s) {
    auto req = adapter_->build_request(call);
    if (!req) return req.error();
    return client_->send(*req, timeout);
  }

  // POST /v1/payin/sessions through the adapter; returns the parsed session.created input.
  ParsedInput create(const std::string& txn, const std::string& msisdn) {
    auto call = session_call(txn, msisdn);
    auto res = send(call);
    EXPECT_TRUE(res.ok()) << res.error().message;
    if (!res) return {};
    EXPECT_EQ(res->status, 201) << res->body;
    auto in = adapter_->parse_response(call, *res);
    EXPECT_TRUE(in.ok()) << in.error().message;
    return in.ok() ? *in : ParsedInput{};
  }

  // GET /v1/payin/{reference} through the adapter; returns status.checked's data.
  json::object check(const std::string& reference) {
    ProviderCall c;
    c.call_id = "tx_T:9:check_status";
    c.provider = "novasend";
    c.op = "check_status";
    c.params = {{"reference", reference}};
    auto res = send(c);
    EXPECT_TRUE(res.ok()) << res.error().message;
    if (!res) return {};
    auto in = adapter_->parse_response(c, *res);
    EXPECT_TRUE(in.ok()) << in.error().message << " body " << res->body;
    return in.ok() ? in->data : json::object{};
  }

  std::string confirmation(const std::string& reference) { return std::string(get_string(check(reference), "confirmationStatus")); }
  std::string transaction_status(const std::string& reference) {
    auto d = check(reference);
    const json::object* t = get_object(d, "transaction");
    return t ? std::string(get_string(*t, "status")) : "";
  }

  std::vector<ParsedInput> webhooks() {
    std::vector<ParsedInput> out;
    for (const auto& req : hooks_.received()) {
      auto in = adapter_->parse_webhook(req);  // corridor's own check of the signature
      EXPECT_TRUE(in.ok()) << in.error().message;
      if (in) out.push_back(*in);
    }
    return out;
  }

  HttpResponse raw(std::string method, std::string path, std::string body, HttpHeaders headers) {
    HttpRequest r;
    r.method = std::move(method);
    r.target = sandbox_->base_url() + path;
    r.headers = std::move(headers);
    r.body = std::move(body);
    auto res = client_->send(r, 5s);
    EXPECT_TRUE(res.ok()) << res.error().message;
    return res.ok() ? *res : HttpResponse{};
  }

  static HttpHeaders auth(std::string key = "tx_raw:1:create_session") {
    return {{"Authorization", "Basic YWtfdGVzdDpjbGllbnRfMQ=="}, {"X-Idempotency-Key", std::move(key)},
            {"Content-Type", "application/json"}};
  }

  WebhookReceiver hooks_;
  std::unique_ptr<HttpClient> client_ = make_http_client();
  std::unique_ptr<NovaSendSandbox> sandbox_;
  std::unique_ptr<NovaSendAdapter> adapter_;
};

constexpr const char* kValidBody =
    R"({"reference": "tx_raw", "accountId": "merchant_9923lkdz", "amount": 300, "msisdn": "+2250702968786", "customerName": "John Doe", "country": "CI"})";

TEST_F(NovaSendSandboxTest, DefaultCustomerAcceptsAndThePaymentCompletes) {
  start();
  auto session = create("tx_A", "+2250702968786");
  EXPECT_EQ(session.name, "session.created");
  EXPECT_EQ(session.txn_id, "tx_A");
  const std::string ref(get_string(session.data, "reference"));
  EXPECT_TRUE(ref.starts_with("tr_")) << ref;
  EXPECT_EQ(get_string(session.data, "customerReference"), "tx_A");
  EXPECT_EQ(get_int(session.data, "fee"), 6);
  EXPECT_EQ(get_int(session.data, "chargedAmount"), 306);
  EXPECT_EQ(get_string(session.data, "status"), "processing");
  EXPECT_TRUE(get_bool(session.data, "confirmationRequired"));
  EXPECT_EQ(get_string(session.data, "confirmationStatus"), "none");
  EXPECT_TRUE(get_string(session.data, "paymentUrl").starts_with(sandbox_->base_url() + "/link/"));
  EXPECT_EQ(sandbox_->reference_of("tx_A"), ref);
  EXPECT_EQ(sandbox_->sessions_created("tx_A"), 1u);

  ASSERT_TRUE(hooks_.wait_for(1));
  auto events = webhooks();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].name, "payin.confirmed");
  EXPECT_EQ(events[0].txn_id, "tx_A");
  EXPECT_TRUE(events[0].dedupe_id.starts_with("evt_"));
  EXPECT_EQ(get_string(events[0].data, "reference"), ref);
  EXPECT_EQ(get_string(events[0].data, "confirmationStatus"), "accepted");
  EXPECT_TRUE(eventually([&] { return sandbox_->webhooks_delivered("tx_A") == 1; }));

  auto status = check(ref);
  EXPECT_EQ(get_string(status, "status"), "processed");
  EXPECT_EQ(get_string(status, "confirmationStatus"), "accepted");
  ASSERT_NE(get_object(status, "transaction"), nullptr);
  EXPECT_EQ(get_string(*get_object(status, "transaction"), "status"), "completed");
  EXPECT_EQ(get_string(*get_object(status, "transaction"), "amount"), "300.00");
  EXPECT_FALSE(fields::from_object<NovaSendPayin>(status).failure);  // null: no failure
}

TEST_F(NovaSendSandboxTest, TransactionIsNullUntilTheCustomerActs) {
  auto o = sandbox_options(hooks_);
  o.customer_delay = 60s;
  start(o);
  auto session = create("tx_P", "+2250700000001");
  const std::string ref(get_string(session.data, "reference"));
  auto status = check(ref);
  EXPECT_EQ(get_string(status, "status"), "processing");
  EXPECT_EQ(get_string(status, "confirmationStatus"), "none");
  // null in NovaSend's answer; the adapter's input leaves an empty field out.
  const auto payin = fields::from_object<NovaSendPayin>(status);
  EXPECT_FALSE(payin.transaction);
  EXPECT_FALSE(payin.failure);
  EXPECT_EQ(hooks_.calls(), 0);
}

TEST_F(NovaSendSandboxTest, AcceptedThenFailed) {
  start();
  auto session = create("tx_F", "+2250700000002");
  const std::string ref(get_string(session.data, "reference"));
  ASSERT_TRUE(hooks_.wait_for(1));
  EXPECT_EQ(webhooks().at(0).name, "payin.confirmed");
  auto status = check(ref);
  ASSERT_NE(get_object(status, "transaction"), nullptr);
  EXPECT_EQ(get_string(*get_object(status, "transaction"), "status"), "failed");
  ASSERT_NE(get_object(status, "failure"), nullptr);
  EXPECT_FALSE(get_string(*get_object(status, "failure"), "message").empty());
}

TEST_F(NovaSendSandboxTest, CustomerDeclines) {
  start();
  auto session = create("tx_D", "+2250700000003");
  const std::string ref(get_string(session.data, "reference"));
  ASSERT_TRUE(hooks_.wait_for(1));
  auto events = webhooks();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].name, "payin.declined");
  EXPECT_EQ(events[0].txn_id, "tx_D");
  EXPECT_EQ(get_string(events[0].data, "confirmationStatus"), "declined");
  EXPECT_EQ(confirmation(ref), "declined");
}

TEST_F(NovaSendSandboxTest, NobodyConfirmsAndTheSessionExpiresWithoutWebhook) {
  auto o = sandbox_options(hooks_);
  o.expire_after = 100ms;
  start(o);
  auto session = create("tx_E", "+2250700000004");
  const std::string ref(get_string(session.data, "reference"));
  ASSERT_TRUE(eventually([&] { return confirmation(ref) == "expired"; }));
  EXPECT_EQ(get_string(check(ref), "status"), "expired");
  EXPECT_EQ(sandbox_->webhook_attempts(), 0u);
}

TEST_F(NovaSendSandboxTest, NoConfirmationRequired) {
  start();
  auto session = create("tx_N", "+2250700000005");
  EXPECT_FALSE(get_bool(session.data, "confirmationRequired", true));
  EXPECT_FALSE(session.data.contains("paymentUrl"));
  const std::string ref(get_string(session.data, "reference"));
  ASSERT_TRUE(eventually([&] { return transaction_status(ref) == "completed"; }));
  EXPECT_EQ(sandbox_->webhook_attempts(), 0u);
}

TEST_F(NovaSendSandboxTest, UnavailableOnceThenTheRetryCreatesTheSession) {
  start();
  auto call = session_call("tx_U", "+2250700000006");
  auto first = send(call);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->status, 503);
  auto parsed = adapter_->parse_response(call, *first);
  ASSERT_FALSE(parsed.ok());
  EXPECT_TRUE(parsed.error().retryable());
  EXPECT_EQ(sandbox_->sessions_created("tx_U"), 0u);

  auto second = send(call);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->status, 201);
  EXPECT_EQ(sandbox_->sessions_created("tx_U"), 1u);
  ASSERT_TRUE(hooks_.wait_for(1));
}

TEST_F(NovaSendSandboxTest, LostResponseIsReplayedWithoutASecondCharge) {
  start();
  auto call = session_call("tx_L", "+2250700000007");
  auto first = send(call);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->status, 500);
  EXPECT_EQ(sandbox_->sessions_created("tx_L"), 1u);  // created, though the answer was lost

  auto again = send(call);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, 201);
  auto in = adapter_->parse_response(call, *again);
  ASSERT_TRUE(in.ok()) << in.error().message;
  EXPECT_EQ(get_string(in->data, "reference"), sandbox_->reference_of("tx_L"));
  EXPECT_EQ(sandbox_->sessions_created("tx_L"), 1u);
}

TEST_F(NovaSendSandboxTest, SlowAnswerTimesOutAndTheRetryGetsTheSameSession) {
  start();
  auto call = session_call("tx_S", "+2250700000008");
  auto first = send(call, 100ms);
  ASSERT_FALSE(first.ok());
  EXPECT_TRUE(first.error().retryable());
  auto again = send(call, 5s);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->status, 201);
  EXPECT_EQ(sandbox_->sessions_created("tx_S"), 1u);
}

TEST_F(NovaSendSandboxTest, DuplicateWebhookCarriesTheSameEventId) {
  start();
  create("tx_W2", "+2250700000009");
  ASSERT_TRUE(hooks_.wait_for(2));
  auto events = webhooks();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].dedupe_id, events[1].dedupe_id);
  EXPECT_EQ(events[0].name, "payin.confirmed");
}

TEST_F(NovaSendSandboxTest, NoWebhookLeavesPollingAsTheOnlyWay) {
  start();
  auto session = create("tx_NW", "+2250700000010");
  const std::string ref(get_string(session.data, "reference"));
  ASSERT_TRUE(eventually([&] { return transaction_status(ref) == "completed"; }));
  EXPECT_EQ(sandbox_->webhook_attempts(), 0u);
}

TEST_F(NovaSendSandboxTest, WebhookArrivesBeforeTheSessionAnswer) {
  start();
  auto session = create("tx_WF", "+2250700000011");
  EXPECT_EQ(session.name, "session.created");
  EXPECT_EQ(hooks_.calls(), 1);  // already delivered when the answer came
}

TEST_F(NovaSendSandboxTest, AmountMismatchProcessesAnotherAmount) {
  start();
  auto session = create("tx_M", "+2250700000014");
  EXPECT_EQ(get_int(session.data, "amount"), 300);
  const std::string ref(get_string(session.data, "reference"));
  ASSERT_TRUE(hooks_.wait_for(1));
  auto events = webhooks();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].name, "payin.confirmed");
  ASSERT_NE(get_object(events[0].data, "transaction"), nullptr);
  EXPECT_EQ(get_string(*get_object(events[0].data, "transaction"), "amount"), "299.00");
  auto status = check(ref);
  ASSERT_NE(get_object(status, "transaction"), nullptr);
  EXPECT_EQ(get_string(*get_object(status, "transaction"), "status"), "completed");
  EXPECT_EQ(get_string(*get_object(status, "transaction"), "amount"), "299.00");
}

// The seed's own example: status processed while confirmationStatus is still none and transaction
// null; the session is not expired meanwhile, and no webhook tells the outcome.
TEST_F(NovaSendSandboxTest, ProcessedThenSettledLate) {
  auto o = sandbox_options(hooks_);
  o.expire_after = 100ms;
  o.late_settle_delay = 400ms;
  start(o);
  auto session = create("tx_PL", "+2250700000015");
  const std::string ref(get_string(session.data, "reference"));
  ASSERT_TRUE(eventually([&] { return get_string(check(ref), "status") == "processed"; }));
  auto processed = check(ref);
  EXPECT_EQ(get_string(processed, "confirmationStatus"), "none");
  EXPECT_FALSE(fields::from_object<NovaSendPayin>(processed).transaction);
  ASSERT_TRUE(eventually([&] { return transaction_status(ref) == "completed"; }));
  EXPECT_EQ(get_string(check(ref), "status"), "processed");  // never expired
  EXPECT_EQ(sandbox_->webhook_attempts(), 0u);
}

TEST_F(NovaSendSandboxTest, RefusedSessionIsA4xxTheAdapterMapsToSessionRejected) {
  start();
  auto call = session_call("tx_R", "+2250700000012");
  auto res = send(call);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 422);
  auto in = adapter_->parse_response(call, *res);
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->name, "session.rejected");
  EXPECT_NE(get_string(in->data, "error").find("not eligible"), std::string_view::npos);
  EXPECT_EQ(sandbox_->sessions_created("tx_R"), 0u);
}

TEST_F(NovaSendSandboxTest, IdempotencyKeyReplaysTheFirstAnswer) {
  start();
  auto a = raw("POST", "/v1/payin/sessions", kValidBody, auth("k1"));
  EXPECT_EQ(a.status, 201);
  // Same key, same JSON (spaced differently): the same answer, no new session.
  auto b = raw("POST", "/v1/payin/sessions", json::serialize(json::parse(kValidBody)), auth("k1"));
  EXPECT_EQ(b.status, 201);
  EXPECT_EQ(b.body, a.body);
  EXPECT_EQ(b.header("Idempotent-Replayed"), "true");
  EXPECT_EQ(sandbox_->sessions_created("tx_raw"), 1u);

  // Same key, another body: refused.
  auto body = json::parse(kValidBody).as_object();
  body["amount"] = 500;
  auto c = raw("POST", "/v1/payin/sessions", json::serialize(body), auth("k1"));
  EXPECT_EQ(c.status, 422);
  EXPECT_NE(c.body.find("different request body"), std::string::npos);
  EXPECT_EQ(sandbox_->sessions_created("tx_raw"), 1u);

  // A new key for the same merchant reference is a second session: what "no second charge" checks count.
  auto d = raw("POST", "/v1/payin/sessions", kValidBody, auth("k2"));
  EXPECT_EQ(d.status, 201);
  EXPECT_NE(json::parse(d.body).at("reference"), json::parse(a.body).at("reference"));
  EXPECT_EQ(sandbox_->sessions_created("tx_raw"), 2u);
  EXPECT_EQ(sandbox_->session_requests(), 4u);
}

TEST_F(NovaSendSandboxTest, RefusesBadCredentialsAndMissingIdempotencyKey) {
  start();
  HttpHeaders none{{"Content-Type", "application/json"}, {"X-Idempotency-Key", "k"}};
  auto a = raw("POST", "/v1/payin/sessions", kValidBody, none);
  EXPECT_EQ(a.status, 401);
  EXPECT_EQ(a.header("WWW-Authenticate"), "Basic realm=\"NovaSend\"");

  auto wrong = auth();
  wrong[0].second = "Basic d3Jvbmc6d3Jvbmc=";
  EXPECT_EQ(raw("POST", "/v1/payin/sessions", kValidBody, wrong).status, 401);

  auto no_key = auth();
  no_key.erase(no_key.begin() + 1);
  auto b = raw("POST", "/v1/payin/sessions", kValidBody, no_key);
  EXPECT_EQ(b.status, 400);
  EXPECT_NE(b.body.find("X-Idempotency-Key"), std::string::npos);

  EXPECT_EQ(raw("GET", "/v1/payin/tr_whatever", "", {}).status, 401);
  EXPECT_EQ(raw("GET", "/v1/payin/tr_unknown", "", auth()).status, 404);
  EXPECT_EQ(sandbox_->sessions_created("tx_raw"), 0u);
}

TEST_F(NovaSendSandboxTest, ValidatesTheBodyNamingTheField) {
  start();
  struct Case {
    std::string field;
    json::value value;  // null: removed
  };
  const std::vector<Case> cases = {
      {"reference", nullptr},   {"accountId", nullptr}, {"amount", nullptr},       {"amount", 300.5},
      {"amount", "300"},        {"amount", 0},          {"msisdn", nullptr},       {"msisdn", "0702968786"},
      {"msisdn", "+22507abc"},  {"country", "Côte"},   {"customerName", 12},
  };
  int n = 0;
  for (const auto& c : cases) {
    auto body = json::parse(kValidBody).as_object();
    if (c.value.is_null()) {
      body.erase(c.field);
    } else {
      body[c.field] = c.value;
    }
    auto res = raw("POST", "/v1/payin/sessions", json::serialize(body), auth("v" + std::to_string(n++)));
    EXPECT_EQ(res.status, 400) << json::serialize(body);
    EXPECT_NE(res.body.find("'" + c.field + "'"), std::string::npos) << res.body;
  }
  auto bad = raw("POST", "/v1/payin/sessions", "{not json", auth("bad"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(sandbox_->sessions_created("tx_raw"), 0u);
}

TEST_F(NovaSendSandboxTest, WebhookIsRetriedUntilCorridorAnswers2xx) {
  hooks_.refuse_next(2);
  start();
  create("tx_RT", "+2250702968786");
  ASSERT_TRUE(hooks_.wait_for(1));
  EXPECT_EQ(hooks_.calls(), 3);
  EXPECT_TRUE(eventually([&] { return sandbox_->webhooks_delivered("tx_RT") == 1; }));
  EXPECT_EQ(sandbox_->webhook_attempts(), 3u);
  EXPECT_EQ(webhooks().at(0).name, "payin.confirmed");
}

TEST_F(NovaSendSandboxTest, WebhookUrlMayBeSetAfterStart) {
  auto o = sandbox_options(hooks_);
  o.webhook_url.clear();
  o.customer_delay = 50ms;
  start(o);
  sandbox_->set_webhook_url(hooks_.url());
  create("tx_LATE", "+2250702968786");
  ASSERT_TRUE(hooks_.wait_for(1));
}

TEST_F(NovaSendSandboxTest, PaymentLinkAndUnknownRoutes) {
  start();
  auto session = create("tx_LINK", "+2250702968786");
  const std::string url(get_string(session.data, "paymentUrl"));
  auto page = raw("GET", url.substr(sandbox_->base_url().size()), "", {});
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find(std::string(get_string(session.data, "reference"))), std::string::npos);
  EXPECT_EQ(raw("GET", "/nope", "", {}).status, 404);
  EXPECT_EQ(raw("GET", "/v1/payin/sessions", "", auth()).status, 405);
}

TEST_F(NovaSendSandboxTest, StopsWithWorkPending) {
  auto o = sandbox_options(hooks_);
  o.customer_delay = 60s;
  start(o);
  create("tx_STOP", "+2250702968786");
  sandbox_->stop();
  sandbox_->stop();  // idempotent
  EXPECT_EQ(hooks_.calls(), 0);
}

}  // namespace
}  // namespace corridor
