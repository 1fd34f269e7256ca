// FlexPay adapter on recorded bodies, the seed's own examples among them (001_4098339f3fd8c036.txt).
#include "adapters/flexpay/flexpay_adapter.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <set>

#include "adapters/registry.hpp"
#include "statemachines/flexpay_inputs.hpp"

namespace corridor {
namespace {

// The seed's Check transaction example, trailing comma included.
constexpr std::string_view kSeedCheckFound = R"({
  "code": "0",
  "message": "Une transaction trouvée",
  "transaction": {
    "orderNumber": "9bsTX7qXdpQe243815877848",
    "reference": "MMO00012",
    "amount": "50.0",
    "amountCustomer": "51.0",
    "currency": "CDF",
    "createdAt": "06-02-2021 17:32:46",
    "status": "0",
  }
})";

constexpr std::string_view kSeedCheckNone = R"({
  "code": "1",
  "message": "Aucune transaction trouvée",
  "transaction": null
})";

constexpr std::string_view kSeedCallback = R"({
  "code": "0",
  "reference": "MLOPN5472452",
  "provider_reference": "7KI81020PHS",
  "orderNumber": "9bsTX7qXdpQe243815877848"
})";

FlexPayAdapter adapter() {
  return FlexPayAdapter(flexpay_settings({{"base_url", "http://cardpayment.example.cd/"},
                                          {"check_base_url", "http://10.0.0.7:8080"},
                                          {"merchant", "ZANDO"},
                                          {"token", "tok123"},
                                          {"public_url", "https://corridor.example.com"}}));
}

ProviderCall pay_call(std::int64_t minor, std::string currency = "USD") {
  return {"tx_ABC:1:pay", "flexpay", "pay",
          json::object{{"reference", "tx_ABC"},
                       {"amount", {{"value", minor}, {"currency", currency}}},
                       {"description", "two shoes"}}};
}

ProviderCall check_call(std::string order = "9bsTX7qXdpQe243815877848", std::string reference = "MMO00012") {
  return {reference + ":4:check", "flexpay", "check", json::object{{"orderNumber", order}, {"reference", reference}}};
}

