// Paysafe Interac e-Transfer adapter: requests built from the flows' params, the seed's own example
// answers parsed, Paysafe's errors and dupCheck refusals, and webhook signatures. Pure: no sockets.
#include "adapters/interac/interac_adapter.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>

#include "adapters/registry.hpp"
#include "statemachines/interac_inputs.hpp"

namespace corridor {
namespace {

std::string hdr(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < k.size(); ++i)
      same = same && std::tolower(static_cast<unsigned char>(k[i])) == std::tolower(static_cast<unsigned char>(name[i]));
    if (same) return v;
  }
  return {};
}

InteracSettings settings() {
  InteracSettings s;
  s.base_url = "https://api.test.paysafe.com/";
  s.api_key = "devcentre322:B-qa2-0-53625f86";
  s.webhook_hmac_key = "hmac-test-key";
  return s;
}

InteracAdapter adapter() { return InteracAdapter(settings()); }

json::object body_of(const HttpRequest& r) { return json::parse(r.body).as_object(); }

ProviderCall call(std::string op, json::object params, std::string seq = "3") {
  return ProviderCall{"tx_ABC:" + seq + ":" + op, "interac", std::move(op), std::move(params)};
}

json::object money(std::int64_t v = 544) { return {{"value", v}, {"currency", "CAD"}}; }

// interac.payment's create_payment_handle params (request money).
ProviderCall request_money_handle() {
  return call("create_payment_handle",
              {{"merchantRefNum", "tx_ABC"},
               {"transactionType", "PAYMENT"},
               {"paymentType", "INTERAC_ETRANSFER"},
               {"amount", money()},
               {"mode", "REQUEST_MONEY"},
               {"interacEtransfer", {{"consumerId", "madhubaddam@paysafe.com"}, {"type", "EMAIL"}}},
               {"customer", {{"email", "madhu@paysafe.com"}, {"name", "Madhu Baddam"}}}});
}

HttpResponse answer(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// ---- the seed's example answers --------------------------------------------------------------------

constexpr const char* kSeedHandleResponse = R"({
"id": "514b4cf1-8891-445d-9b58-e50ae02d8c3c", "paymentType": "INTERAC_ETRANSFER", "paymentHandleToken": "PHEkR6gInY2NM05X",
"merchantRefNum": "afca4603-a9d7-4010-866f-f5a7204f36fd", "currencyCode": "CAD", "txnTime": "2021-10-06T13:15:22Z",
"billingDetails": {"street": "100 Queen", "street2": "Unit 201", "city": "Melbourne", "zip": "3000", "state": "Victoria", "country": "AU"},
"customerIp": "172.0.0.1", "status": "INITIATED",
"links": [{"rel": "redirect_payment", "href": "https://api.qa.paysafe.com/alternatepayments/v1/redirect?accountId=1018169820&paymentHandleId=514b4cf1-8891-445d-9b58-e50ae02d8c3c&token=eyJhbGciOiJIUzI1NiJ9"}],
"liveMode": false, "simulator": "EXTERNAL", "usage": "SINGLE_USE", "action": "REDIRECT", "executionMode": "SYNCHRONOUS",
"amount": 544, "timeToLiveSeconds": 899, "gatewayResponse": {"id": "Gs27oxf1xsoUJRrB", "processor": "INTERAC", "status": "AVAILABLE"},
"transactionType": "PAYMENT", "gatewayReconciliationId": "e17a0f2f-ab84-4fe0-a405-a6ef104120dc",
"updatedTime": "2021-10-06T13:15:23Z", "statusTime": "2021-10-06T13:15:23Z",
"interacEtransfer": {"consumerId": "madhu.baddam@paysafe.com", "type": "EMAIL"},
"profile": {"firstName": "Madhu", "lastName": "Baddam", "email": "madhu@paysafe.com"}})";

constexpr const char* kSeedPaymentResponse = R"({
"id": "568530f0-262a-453f-b681-1088195d9439", "paymentType": "INTERAC_ETRANSFER", "paymentHandleToken": "PHEkR6gInY2NM05X",
"merchantRefNum": "b9405251-5ede-4439-b844-73ff553144a5", "currencyCode": "CAD", "settleWithAuth": true, "dupCheck": true,
"txnTime": "2021-10-06T13:18:58Z", "status": "PROCESSING", "gatewayReconciliationId": "Io27oxf1xsqOrDIe", "amount": 546,
"availableToRefund": 0, "consumerIp": "172.0.0.1", "liveMode": false, "simulator": "EXTERNAL",
"gatewayResponse": {"id": "Io27oxf1xsqOrDIe", "processor": "INTERAC", "status": "AVAILABLE"}, "availableToSettle": 0,
"interacEtransfer": {"consumerId": "madhu.baddam@paysafe.com", "type": "EMAIL"},
"settlements": {"amount": 546, "txnTime": "2021-10-06T13:18:58.000+0000", "availableToRefund": 0,
"merchantRefNum": "b9405251-5ede-4439-b844-73ff553144a5", "id": "568530f0-262a-453f-b681-1088195d9439", "status": "PROCESSING"}})";

constexpr const char* kSeedVerificationResponse = R"({
"id": "d19ca286-6497-4dc5-bcd6-c1b80431800a", "paymentType": "INTERAC_ETRANSFER", "paymentHandleToken": "PHd0GFCqwJqu9YkV",
"merchantRefNum": "ab428d69-1135-4db7-9305-999605b48814", "currencyCode": "CAD", "txnTime": "2021-10-06T09:40:52Z",
"status": "COMPLETED", "amount": 543, "liveMode": false, "simulator": "EXTERNAL", "gatewayResponse": {"processor": "INTERAC"},
"interacEtransfer": {"consumerId": "madhu@paysafe.com", "maxAmount": 500000, "transferType": "ALIAS_REGULAR"},
"profile": {"firstName": "Madhu", "lastName": "Baddam", "email": "madhu.baddam@paysafe.com"}})";

