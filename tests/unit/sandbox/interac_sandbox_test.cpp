// The Paysafe Interac sandbox over real loopback HTTP, driven through corridor's own adapter, with a
// tiny HttpServer standing in for corridor's POST /webhooks/interac (it checks every Signature with
// the adapter). One test per scenario of docs/providers/interac.md.
#include "sandbox/interac/interac_sandbox.hpp"

#include <gtest/gtest.h>

#include "tests/support/eventually.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <condition_variable>
#include <mutex>

#include "adapters/interac/interac_adapter.hpp"
#include "engine/io/http_client.hpp"
#include "engine/io/http_server.hpp"

namespace corridor {
namespace {

using namespace std::chrono_literals;
using corridor::testing::eventually;

constexpr const char* kHmacKey = "sandbox-test-hmac";

class WebhookReceiver {
 public:
  explicit WebhookReceiver(const InteracAdapter& adapter)
      : adapter_(adapter), server_("127.0.0.1", 0, [this](HttpRequest req, Respond respond) {
          int status = 200;
          {
            std::lock_guard lock(m_);
            if (refuse_next_ > 0) {
              --refuse_next_;
              status = 500;
            } else if (auto in = adapter_.parse_webhook(req); in) {
              received_.push_back(*in);
              attempts_.push_back(std::string(get_string(json::parse(req.body).as_object(), "attemptNumber")));
            } else {
              status = in.error().http_status();
              refused_.push_back(in.error().message);
            }
            cv_.notify_all();
          }
          respond(json_response(status, "{}"));
        }) {}

  std::string url() const { return "http://" + server_.address() + "/webhooks/interac"; }
  void refuse_next(int n) {
    std::lock_guard lock(m_);
    refuse_next_ = n;
  }
  // Waits until an event named `name` for `txn` arrived `count` times.
  bool wait_for(std::string_view txn, std::string_view name, std::size_t count = 1, std::chrono::milliseconds within = 10s) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, within, [&] { return count_locked(txn, name) >= count; });
  }
  std::size_t count(std::string_view txn, std::string_view name) {
    std::lock_guard lock(m_);
    return count_locked(txn, name);
  }
  std::vector<ParsedInput> received() {
    std::lock_guard lock(m_);
    return received_;
  }
  std::vector<std::string> attempts() {
    std::lock_guard lock(m_);
    return attempts_;
  }
  std::vector<std::string> refused() {
    std::lock_guard lock(m_);
    return refused_;
  }

 private:
  std::size_t count_locked(std::string_view txn, std::string_view name) const {
    std::size_t n = 0;
    for (const auto& in : received_) n += in.txn_id == txn && in.name == name;
    return n;
  }
  const InteracAdapter& adapter_;
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<ParsedInput> received_;
  std::vector<std::string> attempts_;
  std::vector<std::string> refused_;
  int refuse_next_ = 0;
  HttpServer server_;
};

InteracSettings adapter_settings(std::string base_url) {
  InteracSettings s;
  s.base_url = std::move(base_url);
  s.api_key = "sandbox-user:sandbox-password";
  s.webhook_hmac_key = kHmacKey;
  return s;
}

InteracSandboxOptions fast_options() {
  InteracSandboxOptions o;
  o.webhook_hmac_key = kHmacKey;
  o.handle_ttl_seconds = 899;
  o.expiry_lag = 100ms;
  o.customer_delay = 20ms;
  o.settle_delay = 50ms;
  o.autodeposit_delay = 50ms;
  o.claim_delay = 150ms;
  o.slow_response = 300ms;
  o.webhook_retry_delay = 20ms;
  return o;
}

class InteracSandboxTest : public ::testing::Test {
 protected:
  explicit InteracSandboxTest(InteracSandboxOptions o = fast_options()) : sandbox(o) {
    sandbox.start();
    adapter = std::make_unique<InteracAdapter>(adapter_settings(sandbox.base_url()));
    receiver = std::make_unique<WebhookReceiver>(*adapter);
    sandbox.set_webhook_url(receiver->url());
  }
  ~InteracSandboxTest() override { sandbox.stop(); }