// Adapter tests link without corridor_http: look headers up here.
std::string hdr(const HttpRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

json::object body_of(const HttpRequest& r) { return json::parse(r.body).as_object(); }

HttpResponse response(int status, std::string_view body) { return HttpResponse{status, {}, std::string(body)}; }

TEST(FlexPayAdapter, PayRequestCarriesTheSeedFields) {
  auto req = adapter().build_request(pay_call(10050));
  ASSERT_TRUE(req) << req.error().message;
  EXPECT_EQ(req->method, "POST");
  EXPECT_EQ(req->target, "http://cardpayment.example.cd/v1/pay");
  EXPECT_EQ(hdr(*req, "Content-Type"), "application/json");
  const auto b = body_of(*req);
  EXPECT_EQ(b, (json::object{{"authorization", "tok123"},
                             {"merchant", "ZANDO"},
                             {"reference", "tx_ABC"},
                             {"amount", "100.5"},
                             {"currency", "USD"},
                             {"description", "two shoes"},
                             {"callback_url", "https://corridor.example.com/webhooks/flexpay"},
                             {"approve_url", "https://corridor.example.com/callbacks/flexpay/approve?reference=tx_ABC"},
                             {"cancel_url", "https://corridor.example.com/callbacks/flexpay/cancel?reference=tx_ABC"},
                             {"decline_url", "https://corridor.example.com/callbacks/flexpay/decline?reference=tx_ABC"}}));
  EXPECT_TRUE(hdr(*req, "Authorization").empty());  // the pay token travels in the body (seed)
}

TEST(FlexPayAdapter, AmountsAreWrittenExactlyAsFlexPayDoes) {
  EXPECT_EQ(flexpay_amount_text(5000, 2), "50.0");
  EXPECT_EQ(flexpay_amount_text(5050, 2), "50.5");
  EXPECT_EQ(flexpay_amount_text(5055, 2), "50.55");
  EXPECT_EQ(flexpay_amount_text(5, 2), "0.05");
  EXPECT_EQ(flexpay_amount_text(900719925474099101, 2), "9007199254740991.01");  // beyond a double's precision
  EXPECT_EQ(flexpay_amount_text(300, 0), "300");
  auto req = adapter().build_request(pay_call(1, "CDF"));
  ASSERT_TRUE(req);
  EXPECT_EQ(get_string(body_of(*req), "amount"), "0.01");
}

TEST(FlexPayAdapter, ConfiguredRedirectUrlsWinAndCallbackUrlCanBeSet) {
  FlexPayAdapter a(flexpay_settings({{"base_url", "http://x"},
                                     {"merchant", "M"},
                                     {"token", "t"},
                                     {"callback_url", "https://cb.example.com/callbacks/flexpay/notify"},
                                     {"approve_url", "https://shop.example.com/ok"}}));
  auto req = a.build_request(pay_call(100));
  ASSERT_TRUE(req);
  const auto b = body_of(*req);
  EXPECT_EQ(get_string(b, "callback_url"), "https://cb.example.com/callbacks/flexpay/notify");
  EXPECT_EQ(get_string(b, "approve_url"), "https://shop.example.com/ok");
  EXPECT_FALSE(b.contains("cancel_url"));  // no public_url known: nothing made up
}

TEST(FlexPayAdapter, PayRequestRefusesBadParams) {
  auto a = adapter();
  auto no_amount = pay_call(100);
  no_amount.params.edit().erase("amount");
  EXPECT_NE(a.build_request(no_amount).error().message.find("'amount'"), std::string::npos);
  auto float_amount = pay_call(100);
  float_amount.params["amount"].as_object()["value"] = 1.5;
  EXPECT_NE(a.build_request(float_amount).error().message.find("amount.value"), std::string::npos);
  EXPECT_NE(a.build_request(pay_call(100, "XXY")).error().message.find("unknown currency"), std::string::npos);
  EXPECT_NE(a.build_request(pay_call(100, "EUR")).error().message.find("currency EUR is not accepted by FlexPay (CDF, USD)"),
            std::string::npos);
  EXPECT_FALSE(a.build_request(pay_call(100, "EUR")).error().retryable());
  EXPECT_FALSE(a.build_request(pay_call(0)));
  auto no_ref = pay_call(100);
  no_ref.params.edit().erase("reference");
  EXPECT_NE(a.build_request(no_ref).error().message.find("'reference'"), std::string::npos);
}

TEST(FlexPayAdapter, CheckRequestUsesBearerOnTheCheckHost) {
  auto req = adapter().build_request(check_call("Qrk6ZaXts5Mv243850237175"));
  ASSERT_TRUE(req);
  EXPECT_EQ(req->method, "GET");
  EXPECT_EQ(req->target, "http://10.0.0.7:8080/api/rest/v1/check/Qrk6ZaXts5Mv243850237175");
  EXPECT_EQ(hdr(*req, "Authorization"), "Bearer tok123");
  EXPECT_TRUE(req->body.empty());
  EXPECT_FALSE(adapter().build_request(check_call("")));
  EXPECT_FALSE(adapter().build_request({"t:1:x", "flexpay", "refund", {}}));
}

TEST(FlexPayAdapter, CheckHostDefaultsToBaseUrl) {
  FlexPayAdapter a(flexpay_settings({{"base_url", "http://127.0.0.1:9/"}, {"merchant", "M"}, {"token", "t"}}));
  EXPECT_EQ(a.build_request(check_call("ON1"))->target, "http://127.0.0.1:9/api/rest/v1/check/ON1");
}

TEST(FlexPayAdapter, PayAnswerAccepted) {
  auto in = adapter().parse_response(
      pay_call(100), response(200, R"({"code":"0","message":"Redirection en cours","orderNumber":"ON1","url":"https://pay/ON1",})"));
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->txn_id, "tx_ABC");
  EXPECT_EQ(in->name, "pay.accepted");
  const auto answer = fields::from_object<FlexPayPayAnswer>(in->data);
  EXPECT_EQ(answer.code, "0");
  EXPECT_EQ(answer.message, "Redirection en cours");
  EXPECT_EQ(answer.orderNumber, "ON1");
  EXPECT_EQ(answer.url, "https://pay/ON1");
  EXPECT_FALSE(answer.http_status);
  // The keys the input has always carried, so that recorded inputs read the same.
  EXPECT_EQ(in->data, (json::object{{"code", "0"}, {"message", "Redirection en cours"}, {"orderNumber", "ON1"},
                                    {"url", "https://pay/ON1"}}));
}

TEST(FlexPayAdapter, PayAnswerCodeAsNumberIsAccepted) {
  auto in = adapter().parse_response(pay_call(100), response(200, R"({"code":0,"orderNumber":"ON1","url":"u"})"));
  ASSERT_TRUE(in);
  EXPECT_EQ(get_string(in->data, "code"), "0");
}

TEST(FlexPayAdapter, PayAnswerRefused) {
  auto in = adapter().parse_response(pay_call(100), response(200, R"({"code":"1","message":"Marchand inconnu"})"));
  ASSERT_TRUE(in);
  EXPECT_EQ(in->name, "pay.rejected");
  EXPECT_EQ(fields::from_object<FlexPayPayAnswer>(in->data).message, "Marchand inconnu");
  auto unauthorized = adapter().parse_response(pay_call(100), response(401, R"({"code":"1","message":"token invalide"})"));
  ASSERT_TRUE(unauthorized);
  EXPECT_EQ(unauthorized->name, "pay.rejected");
  const auto refusal = fields::from_object<FlexPayPayAnswer>(unauthorized->data);
  EXPECT_EQ(refusal.http_status, 401);
  EXPECT_EQ(refusal.code, "1");
  EXPECT_EQ(refusal.message, "token invalide");
}

TEST(FlexPayAdapter, PayAnswerMissingFieldsAreNamed) {
  auto a = adapter();
  EXPECT_NE(a.parse_response(pay_call(100), response(200, R"({"code":"0","url":"u"})")).error().message.find("'orderNumber'"),
            std::string::npos);
  EXPECT_NE(a.parse_response(pay_call(100), response(200, R"({"code":"0","orderNumber":"O"})")).error().message.find("'url'"),
            std::string::npos);
  EXPECT_NE(a.parse_response(pay_call(100), response(200, R"({"orderNumber":"O","url":"u"})")).error().message.find("'code'"),
            std::string::npos);
  EXPECT_NE(a.parse_response(pay_call(100), response(200, R"({"code":true})")).error().message.find("'code'"), std::string::npos);
  auto html = a.parse_response(pay_call(100), response(200, "<html>"));
  ASSERT_FALSE(html);
  EXPECT_EQ(code_text(html.error().code), "adapter.malformed");
  EXPECT_EQ(html.error().http_status(), 400);
  EXPECT_EQ(code_text(a.parse_response(pay_call(100), response(200, R"({"code":"0","url":"u"})")).error().code),
            "adapter.malformed");
}

TEST(FlexPayAdapter, ServerErrorsAreRetryable) {
  for (int status : {500, 502, 503, 504, 408, 429}) {
    auto r = adapter().parse_response(pay_call(100), response(status, "oops"));
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().retryable()) << status;
    EXPECT_EQ(code_text(r.error().code), status == 429 ? "adapter.rate_limited" : "adapter.provider_unavailable") << status;
    auto check = adapter().parse_response(check_call(), response(status, ""));
    ASSERT_FALSE(check);
    EXPECT_TRUE(check.error().retryable());
    EXPECT_EQ(code_text(check.error().code), status == 429 ? "adapter.rate_limited" : "adapter.provider_unavailable");
  }
}

TEST(FlexPayAdapter, UnknownOperationsAndBadParametersAreCodedSo) {
  auto a = adapter();
  auto refund = a.build_request({"t:1:refund", "flexpay", "refund", {}});
  ASSERT_FALSE(refund);
  EXPECT_EQ(code_text(refund.error().code), "adapter.unknown_operation");
  EXPECT_FALSE(refund.error().retryable());
  auto answer = a.parse_response({"t:1:refund", "flexpay", "refund", {}}, response(200, "{}"));
  ASSERT_FALSE(answer);
  EXPECT_EQ(code_text(answer.error().code), "adapter.unknown_operation");
  auto euros = a.build_request(pay_call(100, "EUR"));
  ASSERT_FALSE(euros);
  EXPECT_EQ(code_text(euros.error().code), "adapter.bad_parameters");
}

TEST(FlexPayAdapter, SeedCheckExampleWithTrailingComma) {
  auto in = adapter().parse_response(check_call(), response(200, kSeedCheckFound));
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->name, "check.result");
  EXPECT_EQ(in->txn_id, "MMO00012");
  const auto check = fields::from_object<FlexPayCheck>(in->data);
  EXPECT_EQ(check.code, "0");
  EXPECT_EQ(check.message, "Une transaction trouvée");
  EXPECT_FALSE(check.not_found);
  ASSERT_TRUE(check.transaction);
  const FlexPayCheckedTransaction& t = *check.transaction;
  EXPECT_EQ(t.orderNumber, "9bsTX7qXdpQe243815877848");
  EXPECT_EQ(t.reference, "MMO00012");
  EXPECT_EQ(t.status, "0");
  EXPECT_EQ(t.amount, json::value("50.0"));  // as FlexPay wrote it: the flow reads it exactly
  EXPECT_EQ(t.amountCustomer, json::value("51.0"));
  EXPECT_EQ(t.currency, "CDF");
  EXPECT_EQ(t.createdAt, "06-02-2021 17:32:46");
  EXPECT_EQ(t.createdAtIso, "2021-02-06T17:32:46");
}