constexpr const char* kSeedAutodepositHandle = R"({
"id": "b1d312e0-91c2-4a64-be50-42f02c58b1c0", "paymentType": "INTERAC_ETRANSFER", "paymentHandleToken": "PHC3sQw2EaDNrSFy",
"merchantRefNum": "mer_ref_1646288564", "currencyCode": "CAD", "txnTime": "2022-03-03T06:22:55Z", "customerIp": "172.0.0.1",
"status": "PAYABLE", "liveMode": false, "action": "NONE", "amount": 500, "merchantDescriptor": {"dynamicDescriptor": "OnlineStore"},
"timeToLiveSeconds": 899, "gatewayResponse": {"id": "bpw3csW2cHypVNVF", "processor": "PEOPLE_TRUST", "status": "ACCEPTED", "profile": {"fullName": "customername"}},
"transactionType": "STANDALONE_CREDIT", "gatewayReconciliationId": "46fe2e4b-bbf8-4976-9d6f-216150edf17c",
"interacEtransfer": {"consumerId": "paysafeauto@paysafe.com", "maxAmount": 390000, "transferType": "ALIAS_AUTODEPOSIT"}})";

constexpr const char* kSeedWithdrawalResponse = R"({
"id": "b7759f69-b194-41ad-aab2-164432596c04", "paymentType": "INTERAC_ETRANSFER", "paymentHandleToken": "PH6grPCguAtRInwc",
"merchantRefNum": "4f55a9f1-f19d-4bc7-b52f-7ef7133995a1", "currencyCode": "CAD", "dupCheck": true, "txnTime": "2021-10-06T13:38:44Z",
"customerIp": "172.0.0.1", "status": "PROCESSING", "gatewayReconciliationId": "f58a0d95-0934-46dd-bcd3-96c4990be3f3", "amount": 500,
"liveMode": false, "simulator": "EXTERNAL", "gatewayResponse": {"id": "Yd27oxf1xt1HwRRi", "processor": "INTERAC", "status": "AVAILABLE"},
"interacEtransfer": {"consumerId": "madhu@paysafe.com", "question": "what is your name", "answer": "MadhuBaddam", "maxAmount": 500000, "transferType": "ALIAS_REGULAR"}})";

// ---- requests --------------------------------------------------------------------------------------

TEST(InteracAdapter, RequestMoneyHandleIsTheSeedsRequest) {
  auto req = adapter().build_request(request_money_handle());
  ASSERT_TRUE(req) << req.error().message;
  EXPECT_EQ(req->method, "POST");
  EXPECT_EQ(req->target, "https://api.test.paysafe.com/paymenthub/v1/paymenthandles");
  // Basic auth with the API key: base64("devcentre322:B-qa2-0-53625f86").
  EXPECT_EQ(hdr(req->headers, "Authorization"), "Basic ZGV2Y2VudHJlMzIyOkItcWEyLTAtNTM2MjVmODY=");
  EXPECT_EQ(hdr(req->headers, "Content-Type"), "application/json");
  const auto b = body_of(*req);
  EXPECT_EQ(get_string(b, "merchantRefNum"), "tx_ABC");
  EXPECT_EQ(get_string(b, "transactionType"), "PAYMENT");
  EXPECT_EQ(get_string(b, "paymentType"), "INTERAC_ETRANSFER");
  EXPECT_EQ(b.at("amount").as_int64(), 544);  // minor units, as Paysafe writes them
  EXPECT_EQ(get_string(b, "currencyCode"), "CAD");
  EXPECT_FALSE(b.contains("mode"));  // request money is the default: the seed's example has no mode
  EXPECT_EQ(get_string(*get_object(b, "interacEtransfer"), "consumerId"), "madhubaddam@paysafe.com");
  EXPECT_EQ(get_string(*get_object(b, "interacEtransfer"), "type"), "EMAIL");
  EXPECT_EQ(get_string(*get_object(b, "profile"), "firstName"), "Madhu");
  EXPECT_EQ(get_string(*get_object(b, "profile"), "lastName"), "Baddam");
  EXPECT_EQ(get_string(*get_object(b, "profile"), "email"), "madhu@paysafe.com");
  EXPECT_FALSE(b.contains("returnLinks"));
}

TEST(InteracAdapter, SendMoneyHandleAsksForTheModeAndTtl) {
  auto c = request_money_handle();
  c.params["mode"] = "SEND_MONEY";
  c.params["timeToLiveSeconds"] = 899;
  auto s = settings();
  s.return_url = "https://shop.example/back";
  s.account_id = "1018169820";
  auto req = InteracAdapter(s).build_request(c);
  ASSERT_TRUE(req);
  const auto b = body_of(*req);
  EXPECT_EQ(get_string(b, "mode"), "SEND_MONEY");
  EXPECT_EQ(b.at("timeToLiveSeconds").as_int64(), 899);
  EXPECT_EQ(get_string(b, "accountId"), "1018169820");
  ASSERT_TRUE(b.at("returnLinks").is_array());
  EXPECT_EQ(b.at("returnLinks").as_array().size(), 3u);
}

// The flow puts {"answer": {"sealed": ...}} in the params; the executor opens it in memory just before
// build_request, so the adapter sees the plain answer.
TEST(InteracAdapter, StandaloneCreditHandleCarriesTheSecurityQuestion) {
  auto c = call("create_payment_handle",
                {{"merchantRefNum", "tx_ABC"},
                 {"transactionType", "STANDALONE_CREDIT"},
                 {"paymentType", "INTERAC_ETRANSFER"},
                 {"amount", money(500)},
                 {"interacEtransfer",
                  {{"consumerId", "madhu@paysafe.com"}, {"type", "EMAIL"}, {"question", "what is your name"}, {"answer", "MadhuBaddam"}}}});
  auto req = adapter().build_request(c);
  ASSERT_TRUE(req);
  const auto e = *get_object(body_of(*req), "interacEtransfer");
  EXPECT_EQ(get_string(e, "question"), "what is your name");
  EXPECT_EQ(get_string(e, "answer"), "MadhuBaddam");
}

