// The esipay sandbox over loopback, driven through corridor's own adapter, with a small HttpServer
// standing in for corridor's return URL. The seed's rule first: a return URL that does not answer 200
// cancels the payment.
#include "sandbox/esipay/esipay_sandbox.hpp"

#include <gtest/gtest.h>

#include <mutex>

#include "adapters/esipay/esipay_adapter.hpp"
#include "engine/io/http_client.hpp"
#include "engine/io/http_server.hpp"

namespace corridor {
namespace {

using namespace std::chrono_literals;
constexpr std::string_view kToken = "tok_0123456789abcdef";

class ReturnUrl {
 public:
  ReturnUrl()
      : server_("127.0.0.1", 0, [this](HttpRequest req, Respond respond) {
          int status;
          {
            std::lock_guard lock(m_);
            received_.push_back(req);
            status = status_;
          }
          respond(json_response(status, "{}"));
        }) {}
  std::string url() const { return "http://" + server_.address() + "/callbacks/esipay/" + std::string(kToken); }
  void answer(int status) {
    std::lock_guard lock(m_);
    status_ = status;
  }
  std::vector<HttpRequest> received() {
    std::lock_guard lock(m_);
    return received_;
  }

 private:
  std::mutex m_;
  std::vector<HttpRequest> received_;
  int status_ = 200;
  HttpServer server_;
};

class EsipaySandboxTest : public ::testing::Test {
 protected:
  ReturnUrl corridor;
  EsipaySandbox sandbox{[&] {
    EsipaySandboxOptions o;
    o.uuid = "uuid-1";
    o.return_url = corridor.url();
    return o;
  }()};
  std::unique_ptr<EsipayAdapter> adapter;
  std::unique_ptr<HttpClient> client = make_http_client();

  void SetUp() override {
    sandbox.start();
    EsipaySettings s;
    s.base_url = sandbox.base_url();
    s.uuid = "uuid-1";
    s.callback_token = std::string(kToken);
    s.allowed_sources = {"127.0.0.1"};
    adapter = std::make_unique<EsipayAdapter>(s);
  }

  Result<ParsedInput> call(const ProviderCall& c, std::chrono::milliseconds timeout = 5s) {
    auto req = adapter->build_request(c);
    if (!req) return req.error();
    auto res = client->send(*req, timeout);
    if (!res) return res.error();
    return adapter->parse_response(c, *res);
  }

  static ProviderCall pay(std::string cid, std::string_view card, std::int64_t amount = 10000) {
    return {cid + ":1:cardpay", "esipay", "cardpay",
            {{"cid", cid}, {"amount", {{"value", amount}, {"currency", "XOF"}}},
             {"card", {{"number", card}, {"exp_month", 12}, {"exp_year", 2027}}}}};
  }
  static ProviderCall refund(std::string cid, std::string transaction, std::int64_t amount = 0) {
    ProviderCall c{cid + ":5:refund", "esipay", amount ? "refund_partial" : "refund", {{"cid", cid}, {"transaction", transaction}}};
    if (amount) c.params["amount"] = {{"value", amount}, {"currency", "XOF"}};
    return c;
  }
};

TEST_F(EsipaySandboxTest, ApproveCallsTheReturnUrlBeforeAnswering200) {
  auto in = call(pay("tx_1", esipay_cards::kApprove));
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->name, "charge.succeeded");
  const auto got = corridor.received();
  ASSERT_EQ(got.size(), 1u);  // already there when the 200 came
  auto cb = got[0];
  cb.target = "/callbacks/esipay/" + std::string(kToken);
  auto parsed = adapter->parse_webhook(cb);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->txn_id, "tx_1");
  EXPECT_EQ(get_string(parsed->data, "amount"), "10000");
  EXPECT_EQ(get_string(parsed->data, "transaction"), sandbox.transaction_of("tx_1"));
  EXPECT_EQ(got[0].body.find(esipay_cards::kApprove), std::string::npos);
}

TEST_F(EsipaySandboxTest, ReturnUrlNot200CancelsThePayment) {
  corridor.answer(503);
  auto in = call(pay("tx_2", esipay_cards::kApprove));
  ASSERT_TRUE(in);
  EXPECT_EQ(in->name, "charge.failed");
  EXPECT_EQ(get_int(in->data, "http_status"), 500);
  EXPECT_EQ(sandbox.status_of("tx_2"), "cancelled");
  EXPECT_EQ(sandbox.cancelled_for_return_url(), 1u);
  EXPECT_EQ(get_string(in->data, "error").find(esipay_cards::kApprove), std::string::npos);
}

TEST_F(EsipaySandboxTest, StatusScenarios) {
  for (auto [card, status] : {std::pair{esipay_cards::kBadRequest, 400}, {esipay_cards::kForbidden, 403}, {esipay_cards::kServiceError, 500}}) {
    auto in = call(pay("tx_s" + std::to_string(status), card));
    ASSERT_TRUE(in);
    EXPECT_EQ(in->name, "charge.failed");
    EXPECT_EQ(get_int(in->data, "http_status"), status);
  }
  EXPECT_TRUE(corridor.received().empty());
}