TEST(FlexPayAdapter, SeedCheckNoTransaction) {
  auto in = adapter().parse_response(check_call(), response(200, kSeedCheckNone));
  ASSERT_TRUE(in);
  EXPECT_EQ(in->name, "check.result");
  const auto check = fields::from_object<FlexPayCheck>(in->data);
  EXPECT_EQ(check.code, "1");
  EXPECT_FALSE(check.transaction);
  EXPECT_EQ(check.not_found, true);  // FlexPay knows no payment for it: reconciliation says so
  // A 404 carrying the same body says the same.
  auto not_found = adapter().parse_response(check_call(), response(404, kSeedCheckNone));
  ASSERT_TRUE(not_found);
  EXPECT_EQ(not_found->name, "check.result");
  // A 401 is a configuration problem, not an answer about the payment.
  auto unauthorized = adapter().parse_response(check_call(), response(401, "Unauthorized"));
  ASSERT_FALSE(unauthorized);
  EXPECT_EQ(code_text(unauthorized.error().code), "adapter.unexpected_answer");
  EXPECT_FALSE(unauthorized.error().retryable());
}

TEST(FlexPayAdapter, CheckStrictWhereItMatters) {
  auto a = adapter();
  auto with = [&](std::string_view from, std::string_view to) {
    std::string body(kSeedCheckFound);
    body.replace(body.find(from), from.size(), to);
    return a.parse_response(check_call(), response(200, body));
  };
  auto err = [&](std::string_view from, std::string_view to) {
    auto r = with(from, to);
    return r ? std::string("(accepted)") : r.error().message;
  };
  EXPECT_NE(err(R"("status": "0",)", "").find("missing field 'status'"), std::string::npos);
  EXPECT_NE(err(R"("status": "0")", R"("status": "ok")").find("'status'"), std::string::npos);
  EXPECT_NE(err(R"("createdAt": "06-02-2021 17:32:46")", R"("createdAt": "2021/02/06")").find("'createdAt'"), std::string::npos);
  EXPECT_NE(err(R"("reference": "MMO00012",)", "").find("'reference'"), std::string::npos);
  EXPECT_NE(err(R"("code": "0",)", "").find("'code'"), std::string::npos);
  EXPECT_NE(err(R"("transaction": {)", R"("transaction": "x", "t": {)").find("'transaction'"), std::string::npos);
  // A number where FlexPay usually writes text is tolerated.
  auto numeric = with(R"("status": "0")", R"("status": 1)");
  ASSERT_TRUE(numeric);
  EXPECT_EQ(fields::from_object<FlexPayCheck>(numeric->data).transaction.value_or(FlexPayCheckedTransaction{}).status, "1");
}