TEST(InteracAdapter, AnAnswerStillSealedIsNeverSent) {
  auto c = call("create_payment_handle",
                {{"merchantRefNum", "tx_ABC"},
                 {"transactionType", "STANDALONE_CREDIT"},
                 {"amount", money(500)},
                 {"interacEtransfer",
                  {{"consumerId", "madhu@paysafe.com"}, {"question", "what is your name"},
                   {"answer", {{"sealed", "c2VhbGVkLWNpcGhlcnRleHQ="}}}}}});
  auto r = adapter().build_request(c);
  ASSERT_FALSE(r);
  EXPECT_FALSE(r.error().retryable());  // the executor makes it call.failed, refused before send
  EXPECT_NE(r.error().message.find("interacEtransfer.answer is still sealed"), std::string::npos);
  EXPECT_EQ(r.error().message.find("c2VhbGVk"), std::string::npos);
  c.params["interacEtransfer"].as_object()["answer"] = 42;
  r = adapter().build_request(c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("answer"), std::string::npos);
}

TEST(InteracAdapter, PaymentVerificationAndCreditAreDupChecked) {
  const json::object p{{"merchantRefNum", "tx_ABC"}, {"amount", money(546)}, {"settleWithAuth", true}, {"dupCheck", true},
                       {"paymentHandleToken", "PHEkR6gInY2NM05X"}};
  auto pay = adapter().build_request(call("create_payment", p));
  ASSERT_TRUE(pay);
  EXPECT_EQ(pay->target, "https://api.test.paysafe.com/paymenthub/v1/payments");
  auto b = body_of(*pay);
  EXPECT_EQ(b.at("amount").as_int64(), 546);
  EXPECT_EQ(get_string(b, "currencyCode"), "CAD");
  EXPECT_TRUE(b.at("settleWithAuth").as_bool());
  EXPECT_TRUE(b.at("dupCheck").as_bool());
  EXPECT_EQ(get_string(b, "paymentHandleToken"), "PHEkR6gInY2NM05X");

  auto verify = adapter().build_request(call("create_verification", {{"merchantRefNum", "tx_ABC-verification"},
                                                                       {"amount", money(543)},
                                                                       {"paymentHandleToken", "PHd0GFCqwJqu9YkV"}}));
  ASSERT_TRUE(verify);
  EXPECT_EQ(verify->target, "https://api.test.paysafe.com/paymenthub/v1/verifications");
  EXPECT_TRUE(body_of(*verify).at("dupCheck").as_bool());

  auto credit = adapter().build_request(call("create_standalone_credit", {{"merchantRefNum", "tx_ABC"},
                                                                           {"amount", money(500)},
                                                                           {"paymentHandleToken", "PH6grPCguAtRInwc"},
                                                                           {"description", "Magazine subscription"}}));
  ASSERT_TRUE(credit);
  EXPECT_EQ(credit->target, "https://api.test.paysafe.com/paymenthub/v1/standalonecredits");
  b = body_of(*credit);
  EXPECT_EQ(get_string(b, "description"), "Magazine subscription");
  EXPECT_TRUE(b.at("dupCheck").as_bool());
}

TEST(InteracAdapter, GetsByIdOrByMerchantRefNum) {
  auto by_id = adapter().build_request(call("get_payment", {{"payment_id", "568530f0-262a"}, {"merchantRefNum", "tx_ABC"}}));
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->method, "GET");
  EXPECT_EQ(by_id->target, "https://api.test.paysafe.com/paymenthub/v1/payments/568530f0-262a");
  auto by_ref = adapter().build_request(call("get_payment", {{"payment_id", ""}, {"merchantRefNum", "tx ABC"}}));
  ASSERT_TRUE(by_ref);
  EXPECT_EQ(by_ref->target, "https://api.test.paysafe.com/paymenthub/v1/payments?merchantRefNum=tx%20ABC");
  auto handle = adapter().build_request(call("get_payment_handle", {{"payment_handle_id", "514b"}, {"merchantRefNum", "tx_ABC"}}));
  ASSERT_TRUE(handle);
  EXPECT_EQ(handle->target, "https://api.test.paysafe.com/paymenthub/v1/paymenthandles/514b");
  auto credit = adapter().build_request(call("get_standalone_credit", {{"standalone_credit_id", ""}, {"merchantRefNum", "tx_ABC"}}));
  ASSERT_TRUE(credit);
  EXPECT_EQ(credit->target, "https://api.test.paysafe.com/paymenthub/v1/standalonecredits?merchantRefNum=tx_ABC");
}

// A look-up of something Paysafe does not hold (404, or an empty list by merchantRefNum) fails with
// HTTP status 404, which the executor's call.failed reports as not_found (reconciliation).
TEST(InteracAdapter, LookUpsOfNothingAreNotFound) {
  const ProviderCall get = call("get_payment", {{"payment_id", ""}, {"merchantRefNum", "tx_ABC"}});
  auto empty = adapter().parse_response(get, answer(200, R"({"payments": []})"));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().http_status(), 404);
  EXPECT_FALSE(empty.error().retryable());
  EXPECT_EQ(code_text(empty.error().code), "adapter.not_found");
  auto missing = adapter().parse_response(get, answer(404, R"({"error": {"code": "5269", "message": "not found"}})"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().http_status(), 404);
  EXPECT_EQ(code_text(missing.error().code), "adapter.not_found");
  // Any other refusal of a look-up is an answer corridor cannot act on.
  auto unauthorised = adapter().parse_response(get, answer(401, R"({"error": {"code": "5279", "message": "invalid credentials"}})"));
  ASSERT_FALSE(unauthorised);
  EXPECT_FALSE(unauthorised.error().retryable());
  EXPECT_EQ(code_text(unauthorised.error().code), "adapter.unexpected_answer");
  // A 404 on a create is a refusal, not a look-up.
  auto refused = adapter().parse_response(request_money_handle(), answer(404, R"({"error": {"code": "5269"}})"));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->name, "handle.rejected");
}

TEST(InteracAdapter, BadParamsNameTheField) {
  auto c = request_money_handle();
  c.params.edit().erase("merchantRefNum");
  auto r = adapter().build_request(c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("merchantRefNum"), std::string::npos);
  EXPECT_EQ(code_text(r.error().code), "adapter.bad_parameters");

  c = request_money_handle();
  c.params["amount"] = json::object{{"value", "5.44"}, {"currency", "CAD"}};
  r = adapter().build_request(c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("amount.value"), std::string::npos);

  c = request_money_handle();
  c.params["interacEtransfer"] = json::object{{"consumerId", ""}};
  r = adapter().build_request(c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("consumerId"), std::string::npos);

  r = adapter().build_request(call("create_payment", {{"merchantRefNum", "tx_ABC"}, {"amount", money()}}));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("paymentHandleToken"), std::string::npos);

  r = adapter().build_request(call("refund", {}));
  ASSERT_FALSE(r);
  EXPECT_FALSE(r.error().retryable());
  EXPECT_EQ(code_text(r.error().code), "adapter.unknown_operation");
  auto answered = adapter().parse_response(call("refund", {}), answer(200, "{}"));
  ASSERT_FALSE(answered);
  EXPECT_EQ(code_text(answered.error().code), "adapter.unknown_operation");
}