TEST_F(EsipaySandboxTest, NoAnswerTimesOut) {
  auto in = call(pay("tx_3", esipay_cards::kNoAnswer), 300ms);
  ASSERT_FALSE(in);
  EXPECT_TRUE(in.error().retryable());
  EXPECT_EQ(sandbox.payments("tx_3"), 1u);
}

TEST_F(EsipaySandboxTest, DuplicateAndNoCallback) {
  ASSERT_TRUE(call(pay("tx_4", esipay_cards::kDuplicateCallback)));
  EXPECT_EQ(corridor.received().size(), 2u);
  ASSERT_TRUE(call(pay("tx_5", esipay_cards::kNoCallback)));
  EXPECT_EQ(sandbox.callbacks_sent("tx_5"), 0u);
}

TEST_F(EsipaySandboxTest, WrongMethodUuidOrSourceRefused) {
  HttpRequest get;
  get.method = "GET";
  get.target = sandbox.base_url() + "/cardpay/uuid-1/tx_6/4000000000000001/12/2027/100";
  EXPECT_EQ(client->send(get, 5s)->status, 405);
  HttpRequest other;
  other.method = "POST";
  other.target = sandbox.base_url() + "/cardpay/not-ours/tx_6/4000000000000001/12/2027/100";
  auto res = client->send(other, 5s);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(res->body.find("4000000000000001"), std::string::npos);
}

TEST_F(EsipaySandboxTest, PartialThenFullRefundAndOverRemaining) {
  ASSERT_TRUE(call(pay("tx_7", esipay_cards::kApprove)));
  const std::string t = sandbox.transaction_of("tx_7");
  EXPECT_EQ(call(refund("tx_7", t, 4000))->name, "refund.succeeded");
  EXPECT_EQ(sandbox.remaining_of(t), "6000");
  auto over = call(refund("tx_7", t, 7000));
  EXPECT_EQ(over->name, "refund.failed");
  EXPECT_EQ(get_int(over->data, "http_status"), 400);
  EXPECT_EQ(call(refund("tx_7", t))->name, "refund.succeeded");
  EXPECT_EQ(sandbox.remaining_of(t), "0");
  EXPECT_EQ(sandbox.status_of("tx_7"), "refunded");
  EXPECT_EQ(call(refund("tx_7", t))->name, "refund.failed");
  EXPECT_EQ(sandbox.refunds(t), 2u);
}

TEST_F(EsipaySandboxTest, RefundRefusedScenario) {
  ASSERT_TRUE(call(pay("tx_8", esipay_cards::kRefundRefused)));
  auto r = call(refund("tx_8", sandbox.transaction_of("tx_8")));
  EXPECT_EQ(r->name, "refund.failed");
}

TEST_F(EsipaySandboxTest, OtherRealAmountScenario) {
  ASSERT_TRUE(call(pay("tx_9", esipay_cards::kOtherRealAmount)));
  const auto got = corridor.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].body.find("amount=9999&"), std::string::npos) << got[0].body;
}

// The first refund's answer never comes: done in one scenario, not in the other. The settlement file
// says which.
TEST_F(EsipaySandboxTest, RefundsWithoutAnAnswerAndTheSettlementFile) {
  ASSERT_TRUE(call(pay("tx_10", esipay_cards::kRefundLostAnswer)));
  ASSERT_TRUE(call(pay("tx_11", esipay_cards::kRefundNeverDone)));
  const std::string done = sandbox.transaction_of("tx_10");
  const std::string lost = sandbox.transaction_of("tx_11");
  EXPECT_FALSE(call(refund("tx_10", done, 4000), 300ms));
  EXPECT_FALSE(call(refund("tx_11", lost, 4000), 300ms));
  EXPECT_EQ(sandbox.remaining_of(done), "6000");
  EXPECT_EQ(sandbox.remaining_of(lost), "10000");
  // Later refunds are answered.
  EXPECT_EQ(call(refund("tx_10", done, 6000))->name, "refund.succeeded");
  EXPECT_EQ(call(refund("tx_11", lost, 6000))->name, "refund.succeeded");

  const std::string csv = sandbox.settlement_csv();
  EXPECT_TRUE(csv.starts_with("date,transaction,cid,type,amount,currency\n")) << csv;
  auto count = [&](std::string_view needle) {
    std::size_t n = 0;
    for (auto at = csv.find(needle); at != std::string::npos; at = csv.find(needle, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count(done + ",tx_10,card,10000,XOF"), 1u);
  EXPECT_EQ(count(done + ",tx_10,refund,4000,XOF"), 1u);
  EXPECT_EQ(count(done + ",tx_10,refund,6000,XOF"), 1u);
  EXPECT_EQ(count(lost + ",tx_11,refund,4000,XOF"), 0u);
  EXPECT_EQ(count(lost + ",tx_11,refund,6000,XOF"), 1u);
  HttpRequest get;
  get.method = "GET";
  get.target = sandbox.base_url() + "/_sandbox/settlement";
  auto res = client->send(get, 5s);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, csv);
}

}  // namespace
}  // namespace corridor