  // One provider call the way the executor makes it (no retries): request, answer, parsed input.
  struct Exchange {
    HttpResponse response;
    Result<ParsedInput> input = fail(adapter_errc::unexpected_answer, "not sent");
    std::chrono::milliseconds took{0};
  };
  Exchange send(const ProviderCall& c) {
    Exchange x;
    auto req = adapter->build_request(c);
    EXPECT_TRUE(req) << (req ? "" : req.error().message);
    if (!req) return x;
    const auto t0 = std::chrono::steady_clock::now();
    auto res = client->send(*req, 10s);
    x.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    EXPECT_TRUE(res) << (res ? "" : res.error().message);
    if (!res) return x;
    x.response = *res;
    x.input = adapter->parse_response(c, *res);
    return x;
  }

  static ProviderCall handle_call(std::string txn, std::string email, std::string type = "PAYMENT", std::int64_t amount = 5450,
                                  json::object extra = {}) {
    json::object e{{"consumerId", email}, {"type", "EMAIL"}};
    for (const auto& [k, v] : extra) e[k] = v;
    json::object p{{"merchantRefNum", txn},
                   {"transactionType", type},
                   {"paymentType", "INTERAC_ETRANSFER"},
                   {"amount", {{"value", amount}, {"currency", "CAD"}}},
                   {"interacEtransfer", e}};
    return ProviderCall{txn + ":1:create_payment_handle", "interac", "create_payment_handle", p};
  }
  static ProviderCall pay_call(std::string txn, std::string_view token, std::string op = "create_payment", std::int64_t amount = 5450) {
    return ProviderCall{txn + ":2:" + op, "interac", op,
                        {{"merchantRefNum", txn},
                         {"amount", {{"value", amount}, {"currency", "CAD"}}},
                         {"settleWithAuth", true},
                         {"paymentHandleToken", token}}};
  }
  static ProviderCall get_call(std::string txn, std::string op, std::string id_field, std::string id = "") {
    return ProviderCall{txn + ":9:" + op, "interac", op, {{id_field, id}, {"merchantRefNum", txn}}};
  }

  // Request money up to a PAYABLE handle; returns its token.
  std::string payable_handle(const std::string& txn, const std::string& email) {
    auto h = send(handle_call(txn, email));
    EXPECT_TRUE(h.input);
    EXPECT_TRUE(receiver->wait_for(txn, "PAYMENT_HANDLE_PAYABLE"));
    return h.input ? std::string(get_string(h.input->data, "paymentHandleToken")) : "";
  }

  InteracSandbox sandbox;
  std::unique_ptr<InteracAdapter> adapter;
  std::unique_ptr<WebhookReceiver> receiver;
  std::unique_ptr<HttpClient> client = make_http_client();
};

TEST_F(InteracSandboxTest, RequestMoneyApproved) {
  auto h = send(handle_call("tx_RM", "approve@interac.sandbox"));
  ASSERT_TRUE(h.input) << h.input.error().message;
  EXPECT_EQ(h.response.status, 201);
  EXPECT_EQ(h.input->name, "handle.created");
  EXPECT_EQ(get_string(h.input->data, "status"), "INITIATED");
  EXPECT_EQ(get_string(h.input->data, "action"), "REDIRECT");
  EXPECT_EQ(get_int(h.input->data, "timeToLiveSeconds"), 899);
  const auto& link = h.input->data.at("links").as_array().at(0).as_object();
  EXPECT_EQ(get_string(link, "rel"), "redirect_payment");
  // The redirect page answers.
  HttpRequest page;
  page.method = "GET";
  page.target = std::string(get_string(link, "href"));
  auto shown = client->send(page, 5s);
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->status, 200);

  ASSERT_TRUE(receiver->wait_for("tx_RM", "PAYMENT_HANDLE_PAYABLE"));
  auto p = send(pay_call("tx_RM", get_string(h.input->data, "paymentHandleToken")));
  ASSERT_TRUE(p.input) << p.input.error().message;
  EXPECT_EQ(p.input->name, "payment.created");
  EXPECT_EQ(get_string(p.input->data, "status"), "PROCESSING");
  ASSERT_TRUE(receiver->wait_for("tx_RM", "PAYMENT_COMPLETED"));
  EXPECT_TRUE(receiver->wait_for("tx_RM", "PAYMENT_HANDLE_COMPLETED"));
  auto g = send(get_call("tx_RM", "get_payment", "payment_id", std::string(get_string(p.input->data, "id"))));
  ASSERT_TRUE(g.input);
  EXPECT_EQ(g.input->name, "payment.status");
  EXPECT_EQ(get_string(g.input->data, "status"), "COMPLETED");
  auto by_ref = send(get_call("tx_RM", "get_payment", "payment_id"));
  ASSERT_TRUE(by_ref.input);
  EXPECT_EQ(get_string(by_ref.input->data, "status"), "COMPLETED");
  EXPECT_EQ(sandbox.payments_created("tx_RM"), 1u);
  EXPECT_TRUE(receiver->refused().empty());
}