TEST(InteracAdapter, Base64ApiKeyIsUsedAsGiven) {
  auto s = settings();
  s.api_key = "ZGV2Y2VudHJlMzIyOkItcWEyLTAtNTM2MjVmODY=";
  auto req = InteracAdapter(s).build_request(request_money_handle());
  ASSERT_TRUE(req);
  EXPECT_EQ(hdr(req->headers, "Authorization"), "Basic ZGV2Y2VudHJlMzIyOkItcWEyLTAtNTM2MjVmODY=");
}

// ---- answers ---------------------------------------------------------------------------------------

TEST(InteracAdapter, SeedHandleAnswerIsHandleCreated) {
  auto in = adapter().parse_response(request_money_handle(), answer(201, kSeedHandleResponse));
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->txn_id, "tx_ABC");
  EXPECT_EQ(in->name, "handle.created");
  const auto h = fields::from_object<InteracPaymentHandle>(in->data);
  EXPECT_EQ(h.id, "514b4cf1-8891-445d-9b58-e50ae02d8c3c");
  EXPECT_EQ(h.status, "INITIATED");
  EXPECT_EQ(h.action, "REDIRECT");
  EXPECT_EQ(h.paymentHandleToken, "PHEkR6gInY2NM05X");
  EXPECT_EQ(h.amount, json::value(544));
  EXPECT_EQ(h.currencyCode, "CAD");
  EXPECT_EQ(h.timeToLiveSeconds, 899);
  ASSERT_TRUE(h.links);
  ASSERT_EQ(h.links->size(), 1u);
  EXPECT_EQ(h.links->front().rel, "redirect_payment");
  EXPECT_TRUE(h.links->front().href.starts_with("https://api.qa.paysafe.com/alternatepayments/v1/redirect?"));
  ASSERT_TRUE(h.interacEtransfer);
  EXPECT_EQ(h.interacEtransfer->consumerId, "madhu.baddam@paysafe.com");
  // The input is the handle as the flows read it, under Paysafe's names; the rest of Paysafe's answer
  // (billing details, gateway response, profile) is not kept.
  EXPECT_EQ(in->data, fields::to_object(h));
  EXPECT_EQ(in->data.at("timeToLiveSeconds"), json::value(899));
  EXPECT_FALSE(in->data.contains("gatewayResponse"));
  EXPECT_FALSE(in->data.contains("profile"));
}

TEST(InteracAdapter, SeedPaymentAnswerIsPaymentCreated) {
  auto c = call("create_payment", {{"merchantRefNum", "tx_ABC"}, {"amount", money(546)}, {"paymentHandleToken", "PHEkR6gInY2NM05X"}}, "7");
  auto in = adapter().parse_response(c, answer(200, kSeedPaymentResponse));
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->name, "payment.created");
  const auto p = fields::from_object<InteracPayment>(in->data);
  EXPECT_EQ(p.id, "568530f0-262a-453f-b681-1088195d9439");
  EXPECT_EQ(p.status, "PROCESSING");
  EXPECT_EQ(p.amount, json::value(546));
  EXPECT_EQ(p.currencyCode, "CAD");
  EXPECT_FALSE(p.duplicate);
}

TEST(InteracAdapter, SeedVerificationAnswerCarriesMaxAmount) {
  auto c = call("create_verification", {{"merchantRefNum", "tx_ABC-verification"}, {"amount", money(543)}, {"paymentHandleToken", "PHd0GFCqwJqu9YkV"}});
  auto in = adapter().parse_response(c, answer(200, kSeedVerificationResponse));
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->name, "verification.completed");
  const auto v = fields::from_object<InteracVerification>(in->data);
  EXPECT_EQ(v.status, "COMPLETED");
  ASSERT_TRUE(v.interacEtransfer);
  EXPECT_EQ(v.interacEtransfer->maxAmount, 500000);
  EXPECT_EQ(v.interacEtransfer->transferType, "ALIAS_REGULAR");
}

// A lost /verifications answer: the flow GETs it by its own merchantRefNum (Paysafe's lookup).
TEST(InteracAdapter, VerificationIsLookedUpByMerchantRefNum) {
  auto req = adapter().build_request(call("get_verification", {{"merchantRefNum", "tx_ABC-verification"}}));
  ASSERT_TRUE(req) << req.error().message;
  EXPECT_EQ(req->method, "GET");
  EXPECT_EQ(req->target, "https://api.test.paysafe.com/paymenthub/v1/verifications?merchantRefNum=tx_ABC-verification");
  EXPECT_TRUE(req->body.empty());
  auto by_id = adapter().build_request(call("get_verification", {{"verification_id", "d19ca286"}}));
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->target, "https://api.test.paysafe.com/paymenthub/v1/verifications/d19ca286");
  EXPECT_FALSE(adapter().build_request(call("get_verification", {})));  // names merchantRefNum

  const auto c = call("get_verification", {{"merchantRefNum", "tx_ABC-verification"}});
  auto in = adapter().parse_response(
      c, answer(200, std::string(R"({"verifications":[)") + std::string(kSeedVerificationResponse) + "]}"));
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->name, "verification.status");
  EXPECT_EQ(in->txn_id, "tx_ABC");
  EXPECT_EQ(fields::from_object<InteracVerification>(in->data).interacEtransfer.value().maxAmount, 500000);
  auto none = adapter().parse_response(c, answer(200, R"({"verifications":[]})"));
  ASSERT_FALSE(none);
  EXPECT_FALSE(none.error().retryable());  // call.failed: the flow looks again later, a bounded number of times
  EXPECT_EQ(code_text(none.error().code), "adapter.not_found");
  auto down = adapter().parse_response(c, answer(503, R"({"error":{"code":"1000","message":"down"}})"));
  ASSERT_FALSE(down);
  EXPECT_TRUE(down.error().retryable());
  EXPECT_EQ(code_text(down.error().code), "adapter.provider_unavailable");
}