// An amount corridor cannot read is not a malformed answer: FlexPay did answer, and the flow takes
// such an amount for another one than asked (amount_mismatch), never for the one asked.
TEST(FlexPayAdapter, CheckAmountsArePassedAsWritten) {
  auto a = adapter();
  for (std::string_view amount : {R"("amount": 50.5)", R"("amount": "50.001")", R"("amount": "cinquante")"}) {
    std::string body(kSeedCheckFound);
    body.replace(body.find(R"("amount": "50.0")"), 16, amount);
    auto in = a.parse_response(check_call(), response(200, body));
    ASSERT_TRUE(in) << amount << ": " << in.error().message;
    const auto t = fields::from_object<FlexPayCheck>(in->data).transaction.value_or(FlexPayCheckedTransaction{});
    EXPECT_EQ(t.amount, json::parse(amount.substr(10))) << amount;
  }
}

TEST(FlexPayAdapter, CheckAnswerAboutAnotherPaymentIsRefused) {
  auto other_ref = adapter().parse_response(check_call("9bsTX7qXdpQe243815877848", "tx_OTHER"), response(200, kSeedCheckFound));
  ASSERT_FALSE(other_ref);
  EXPECT_NE(other_ref.error().message.find("reference 'MMO00012'"), std::string::npos);
  EXPECT_FALSE(other_ref.error().retryable());
  EXPECT_EQ(code_text(other_ref.error().code), "adapter.unexpected_answer");
  auto other_order = adapter().parse_response(check_call("ANOTHER", "MMO00012"), response(200, kSeedCheckFound));
  ASSERT_FALSE(other_order);
  EXPECT_NE(other_order.error().message.find("orderNumber"), std::string::npos);
}