TEST_F(InteracSandboxTest, SendMoneyHandsOutAPaymentReference) {
  auto c = handle_call("tx_SM", "approve@interac.sandbox");
  c.params["mode"] = "SEND_MONEY";
  c.params["timeToLiveSeconds"] = 899;
  auto h = send(c);
  ASSERT_TRUE(h.input);
  EXPECT_EQ(get_string(h.input->data, "action"), "PAYABLE");
  EXPECT_FALSE(get_string(*get_object(h.input->data, "interacEtransfer"), "paymentReference").empty());
  ASSERT_TRUE(receiver->wait_for("tx_SM", "PAYMENT_HANDLE_PAYABLE"));
  auto p = send(pay_call("tx_SM", get_string(h.input->data, "paymentHandleToken")));
  ASSERT_TRUE(p.input);
  EXPECT_TRUE(receiver->wait_for("tx_SM", "PAYMENT_COMPLETED"));
}

TEST_F(InteracSandboxTest, DeclinedHandleIsFailedAtOnce) {
  auto h = send(handle_call("tx_DE", "decline@interac.sandbox"));
  ASSERT_TRUE(h.input);
  EXPECT_EQ(get_string(h.input->data, "status"), "FAILED");
}

TEST_F(InteracSandboxTest, CustomerCancelsOnTheInteracPage) {
  auto h = send(handle_call("tx_CA", "cancel@interac.sandbox"));
  ASSERT_TRUE(h.input);
  ASSERT_TRUE(receiver->wait_for("tx_CA", "PAYMENT_HANDLE_FAILED"));
  auto p = send(pay_call("tx_CA", get_string(h.input->data, "paymentHandleToken")));
  ASSERT_TRUE(p.input);
  EXPECT_EQ(p.input->name, "payment.rejected");  // only a PAYABLE handle can be paid
  EXPECT_EQ(sandbox.payments_created("tx_CA"), 0u);
}

TEST_F(InteracSandboxTest, PaymentFailsOrErrors) {
  auto token = payable_handle("tx_PF", "payfail@interac.sandbox");
  ASSERT_TRUE(send(pay_call("tx_PF", token)).input);
  EXPECT_TRUE(receiver->wait_for("tx_PF", "PAYMENT_FAILED"));
  token = payable_handle("tx_PE", "payerror@interac.sandbox");
  ASSERT_TRUE(send(pay_call("tx_PE", token)).input);
  EXPECT_TRUE(receiver->wait_for("tx_PE", "PAYMENT_ERRORED"));
}