TEST(InteracAdapter, SeedCreditAnswersAndTheAnswerIsNotKept) {
  auto handle = adapter().parse_response(request_money_handle(), answer(201, kSeedAutodepositHandle));
  ASSERT_TRUE(handle) << handle.error().message;
  const auto h = fields::from_object<InteracPaymentHandle>(handle->data);
  EXPECT_EQ(h.status, "PAYABLE");
  EXPECT_EQ(h.transactionType, "STANDALONE_CREDIT");
  ASSERT_TRUE(h.interacEtransfer);
  EXPECT_EQ(h.interacEtransfer->transferType, "ALIAS_AUTODEPOSIT");
  EXPECT_EQ(h.interacEtransfer->maxAmount, 390000);

  auto c = call("create_standalone_credit", {{"merchantRefNum", "tx_ABC"}, {"amount", money(500)}, {"paymentHandleToken", "PH6grPCguAtRInwc"}});
  auto in = adapter().parse_response(c, answer(201, kSeedWithdrawalResponse));
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->name, "credit.created");
  const auto credit = fields::from_object<InteracStandaloneCredit>(in->data);
  EXPECT_EQ(credit.status, "PROCESSING");
  EXPECT_EQ(credit.id, "b7759f69-b194-41ad-aab2-164432596c04");
  ASSERT_TRUE(credit.interacEtransfer);
  EXPECT_EQ(credit.interacEtransfer->question, "what is your name");
  const auto* e = get_object(in->data, "interacEtransfer");
  ASSERT_NE(e, nullptr);
  EXPECT_FALSE(e->contains("answer"));  // the security answer stays out of corridor.inputs
  EXPECT_EQ(json::serialize(in->data).find("MadhuBaddam"), std::string::npos);
}

TEST(InteracAdapter, AmountAsDigitStringIsReadExactly) {
  auto in = adapter().parse_response(request_money_handle(),
                                     answer(201, R"({"id":"h1","status":"INITIATED","amount":"544","paymentHandleToken":"PH1"})"));
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->data.at("amount").as_int64(), 544);
  auto bad = adapter().parse_response(request_money_handle(), answer(201, R"({"id":"h1","status":"INITIATED","amount":5.44})"));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("'amount'"), std::string::npos);
  EXPECT_EQ(code_text(bad.error().code), "adapter.malformed");
}

TEST(InteracAdapter, MalformedAnswersNameTheField) {
  auto r = adapter().parse_response(request_money_handle(), answer(201, R"({"id":"h1"})"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("'status'"), std::string::npos);
  r = adapter().parse_response(request_money_handle(), answer(201, R"({"id":7,"status":"PAYABLE"})"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("'id'"), std::string::npos);
  EXPECT_EQ(code_text(r.error().code), "adapter.malformed");
  r = adapter().parse_response(request_money_handle(), answer(201, "<html>"));
  ASSERT_FALSE(r);
  EXPECT_FALSE(r.error().retryable());
  EXPECT_EQ(code_text(r.error().code), "adapter.malformed");
  r = adapter().parse_response(request_money_handle(), answer(302, ""));
  ASSERT_FALSE(r);
  EXPECT_EQ(code_text(r.error().code), "adapter.unexpected_answer");
}

TEST(InteracAdapter, ServerErrorsAreRetryable) {
  for (int status : {500, 502, 503, 504, 408, 429}) {
    auto r = adapter().parse_response(request_money_handle(),
                                      answer(status, R"({"error":{"code":"1000","message":"An internal error occurred"}})"));
    ASSERT_FALSE(r) << status;
    EXPECT_TRUE(r.error().retryable()) << status;
    EXPECT_EQ(code_text(r.error().code), status == 429 ? "adapter.rate_limited" : "adapter.provider_unavailable") << status;
    EXPECT_NE(r.error().message.find("1000"), std::string::npos);
  }
}

TEST(InteracAdapter, RefusalsAreRejectedInputsWithPaysafesCode) {
  auto in = adapter().parse_response(
      request_money_handle(),
      answer(400, R"j({"error":{"code":"5068","message":"Field error(s)","details":["Either you submitted a request that is missing a mandatory field"],"fieldErrors":[{"field":"currencyCode","error":"Interac takes CAD only"}]}})j"));
  ASSERT_TRUE(in);
  EXPECT_EQ(in->name, "handle.rejected");
  const auto rejection = fields::from_object<InteracRejection>(in->data);
  EXPECT_EQ(rejection.http_status, 400);
  EXPECT_EQ(rejection.code, "5068");
  EXPECT_NE(rejection.error.find("currencyCode"), std::string::npos);

  auto c = call("create_payment", {{"merchantRefNum", "tx_ABC"}, {"amount", money()}, {"paymentHandleToken", "PH1"}});
  in = adapter().parse_response(c, answer(402, R"({"error":{"code":"3022","message":"The card has been declined"}})"));
  ASSERT_TRUE(in);
  EXPECT_EQ(in->name, "payment.rejected");
}

TEST(InteracAdapter, DuplicateMerchantRefNumMeansTheTransactionExists) {
  // A retry after a lost answer: dupCheck refuses it with 5031; the payment exists and is looked up.
  const char* dup = R"({"error":{"code":"5031","message":"The transaction you have submitted has already been processed."}})";
  auto c = call("create_payment", {{"merchantRefNum", "tx_ABC"}, {"amount", money()}, {"paymentHandleToken", "PH1"}});
  auto in = adapter().parse_response(c, answer(409, dup));
  ASSERT_TRUE(in);
  EXPECT_EQ(in->name, "payment.created");
  const auto p = fields::from_object<InteracPayment>(in->data);
  EXPECT_EQ(p.status, "PROCESSING");
  EXPECT_EQ(p.merchantRefNum, "tx_ABC");
  EXPECT_EQ(p.duplicate, true);
  EXPECT_FALSE(p.amount);  // reports no amount
  EXPECT_FALSE(in->data.contains("id"));  // the flow then GETs by merchantRefNum

  auto credit = call("create_standalone_credit", {{"merchantRefNum", "tx_ABC"}, {"amount", money()}, {"paymentHandleToken", "PH1"}});
  in = adapter().parse_response(credit, answer(400, dup));
  ASSERT_TRUE(in);
  EXPECT_EQ(in->name, "credit.created");
  const auto credit_answer = fields::from_object<InteracStandaloneCredit>(in->data);
  EXPECT_EQ(credit_answer.status, "PROCESSING");
  EXPECT_EQ(credit_answer.duplicate, true);
}

TEST(InteracAdapter, LookupsByMerchantRefNumTakeTheLatest) {
  auto c = call("get_payment", {{"payment_id", ""}, {"merchantRefNum", "tx_ABC"}});
  auto in = adapter().parse_response(
      c, answer(200, R"({"payments":[{"id":"p1","status":"FAILED","txnTime":"2021-10-06T13:18:58Z"},
                                     {"id":"p2","status":"COMPLETED","txnTime":"2021-10-07T09:00:00Z"}]})"));
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->name, "payment.status");
  EXPECT_EQ(fields::from_object<InteracPayment>(in->data).id, "p2");

  auto empty = adapter().parse_response(c, answer(200, R"({"payments":[]})"));
  ASSERT_FALSE(empty);
  EXPECT_FALSE(empty.error().retryable());

  auto h = call("get_payment_handle", {{"payment_handle_id", "514b"}, {"merchantRefNum", "tx_ABC"}});
  in = adapter().parse_response(h, answer(200, kSeedHandleResponse));
  ASSERT_TRUE(in);
  EXPECT_EQ(in->name, "handle.status");

  auto missing = adapter().parse_response(h, answer(404, R"({"error":{"code":"5269","message":"not found"}})"));
  ASSERT_FALSE(missing);
  EXPECT_FALSE(missing.error().retryable());

  auto credits = adapter().parse_response(call("get_standalone_credit", {{"merchantRefNum", "tx_ABC"}}),
                                          answer(200, R"({"standaloneCredits":[{"id":"c1","status":"COMPLETED"}]})"));
  ASSERT_TRUE(credits);
  EXPECT_EQ(credits->name, "credit.status");
}