HttpRequest callback(std::string body, std::string method = "POST", std::string target = "/webhooks/flexpay") {
  HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.headers = {{"Content-Type", "application/json"}};
  r.body = std::move(body);
  r.remote_address = "203.0.113.9";
  return r;
}

TEST(FlexPayAdapter, SeedCallbackBecomesAHintToCheck) {
  auto in = adapter().parse_webhook(callback(std::string(kSeedCallback)));
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->txn_id, "MLOPN5472452");
  EXPECT_EQ(in->name, "flexpay.callback");  // never a final input: the flow checks
  const auto hint = fields::from_object<FlexPayCallback>(in->data);
  EXPECT_EQ(hint.code, "0");
  EXPECT_EQ(hint.reference, "MLOPN5472452");
  EXPECT_EQ(hint.orderNumber, "9bsTX7qXdpQe243815877848");
  EXPECT_EQ(hint.provider_reference, "7KI81020PHS");
  EXPECT_EQ(hint.source, "callback");
  EXPECT_FALSE(hint.customer_cancelled);
  // The same callback twice has the same dedupe id; another outcome has another.
  auto again = adapter().parse_webhook(callback(std::string(kSeedCallback)));
  EXPECT_EQ(again->dedupe_id, in->dedupe_id);
  std::string failed(kSeedCallback);
  failed.replace(failed.find(R"("code": "0")"), 11, R"("code": "1")");
  EXPECT_NE(adapter().parse_webhook(callback(failed))->dedupe_id, in->dedupe_id);
}