TEST_F(InteracSandboxTest, FirstHandleRequestGets503ThenSucceeds) {
  auto first = send(handle_call("tx_UN", "unavailable@interac.sandbox"));
  ASSERT_FALSE(first.input);
  EXPECT_TRUE(first.input.error().retryable());
  EXPECT_EQ(sandbox.handles_created("tx_UN"), 0u);
  auto second = send(handle_call("tx_UN", "unavailable@interac.sandbox"));
  ASSERT_TRUE(second.input);
  EXPECT_EQ(second.response.status, 201);
  // A third time (a retry after a lost answer): the same handle again.
  auto third = send(handle_call("tx_UN", "unavailable@interac.sandbox"));
  ASSERT_TRUE(third.input);
  EXPECT_EQ(get_string(third.input->data, "id"), get_string(second.input->data, "id"));
  EXPECT_EQ(sandbox.handles_created("tx_UN"), 1u);
}

TEST_F(InteracSandboxTest, LostPaymentAnswerIsDeduplicatedByMerchantRefNum) {
  auto token = payable_handle("tx_LO", "lost@interac.sandbox");
  auto first = send(pay_call("tx_LO", token));
  ASSERT_FALSE(first.input);
  EXPECT_TRUE(first.input.error().retryable());
  auto retry = send(pay_call("tx_LO", token));  // the executor's retry: dupCheck refuses it with 5031
  EXPECT_EQ(retry.response.status, 409);
  ASSERT_TRUE(retry.input);
  EXPECT_EQ(retry.input->name, "payment.created");
  EXPECT_TRUE(get_bool(retry.input->data, "duplicate"));
  EXPECT_EQ(sandbox.payments_created("tx_LO"), 1u);
  EXPECT_TRUE(receiver->wait_for("tx_LO", "PAYMENT_COMPLETED"));
}

TEST_F(InteracSandboxTest, SlowAnswer) {
  auto token = payable_handle("tx_SL", "slow@interac.sandbox");
  auto p = send(pay_call("tx_SL", token));
  ASSERT_TRUE(p.input);
  EXPECT_GE(p.took, 250ms);
  EXPECT_TRUE(receiver->wait_for("tx_SL", "PAYMENT_COMPLETED"));
}

TEST_F(InteracSandboxTest, DuplicateWebhooksShareTheirDedupeId) {
  auto token = payable_handle("tx_DU", "duplicate@interac.sandbox");
  ASSERT_TRUE(receiver->wait_for("tx_DU", "PAYMENT_HANDLE_PAYABLE", 2));
  ASSERT_TRUE(send(pay_call("tx_DU", token)).input);
  ASSERT_TRUE(receiver->wait_for("tx_DU", "PAYMENT_COMPLETED", 2));
  std::vector<std::string> ids;
  for (const auto& in : receiver->received())
    if (in.txn_id == "tx_DU" && in.name == "PAYMENT_COMPLETED") ids.push_back(in.dedupe_id);
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0], ids[1]);
}

TEST_F(InteracSandboxTest, OutOfOrderWebhooksComeBeforeTheAnswers) {
  auto h = send(handle_call("tx_OO", "outoforder@interac.sandbox"));
  ASSERT_TRUE(h.input);
  // PAYABLE was acknowledged before the handle's answer left.
  EXPECT_EQ(receiver->count("tx_OO", "PAYMENT_HANDLE_PAYABLE"), 1u);
  auto p = send(pay_call("tx_OO", get_string(h.input->data, "paymentHandleToken")));
  ASSERT_TRUE(p.input);
  EXPECT_EQ(receiver->count("tx_OO", "PAYMENT_COMPLETED"), 1u);
  EXPECT_EQ(get_string(p.input->data, "status"), "COMPLETED");
}