// ---- webhooks --------------------------------------------------------------------------------------

std::string envelope(std::string_view event, std::string_view merchant_ref, std::string_view status, int attempt = 1) {
  return json::serialize(json::object{
      {"payload",
       {{"accountId", "1005731030"},
        {"id", "33e82d3b-9706-4495-80b1-a387fcfcbbae"},
        {"merchantRefNum", merchant_ref},
        {"paymentHandleToken", "PHu44cSJ0fLdkGXR"},
        {"transactionType", "PAYMENT"},
        {"amount", 500},
        {"currencyCode", "CAD"},
        {"status", status},
        {"paymentType", "INTERAC_ETRANSFER"}}},
      {"eventType", event},
      {"attemptNumber", std::to_string(attempt)},
      {"resourceId", "33e82d3b-9706-4495-80b1-a387fcfcbbae"},
      {"eventDate", "2022-06-27T17:50:16Z"},
      {"links", json::array{json::object{{"rel", "payment_handle"}, {"href", "https://api.test.paysafe.com/x"}}}},
      {"mode", "live"},
      {"eventName", event}});
}

HttpRequest webhook(std::string body, std::string signature) {
  HttpRequest r;
  r.method = "POST";
  r.target = "/webhooks/interac";
  r.headers = {{"Content-Type", "application/json"}};
  if (!signature.empty()) r.headers.emplace_back("Signature", signature);
  r.body = std::move(body);
  return r;
}

TEST(InteracAdapter, SignatureIsBase64HmacSha256OfTheRawBody) {
  // Paysafe's documented example key/body are not published together; this pins the algorithm to
  // an independent computation: HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog").
  EXPECT_EQ(interac_webhook_signature("key", "The quick brown fox jumps over the lazy dog"),
            "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg=");
}

TEST(InteracAdapter, SignedWebhookIsTheFlowsInput) {
  const std::string body = envelope("PAYMENT_HANDLE_PAYABLE", "tx_ABC", "PAYABLE");
  auto in = adapter().parse_webhook(webhook(body, interac_webhook_signature("hmac-test-key", body)));
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->txn_id, "tx_ABC");
  EXPECT_EQ(in->name, "PAYMENT_HANDLE_PAYABLE");
  const auto h = fields::from_object<InteracPaymentHandle>(in->data);
  EXPECT_EQ(h.paymentHandleToken, "PHu44cSJ0fLdkGXR");
  EXPECT_EQ(h.status, "PAYABLE");
  EXPECT_EQ(h.amount, json::value(500));
  EXPECT_EQ(in->data, fields::to_object(h));  // the payload as the handle struct: accountId not kept
  EXPECT_EQ(in->dedupe_id, "PAYMENT_HANDLE_PAYABLE:33e82d3b-9706-4495-80b1-a387fcfcbbae");
}

// Each handled event's payload is read as the resource it is: the flows read webhooks and answers alike.
TEST(InteracAdapter, WebhookPayloadsAreReadAsTheirResource) {
  auto parsed = [](std::string_view event) {
    const std::string body = envelope(event, "tx_ABC", "COMPLETED");
    auto in = adapter().parse_webhook(webhook(body, interac_webhook_signature("hmac-test-key", body)));
    EXPECT_TRUE(in) << event;
    return in ? in->data : json::object{};
  };
  EXPECT_EQ(parsed("PAYMENT_HANDLE_COMPLETED"),
            fields::to_object(fields::from_object<InteracPaymentHandle>(parsed("PAYMENT_HANDLE_COMPLETED"))));
  const json::object payment = parsed("PAYMENT_COMPLETED");
  EXPECT_EQ(payment, fields::to_object(fields::from_object<InteracPayment>(payment)));
  EXPECT_FALSE(payment.contains("transactionType"));  // a handle's member, not a payment's
  EXPECT_EQ(parsed("SETTLEMENT_COMPLETED"), payment);
  const json::object credit = parsed("SA_CREDIT_COMPLETED");
  EXPECT_EQ(credit, fields::to_object(fields::from_object<InteracStandaloneCredit>(credit)));
  EXPECT_EQ(fields::from_object<InteracStandaloneCredit>(credit).id, "33e82d3b-9706-4495-80b1-a387fcfcbbae");
  EXPECT_EQ(fields::from_object<InteracStandaloneCredit>(credit).amount, json::value(500));
}