TEST(FlexPayAdapter, CallbackCodeTwoMarksTheCustomersCancel) {
  auto cancel = adapter().parse_webhook(
      callback(R"({"code":"2","reference":"tx_ABC","orderNumber":"9bsTX7qXdpQe243815877848"})"));
  ASSERT_TRUE(cancel) << cancel.error().message;
  EXPECT_EQ(cancel->name, "flexpay.callback");  // still only a hint: the check decides
  EXPECT_EQ(fields::from_object<FlexPayCallback>(cancel->data).customer_cancelled, true);
  auto declined = adapter().parse_webhook(
      callback(R"({"code":1,"reference":"tx_ABC","orderNumber":"9bsTX7qXdpQe243815877848"})"));
  ASSERT_TRUE(declined);
  EXPECT_EQ(fields::from_object<FlexPayCallback>(declined->data).code, "1");
  EXPECT_FALSE(declined->data.contains("customer_cancelled"));
  auto paid = adapter().parse_webhook(callback(std::string(kSeedCallback)));
  ASSERT_TRUE(paid);
  EXPECT_FALSE(paid->data.contains("customer_cancelled"));
}

TEST(FlexPayAdapter, MalformedCallbacksAreRefusedNamingTheField) {
  auto a = adapter();
  EXPECT_NE(a.parse_webhook(callback(R"({"code":"0","orderNumber":"O"})")).error().message.find("'reference'"),
            std::string::npos);
  EXPECT_NE(a.parse_webhook(callback(R"({"code":"0","reference":"R"})")).error().message.find("'orderNumber'"),
            std::string::npos);
  EXPECT_NE(a.parse_webhook(callback(R"({"reference":"R","orderNumber":"O"})")).error().message.find("'code'"),
            std::string::npos);
  EXPECT_NE(a.parse_webhook(callback(R"({"code":"0","reference":7,"orderNumber":"O"})")).error().message.find("'reference'"),
            std::string::npos);
  auto not_json = a.parse_webhook(callback("not json"));
  ASSERT_FALSE(not_json);
  EXPECT_EQ(code_text(not_json.error().code), "adapter.malformed");
  EXPECT_EQ(not_json.error().http_status(), 400);
  EXPECT_FALSE(a.parse_webhook(callback("[1,2]")));
  auto get = a.parse_webhook(callback(std::string(kSeedCallback), "GET"));
  ASSERT_FALSE(get);
  EXPECT_EQ(get.error().http_status(), 405);
  EXPECT_EQ(code_text(get.error().code), "adapter.wrong_method");
  // Trailing comma, FlexPay style: accepted.
  EXPECT_TRUE(a.parse_webhook(callback(R"({"code":"0","reference":"R","orderNumber":"O",})")));
}

TEST(FlexPayAdapter, BrowserReturnsAreHintsWithoutAnOrderNumber) {
  auto in = adapter().parse_webhook(
      callback("", "GET", "/callbacks/flexpay/cancel?reference=tx_ABC&orderNumber=FORGED"));
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->txn_id, "tx_ABC");
  EXPECT_EQ(in->name, "flexpay.callback");
  EXPECT_EQ(get_string(in->data, "return"), "cancel");
  const auto hint = fields::from_object<FlexPayCallback>(in->data);
  EXPECT_EQ(hint.source, "return");
  EXPECT_EQ(hint.reference, "tx_ABC");
  EXPECT_TRUE(hint.orderNumber.empty());
  EXPECT_FALSE(in->data.contains("orderNumber"));
  EXPECT_EQ(in->dedupe_id, "return:tx_ABC:cancel");
  EXPECT_EQ(hint.customer_cancelled, true);  // the flow's hint for "cancelled"
  auto approve = adapter().parse_webhook(callback("", "GET", "/callbacks/flexpay/approve?reference=tx_ABC"));
  ASSERT_TRUE(approve);
  EXPECT_FALSE(approve->data.contains("customer_cancelled"));
  EXPECT_FALSE(adapter().parse_webhook(callback("", "GET", "/callbacks/flexpay/approve")));
  auto other = adapter().parse_webhook(callback("", "GET", "/callbacks/flexpay/other?reference=x"));
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().http_status(), 404);
  EXPECT_EQ(code_text(other.error().code), "adapter.unknown_route");
}