TEST_F(InteracSandboxTest, NoWebhookAtAllOnlyGetsTell) {
  auto h = send(handle_call("tx_NW", "nowebhook@interac.sandbox"));
  ASSERT_TRUE(h.input);
  auto g = send(get_call("tx_NW", "get_payment_handle", "payment_handle_id", std::string(get_string(h.input->data, "id"))));
  ASSERT_TRUE(g.input);
  EXPECT_EQ(g.input->name, "handle.status");
  // The customer visits after customer_delay; a GET by merchantRefNum finds the handle PAYABLE.
  Result<ParsedInput> by_ref = fail(adapter_errc::unexpected_answer, "");
  EXPECT_TRUE(eventually([&] {
    by_ref = send(get_call("tx_NW", "get_payment_handle", "payment_handle_id")).input;
    return by_ref && get_string(by_ref->data, "status") == "PAYABLE";
  }));
  ASSERT_TRUE(by_ref);
  EXPECT_EQ(get_string(by_ref->data, "status"), "PAYABLE");
  ASSERT_TRUE(send(pay_call("tx_NW", get_string(h.input->data, "paymentHandleToken"))).input);
  Result<ParsedInput> paid = fail(adapter_errc::unexpected_answer, "");
  EXPECT_TRUE(eventually([&] {
    paid = send(get_call("tx_NW", "get_payment", "payment_id")).input;
    return paid && get_string(paid->data, "status") == "COMPLETED";
  }));
  ASSERT_TRUE(paid);
  EXPECT_EQ(get_string(paid->data, "status"), "COMPLETED");
  EXPECT_EQ(sandbox.webhooks_delivered("tx_NW"), 0u);
}

TEST_F(InteracSandboxTest, WebhooksAreRetriedWhileCorridorRefuses) {
  receiver->refuse_next(2);
  auto h = send(handle_call("tx_RT", "approve@interac.sandbox"));
  ASSERT_TRUE(h.input);
  ASSERT_TRUE(receiver->wait_for("tx_RT", "PAYMENT_HANDLE_PAYABLE"));
  EXPECT_EQ(receiver->attempts().back(), "3");  // attemptNumber grows with each delivery
}

TEST_F(InteracSandboxTest, RefusesBadCredentialsAndCurrency) {
  InteracAdapter wrong(InteracSettings{sandbox.base_url(), "someone:else", kHmacKey, "Signature", "", ""});
  auto req = wrong.build_request(handle_call("tx_AU", "approve@interac.sandbox"));
  ASSERT_TRUE(req);
  auto res = client->send(*req, 5s);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);

  // corridor's adapter refuses another currency before sending (its declared constraint); the
  // sandbox refuses one sent by anyone else, as Paysafe does.
  auto c = handle_call("tx_CU", "approve@interac.sandbox");
  c.params["amount"] = json::object{{"value", 5450}, {"currency", "USD"}};
  EXPECT_FALSE(adapter->build_request(c));
  c.params["amount"] = json::object{{"value", 5450}, {"currency", "CAD"}};
  auto usd = adapter->build_request(c);
  ASSERT_TRUE(usd);
  json::object body = json::parse(usd->body).as_object();
  body["currencyCode"] = "USD";
  usd->body = json::serialize(body);
  auto answer = client->send(*usd, 5s);
  ASSERT_TRUE(answer);
  auto h = adapter->parse_response(c, *answer);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->name, "handle.rejected");
  EXPECT_EQ(get_string(h->data, "code"), "5068");
}

// ---- withdrawals -------------------------------------------------------------------------------------

TEST_F(InteracSandboxTest, VerificationReportsAutodepositAndMaxAmount) {
  auto h = send(handle_call("tx_VE-verification", "autodeposit@interac.sandbox", "VERIFICATION", 50000));
  ASSERT_TRUE(h.input);
  EXPECT_EQ(get_string(h.input->data, "status"), "PAYABLE");
  auto v = send(pay_call("tx_VE-verification", get_string(h.input->data, "paymentHandleToken"), "create_verification", 50000));
  ASSERT_TRUE(v.input) << v.input.error().message;
  EXPECT_EQ(v.input->name, "verification.completed");
  EXPECT_EQ(v.input->txn_id, "tx_VE-verification");
  const auto& e = *get_object(v.input->data, "interacEtransfer");
  EXPECT_EQ(get_string(e, "transferType"), "ALIAS_AUTODEPOSIT");
  EXPECT_EQ(get_int(e, "maxAmount"), 390000);

  auto regular = send(handle_call("tx_VR-verification", "madhu@interac.sandbox", "VERIFICATION", 50000));
  auto vr = send(pay_call("tx_VR-verification", get_string(regular.input->data, "paymentHandleToken"), "create_verification", 50000));
  ASSERT_TRUE(vr.input);
  EXPECT_EQ(get_string(*get_object(vr.input->data, "interacEtransfer"), "transferType"), "ALIAS_REGULAR");
  EXPECT_EQ(get_int(*get_object(vr.input->data, "interacEtransfer"), "maxAmount"), 500000);
}