TEST(InteracAdapter, RedeliveryKeepsItsDedupeId) {
  const std::string first = envelope("PAYMENT_COMPLETED", "tx_ABC", "COMPLETED", 1);
  const std::string second = envelope("PAYMENT_COMPLETED", "tx_ABC", "COMPLETED", 2);
  auto a = adapter().parse_webhook(webhook(first, interac_webhook_signature("hmac-test-key", first)));
  auto b = adapter().parse_webhook(webhook(second, interac_webhook_signature("hmac-test-key", second)));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->dedupe_id, b->dedupe_id);
}

TEST(InteracAdapter, ForgedMissingOrReplayedSignaturesAre401) {
  const std::string body = envelope("PAYMENT_COMPLETED", "tx_ABC", "COMPLETED");
  // forged: signed with another key
  auto forged = adapter().parse_webhook(webhook(body, interac_webhook_signature("not-the-key", body)));
  ASSERT_FALSE(forged);
  EXPECT_EQ(forged.error().http_status(), 401);
  EXPECT_EQ(code_text(forged.error().code), "adapter.bad_signature");
  // missing
  auto missing = adapter().parse_webhook(webhook(body, ""));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().http_status(), 401);
  EXPECT_EQ(code_text(missing.error().code), "adapter.bad_signature");
  EXPECT_NE(missing.error().message.find("Signature"), std::string::npos);
  // replayed: a genuine signature of another body
  const std::string other = envelope("PAYMENT_FAILED", "tx_ABC", "FAILED");
  auto replayed = adapter().parse_webhook(webhook(body, interac_webhook_signature("hmac-test-key", other)));
  ASSERT_FALSE(replayed);
  EXPECT_EQ(replayed.error().http_status(), 401);
  // tampered: the body changed after signing
  std::string tampered = body;
  tampered.replace(tampered.find("COMPLETED"), 9, "CANCELLED");
  auto changed = adapter().parse_webhook(webhook(tampered, interac_webhook_signature("hmac-test-key", body)));
  ASSERT_FALSE(changed);
  EXPECT_EQ(changed.error().http_status(), 401);
  // malformed base64, hex instead of base64, truncated
  for (std::string bad : std::vector<std::string>{"%%%notbase64%%%", "6f1e9c4a1b", interac_webhook_signature("hmac-test-key", body).substr(0, 20)}) {
    auto r = adapter().parse_webhook(webhook(body, bad));
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().http_status(), 401) << bad;
  }
}

TEST(InteracAdapter, SignatureHeaderIsConfigurable) {
  auto s = settings();
  s.signature_header = "X-Paysafe-Signature";
  const std::string body = envelope("PAYMENT_COMPLETED", "tx_ABC", "COMPLETED");
  HttpRequest r = webhook(body, "");
  r.headers.emplace_back("x-paysafe-signature", interac_webhook_signature("hmac-test-key", body));
  EXPECT_TRUE(InteracAdapter(s).parse_webhook(r));
}

TEST(InteracAdapter, VerificationHandleMapsBackToItsTransaction) {
  const std::string body = envelope("PAYMENT_HANDLE_PAYABLE", "tx_ABC-verification", "PAYABLE");
  auto in = adapter().parse_webhook(webhook(body, interac_webhook_signature("hmac-test-key", body)));
  ASSERT_TRUE(in);
  EXPECT_EQ(in->txn_id, "tx_ABC");
  // the flow tells the handles apart
  EXPECT_EQ(fields::from_object<InteracPaymentHandle>(in->data).merchantRefNum, "tx_ABC-verification");
  EXPECT_EQ(interac_txn_of_merchant_ref("tx_Q"), "tx_Q");
}

TEST(InteracAdapter, PendingEventsReadAsProcessing) {
  for (auto [event, name] : {std::pair{"PAYMENT_PENDING", "PAYMENT_PROCESSING"}, std::pair{"SA_CREDIT_PENDING", "SA_CREDIT_PROCESSING"},
                             std::pair{"SETTLEMENT_COMPLETED", "SETTLEMENT_COMPLETED"}, std::pair{"SA_CREDIT_COMPLETED", "SA_CREDIT_COMPLETED"}}) {
    const std::string body = envelope(event, "tx_ABC", "PROCESSING");
    auto in = adapter().parse_webhook(webhook(body, interac_webhook_signature("hmac-test-key", body)));
    ASSERT_TRUE(in) << event;
    EXPECT_EQ(in->name, name);
  }
}

TEST(InteracAdapter, SignedButMalformedWebhooksAre400) {
  auto sign = [](std::string body) { return webhook(body, interac_webhook_signature("hmac-test-key", body)); };
  for (std::string body : {std::string("not json"), std::string(R"({"eventType":"PAYMENT_COMPLETED"})"),
                           std::string(R"({"eventType":"PAYMENT_COMPLETED","payload":{"status":"COMPLETED"}})"),
                           std::string(R"({"eventType":"payment completed!","payload":{"merchantRefNum":"tx_A","status":"COMPLETED"}})"),
                           std::string(R"({"eventType":"PAYMENT_COMPLETED","payload":{"merchantRefNum":"tx_A","status":"COMPLETED","amount":1.5}})")}) {
    auto r = adapter().parse_webhook(sign(body));
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().http_status(), 400) << body;
    EXPECT_EQ(code_text(r.error().code), "adapter.malformed") << body;
  }
}