// Found by fuzz/webhook_flexpay (fuzz/regressions/webhook_flexpay/): a reference that decodes to
// bytes that are not UTF-8 was accepted, and the input it made on corridor.inputs was not JSON.
TEST(FlexPayAdapter, BrowserReturnWithAReferenceThatIsNotUtf8IsRefused) {
  for (std::string target : {"/callbacks/flexpay/approve?reference=%FF", "/callbacks/flexpay/cancel?reference=tx\xFF\xFE",
                             "/callbacks/flexpay/decline?reference=tx_%C0%AF"}) {
    auto in = adapter().parse_webhook(callback("", "GET", target));
    ASSERT_FALSE(in) << target;
    EXPECT_NE(in.error().message.find("UTF-8"), std::string::npos) << in.error().message;
  }
  auto accented = adapter().parse_webhook(callback("", "GET", "/callbacks/flexpay/approve?reference=tx_%C3%A9"));
  ASSERT_TRUE(accented) << accented.error().message;
}

TEST(FlexPayAdapter, DatesAreReadDayFirst) {
  EXPECT_EQ(flexpay_date_to_iso("31-12-2021 23:59:59"), "2021-12-31T23:59:59");
  EXPECT_EQ(flexpay_date_to_iso("12-31-2021 23:59:59"), "");  // month 31
  EXPECT_EQ(flexpay_date_to_iso("2021-02-06 17:32:46"), "");
  EXPECT_EQ(flexpay_date_to_iso(""), "");
}

TEST(FlexPayAdapter, RegistrationListsEveryKeyAndRefusesMissingOnes) {
  const AdapterRegistration* reg = find_adapter("flexpay");
  ASSERT_NE(reg, nullptr);
  std::set<std::string_view> keys;
  for (const auto& k : reg->config_keys) keys.insert(k.name);
  for (std::string_view k : {"base_url", "check_base_url", "merchant", "token", "public_url", "callback_url",
                             "approve_url", "cancel_url", "decline_url", "payment_ttl_ms", "poll_interval_ms",
                             "poll_max_interval_ms", "retry_after_ms", "max_retries", "max_polls",
                             "awaiting_poll_interval_ms", "awaiting_poll_max_interval_ms", "max_failed_checks"}) {
    EXPECT_TRUE(keys.contains(k)) << k;
  }
  EXPECT_THROW(reg->make({{"merchant", "M"}, {"token", "t"}}), std::invalid_argument);
  EXPECT_THROW(reg->make({{"base_url", "http://x"}, {"token", "t"}}), std::invalid_argument);
  EXPECT_THROW(reg->make({{"base_url", "http://x"}, {"merchant", "M"}}), std::invalid_argument);
  EXPECT_EQ(reg->make({{"base_url", "http://x"}, {"merchant", "M"}, {"token", "t"}})->provider(), "flexpay");
  for (const auto& k : reg->config_keys) {
    if (k.name == "max_polls") {
      EXPECT_EQ(k.fallback, "30");
    }
    if (k.name == "max_retries") {
      EXPECT_EQ(k.fallback, "5");
    }
  }
}

// What the registration declares is what build_request refuses: the router turns away up front a
// payment the adapter would refuse after the transaction exists.
TEST(FlexPayAdapter, DeclaredConstraintsMatchWhatTheAdapterRefuses) {
  const AdapterRegistration* reg = find_adapter("flexpay");
  ASSERT_NE(reg, nullptr);
  EXPECT_EQ(reg->constraints.currencies, (std::vector<std::string_view>{"CDF", "USD"}));
  EXPECT_FALSE(reg->constraints.whole_units);
  EXPECT_EQ(reg->constraints.card_digits_max, 0u);
  auto a = adapter();
  for (const Money& m : {Money{1050, "USD"}, Money{1, "CDF"}, Money{1000, "EUR"}, Money{300, "XOF"}, Money{99, "CAD"}}) {
    SCOPED_TRACE(std::to_string(m.value) + " " + m.currency);
    EXPECT_EQ(reg->constraints.check_amount(m).empty(), a.build_request(pay_call(m.value, m.currency)).ok());
  }
}

}  // namespace
}  // namespace corridor