TEST_F(InteracSandboxTest, WithdrawalWithAutodepositCompletesAtTPlusOne) {
  auto h = send(handle_call("tx_WA", "autodeposit@interac.sandbox", "STANDALONE_CREDIT", 50000));
  ASSERT_TRUE(h.input);
  EXPECT_EQ(get_string(h.input->data, "status"), "PAYABLE");
  EXPECT_EQ(get_string(*get_object(h.input->data, "interacEtransfer"), "transferType"), "ALIAS_AUTODEPOSIT");
  auto c = send(pay_call("tx_WA", get_string(h.input->data, "paymentHandleToken"), "create_standalone_credit", 50000));
  ASSERT_TRUE(c.input) << c.input.error().message;
  EXPECT_EQ(c.input->name, "credit.created");
  EXPECT_EQ(get_string(c.input->data, "status"), "PROCESSING");
  EXPECT_TRUE(receiver->wait_for("tx_WA", "SA_CREDIT_PROCESSING"));
  ASSERT_TRUE(receiver->wait_for("tx_WA", "SA_CREDIT_COMPLETED"));
  auto g = send(get_call("tx_WA", "get_standalone_credit", "standalone_credit_id", std::string(get_string(c.input->data, "id"))));
  ASSERT_TRUE(g.input);
  EXPECT_EQ(get_string(g.input->data, "status"), "COMPLETED");
  EXPECT_EQ(sandbox.credits_created("tx_WA"), 1u);
}

TEST_F(InteracSandboxTest, WithdrawalWithSecurityQuestion) {
  // Without autodeposit the question and answer are required.
  auto refused = send(handle_call("tx_WQ", "madhu@interac.sandbox", "STANDALONE_CREDIT", 50000));
  ASSERT_TRUE(refused.input);
  EXPECT_EQ(refused.input->name, "handle.rejected");
  auto h = send(handle_call("tx_WQ", "madhu@interac.sandbox", "STANDALONE_CREDIT", 50000,
                            {{"question", "what is your name"}, {"answer", "MadhuBaddam"}}));
  ASSERT_TRUE(h.input);
  EXPECT_EQ(get_string(h.input->data, "status"), "PAYABLE");
  EXPECT_FALSE(get_object(h.input->data, "interacEtransfer")->contains("answer"));
  ASSERT_TRUE(send(pay_call("tx_WQ", get_string(h.input->data, "paymentHandleToken"), "create_standalone_credit", 50000)).input);
  EXPECT_TRUE(receiver->wait_for("tx_WQ", "SA_CREDIT_COMPLETED"));
}

TEST_F(InteracSandboxTest, CreditHandleDeclinedOrOverMaxAmount) {
  auto d = send(handle_call("tx_CD", "creditdecline+autodeposit@interac.sandbox", "STANDALONE_CREDIT", 50000));
  ASSERT_TRUE(d.input);
  EXPECT_EQ(get_string(d.input->data, "status"), "FAILED");
  auto over = send(handle_call("tx_OM", "autodeposit@interac.sandbox", "STANDALONE_CREDIT", 400000));
  ASSERT_TRUE(over.input);
  EXPECT_EQ(get_string(over.input->data, "status"), "FAILED");
}