// An authenticated, well-formed webhook of a type no flow acts on is acknowledged (2xx) and kept as
// unhandled, so Paysafe stops redelivering it.
TEST(InteracAdapter, UnknownEventTypesAreUnhandledNotRefused) {
  const std::string body = envelope("PAYMENT_HANDLE_PROCESSING", "tx_ABC-verification", "PROCESSING");
  auto in = adapter().parse_webhook(webhook(body, interac_webhook_signature("hmac-test-key", body)));
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_TRUE(in->unhandled);
  EXPECT_EQ(in->name, "PAYMENT_HANDLE_PROCESSING");
  EXPECT_EQ(in->txn_id, "tx_ABC");
  EXPECT_EQ(in->dedupe_id, "PAYMENT_HANDLE_PROCESSING:33e82d3b-9706-4495-80b1-a387fcfcbbae");

  // Any resource shape, no merchantRefNum (its transaction unknown), the echoed answer dropped.
  const std::string other = json::serialize(json::object{
      {"eventType", "REFUND_COMPLETED"},
      {"payload", {{"id", "r1"}, {"interacEtransfer", {{"consumerId", "a@b.c"}, {"answer", "MadhuBaddam"}}}}}});
  in = adapter().parse_webhook(webhook(other, interac_webhook_signature("hmac-test-key", other)));
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_TRUE(in->unhandled);
  EXPECT_EQ(in->txn_id, "");
  EXPECT_EQ(in->dedupe_id, "REFUND_COMPLETED:r1");
  EXPECT_EQ(json::serialize(in->data).find("MadhuBaddam"), std::string::npos);

  // Unauthenticated or malformed: refused as before.
  auto forged = adapter().parse_webhook(webhook(body, interac_webhook_signature("other-key", body)));
  ASSERT_FALSE(forged);
  EXPECT_EQ(forged.error().http_status(), 401);
  const std::string no_payload = R"({"eventType":"PAYMENT_HANDLE_PROCESSING"})";
  auto malformed = adapter().parse_webhook(webhook(no_payload, interac_webhook_signature("hmac-test-key", no_payload)));
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().http_status(), 400);
}

TEST(InteracAdapter, EveryEventAFlowActsOnIsHandled) {
  for (std::string_view event :
       {"PAYMENT_HANDLE_PAYABLE", "PAYMENT_HANDLE_FAILED", "PAYMENT_HANDLE_EXPIRED", "PAYMENT_HANDLE_COMPLETED",
        "PAYMENT_PROCESSING", "PAYMENT_PENDING", "PAYMENT_COMPLETED", "PAYMENT_FAILED", "PAYMENT_ERRORED",
        "SETTLEMENT_COMPLETED", "SETTLEMENT_FAILED", "SETTLEMENT_ERRORED", "SA_CREDIT_PROCESSING", "SA_CREDIT_PENDING",
        "SA_CREDIT_COMPLETED", "SA_CREDIT_FAILED", "SA_CREDIT_ERRORED", "SA_CREDIT_CANCELLED"}) {
    const std::string body = envelope(event, "tx_ABC", "PROCESSING");
    auto in = adapter().parse_webhook(webhook(body, interac_webhook_signature("hmac-test-key", body)));
    ASSERT_TRUE(in) << event;
    EXPECT_FALSE(in->unhandled) << event;
  }
}

TEST(InteracAdapter, ACurrencyCodeThatIsNotAStringIsMalformed) {
  auto r = adapter().parse_response(call("get_payment", {{"payment_id", "p"}}),
                                    answer(200, R"({"id":"p","status":"COMPLETED","amount":544,"currencyCode":124})"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("currencyCode"), std::string::npos);
}

// The router rejects up front what the adapter would refuse: the declared constraints and
// build_request agree, currency by currency, for every call that carries an amount.
TEST(InteracAdapter, DeclaredConstraintsMatchWhatBuildRequestRefuses) {
  const AdapterRegistration* reg = find_adapter("interac");
  ASSERT_NE(reg, nullptr);
  EXPECT_EQ(reg->constraints.currencies, (std::vector<std::string_view>{"CAD"}));
  EXPECT_FALSE(reg->constraints.whole_units);
  for (std::string_view currency : {"CAD", "USD", "EUR", "XOF", "CDF"}) {
    for (std::int64_t value : {1, 544, 50000}) {
      const Money m{value, std::string(currency)};
      const bool declared_ok = reg->constraints.check_amount(m).empty();
      const json::object amount{{"value", value}, {"currency", currency}};
      auto handle = request_money_handle();
      handle.params["amount"] = amount;
      EXPECT_EQ(static_cast<bool>(adapter().build_request(handle)), declared_ok) << currency << " " << value;
      for (std::string op : {"create_payment", "create_verification", "create_standalone_credit"}) {
        auto c = call(op, {{"merchantRefNum", "tx_ABC"}, {"amount", amount}, {"paymentHandleToken", "PH1"}});
        auto r = adapter().build_request(c);
        EXPECT_EQ(static_cast<bool>(r), declared_ok) << op << " " << currency;
        if (!r) {
          EXPECT_NE(r.error().message.find("CAD only"), std::string::npos) << op << " " << currency;
        }
      }
    }
  }
}

TEST(InteracAdapter, RegisteredWithItsConfigKeys) {
  const AdapterRegistration* reg = find_adapter("interac");
  ASSERT_NE(reg, nullptr);
  bool base_url = false, hmac = false;
  for (const auto& k : reg->config_keys) {
    if (k.name == "base_url") base_url = k.required;
    if (k.name == "webhook_hmac_key") hmac = k.required;
    EXPECT_FALSE(k.doc.empty()) << k.name;
  }
  EXPECT_TRUE(base_url && hmac);
  // Every budget of the flows is a setting (docs/providers/interac.md).
  for (std::string_view key : {"max_polls", "max_retries", "retry_after_ms", "retry_max_interval_ms", "poll_interval_ms",
                               "poll_max_interval_ms", "handle_expiry_grace_ms", "processing_deadline_ms",
                               "autodeposit_deadline_ms", "claim_deadline_ms", "verification_lookups"}) {
    bool found = false;
    for (const auto& k : reg->config_keys) found = found || k.name == key;
    EXPECT_TRUE(found) << key;
  }
  ProviderSettings s{{"base_url", "http://127.0.0.1:1"}, {"webhook_hmac_key", "k"}, {"api_key", "u:p"}};
  auto a = reg->make(s);
  EXPECT_EQ(a->provider(), "interac");
  EXPECT_TRUE(a->retry_safe(request_money_handle()));
  EXPECT_THROW(interac_settings({{"base_url", "x"}}), std::invalid_argument);
}

}  // namespace
}  // namespace corridor