TEST_F(InteracSandboxTest, CreditFailsOrIsNotClaimed) {
  const json::object q{{"question", "what is your name"}, {"answer", "MadhuBaddam"}};
  auto f = send(handle_call("tx_CF", "creditfail@interac.sandbox", "STANDALONE_CREDIT", 50000, q));
  ASSERT_TRUE(send(pay_call("tx_CF", get_string(f.input->data, "paymentHandleToken"), "create_standalone_credit", 50000)).input);
  EXPECT_TRUE(receiver->wait_for("tx_CF", "SA_CREDIT_FAILED"));
  auto u = send(handle_call("tx_UC", "unclaimed@interac.sandbox", "STANDALONE_CREDIT", 50000, q));
  ASSERT_TRUE(send(pay_call("tx_UC", get_string(u.input->data, "paymentHandleToken"), "create_standalone_credit", 50000)).input);
  EXPECT_TRUE(receiver->wait_for("tx_UC", "SA_CREDIT_CANCELLED"));
}

TEST_F(InteracSandboxTest, LostVerificationAnswerIsFoundByMerchantRefNum) {
  auto h = send(handle_call("tx_LV-verification", "verifylost+autodeposit@interac.sandbox", "VERIFICATION", 50000));
  ASSERT_TRUE(h.input);
  const std::string token(get_string(h.input->data, "paymentHandleToken"));
  auto first = send(pay_call("tx_LV-verification", token, "create_verification", 50000));
  ASSERT_FALSE(first.input);
  EXPECT_TRUE(first.input.error().retryable());  // taken, but answered 500
  auto retry = send(pay_call("tx_LV-verification", token, "create_verification", 50000));
  ASSERT_TRUE(retry.input);
  EXPECT_EQ(retry.input->name, "verification.rejected");
  EXPECT_EQ(get_string(retry.input->data, "code"), "5031");
  // The flow's get_verification: GET /paymenthub/v1/verifications?merchantRefNum=<txn_id>-verification.
  auto found = send(ProviderCall{"tx_LV:9:get_verification", "interac", "get_verification",
                                 {{"merchantRefNum", "tx_LV-verification"}}});
  ASSERT_TRUE(found.input) << found.input.error().message;
  EXPECT_EQ(found.input->name, "verification.status");
  EXPECT_EQ(found.input->txn_id, "tx_LV");
  EXPECT_EQ(get_string(found.input->data, "status"), "COMPLETED");
  EXPECT_EQ(get_string(*get_object(found.input->data, "interacEtransfer"), "transferType"), "ALIAS_AUTODEPOSIT");
  EXPECT_EQ(get_int(*get_object(found.input->data, "interacEtransfer"), "maxAmount"), 390000);
  // And by id, once known.
  auto by_id = send(ProviderCall{"tx_LV:10:get_verification", "interac", "get_verification",
                                 {{"verification_id", get_string(found.input->data, "id")}}});
  ASSERT_TRUE(by_id.input) << by_id.input.error().message;
  EXPECT_EQ(get_string(by_id.input->data, "id"), get_string(found.input->data, "id"));
  // None under another merchantRefNum: an error the flow counts (call.failed).
  auto none = send(ProviderCall{"tx_NV:9:get_verification", "interac", "get_verification",
                                {{"merchantRefNum", "tx_NV-verification"}}});
  ASSERT_FALSE(none.input);
  EXPECT_FALSE(none.input.error().retryable());
}

TEST_F(InteracSandboxTest, LostCreditAnswerIsDeduplicated) {
  auto h = send(handle_call("tx_LC", "lost+autodeposit@interac.sandbox", "STANDALONE_CREDIT", 50000));
  const std::string token(get_string(h.input->data, "paymentHandleToken"));
  auto first = send(pay_call("tx_LC", token, "create_standalone_credit", 50000));
  ASSERT_FALSE(first.input);
  EXPECT_TRUE(first.input.error().retryable());
  auto retry = send(pay_call("tx_LC", token, "create_standalone_credit", 50000));
  ASSERT_TRUE(retry.input);
  EXPECT_EQ(retry.input->name, "credit.created");
  EXPECT_TRUE(get_bool(retry.input->data, "duplicate"));
  EXPECT_EQ(sandbox.credits_created("tx_LC"), 1u);
}

class InteracSandboxExpiry : public InteracSandboxTest {
 protected:
  static InteracSandboxOptions options() {
    auto o = fast_options();
    o.handle_ttl_seconds = 1;
    o.late_payment_delay = 200ms;
    return o;
  }
  InteracSandboxExpiry() : InteracSandboxTest(options()) {}
};

TEST_F(InteracSandboxExpiry, UnusedHandleExpiresAfterItsTtl) {
  auto h = send(handle_call("tx_EX", "expire@interac.sandbox"));
  ASSERT_TRUE(h.input);
  EXPECT_EQ(get_int(h.input->data, "timeToLiveSeconds"), 1);
  ASSERT_TRUE(receiver->wait_for("tx_EX", "PAYMENT_HANDLE_EXPIRED"));
  EXPECT_EQ(receiver->count("tx_EX", "PAYMENT_HANDLE_PAYABLE"), 0u);
  auto g = send(get_call("tx_EX", "get_payment_handle", "payment_handle_id", std::string(get_string(h.input->data, "id"))));
  ASSERT_TRUE(g.input);
  EXPECT_EQ(get_string(g.input->data, "status"), "EXPIRED");
}

// latepay: the handle never turns PAYABLE nor expires; after the TTL Paysafe pays for the merchant.
TEST_F(InteracSandboxExpiry, PaysafePaysForTheMerchantAfterTheTtl) {
  auto h = send(handle_call("tx_LP", "latepay@interac.sandbox"));
  ASSERT_TRUE(h.input);
  auto open = send(get_call("tx_LP", "get_payment_handle", "payment_handle_id", std::string(get_string(h.input->data, "id"))));
  ASSERT_TRUE(open.input);
  EXPECT_EQ(get_string(open.input->data, "status"), "INITIATED");
  ASSERT_TRUE(receiver->wait_for("tx_LP", "PAYMENT_COMPLETED"));
  EXPECT_EQ(receiver->count("tx_LP", "PAYMENT_HANDLE_PAYABLE"), 0u);
  EXPECT_EQ(receiver->count("tx_LP", "PAYMENT_HANDLE_EXPIRED"), 0u);
  EXPECT_EQ(sandbox.payments_created("tx_LP"), 1u);
  auto used = send(get_call("tx_LP", "get_payment_handle", "payment_handle_id", std::string(get_string(h.input->data, "id"))));
  ASSERT_TRUE(used.input);
  EXPECT_EQ(get_string(used.input->data, "status"), "COMPLETED");
  auto paid = send(get_call("tx_LP", "get_payment", "payment_id"));
  ASSERT_TRUE(paid.input);
  EXPECT_EQ(get_string(paid.input->data, "status"), "COMPLETED");
  EXPECT_EQ(get_int(paid.input->data, "amount"), 5450);
}

// short: the payment and the standalone credit report one cent less than asked.
TEST_F(InteracSandboxTest, ShortReportsAnotherAmount) {
  auto token = payable_handle("tx_SH", "short@interac.sandbox");
  auto p = send(pay_call("tx_SH", token));
  ASSERT_TRUE(p.input);
  EXPECT_EQ(get_int(p.input->data, "amount"), 5449);
  ASSERT_TRUE(receiver->wait_for("tx_SH", "PAYMENT_COMPLETED"));
  for (const auto& in : receiver->received())
    if (in.txn_id == "tx_SH" && in.name == "PAYMENT_COMPLETED") {
      EXPECT_EQ(get_int(in.data, "amount"), 5449);
    }

  auto h = send(handle_call("tx_SC", "short+autodeposit@interac.sandbox", "STANDALONE_CREDIT", 50000));
  ASSERT_TRUE(h.input);
  EXPECT_EQ(get_int(h.input->data, "amount"), 50000);  // the handle is for the amount asked
  auto c = send(pay_call("tx_SC", get_string(h.input->data, "paymentHandleToken"), "create_standalone_credit", 50000));
  ASSERT_TRUE(c.input);
  EXPECT_EQ(get_int(c.input->data, "amount"), 49999);
}

}  // namespace
}  // namespace corridor
