// esipay adapter: the seed's URLs (card in the path, merchant uuid, decimal amounts with '.'), its
// HTTP statuses, and the return-URL callback's token and source checks. Pure.
#include "adapters/esipay/esipay_adapter.hpp"

#include <gtest/gtest.h>

#include "statemachines/esipay_inputs.hpp"

namespace corridor {
namespace {

constexpr std::string_view kPan = "4000000000000001";
constexpr std::string_view kToken = "tok_0123456789abcdef";

EsipaySettings settings() {
  EsipaySettings s;
  s.base_url = "http://10.0.0.6:6543/";
  s.uuid = "c0ffee00-uuid";
  s.callback_token = std::string(kToken);
  s.allowed_sources = {"10.0.0.6", "127.0.0.1"};
  s.public_url = "https://corridor.example";
  return s;
}

ProviderCall cardpay(std::int64_t value = 1250, std::string currency = "USD") {
  ProviderCall c;
  c.call_id = "tx_ABC:1:cardpay";
  c.provider = "esipay";
  c.op = "cardpay";
  c.params = {{"cid", "tx_ABC"},
              {"amount", {{"value", value}, {"currency", currency}}},
              {"card", {{"number", kPan}, {"exp_month", 9}, {"exp_year", 2027}, {"masked", "400000******0001"}}}};
  return c;
}

ProviderCall refund_call(bool partial) {
  ProviderCall c;
  c.call_id = "tx_ABC:5:refund";
  c.provider = "esipay";
  c.op = partial ? "refund_partial" : "refund";
  c.params = {{"cid", "tx_ABC"}, {"transaction", "esi42"}};
  if (partial) c.params["amount"] = {{"value", 400}, {"currency", "USD"}};
  return c;
}

HttpRequest callback(std::string body, std::string target = "/callbacks/esipay/" + std::string(kToken),
                     std::string from = "10.0.0.6") {
  HttpRequest r;
  r.method = "POST";
  r.target = std::move(target);
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  r.body = std::move(body);
  r.remote_address = std::move(from);
  return r;
}

HttpResponse answer(int status, std::string body = {}) { return HttpResponse{status, {}, std::move(body)}; }

TEST(EsipayAdapter, CardpayPutsEverythingInThePathAsTheSeedSays) {
  EsipayAdapter a(settings());
  auto req = a.build_request(cardpay());
  ASSERT_TRUE(req) << req.error().message;
  EXPECT_EQ(req->method, "POST");
  EXPECT_EQ(req->target, "http://10.0.0.6:6543/cardpay/c0ffee00-uuid/tx_ABC/4000000000000001/9/2027/12.50");
  EXPECT_TRUE(req->body.empty());
  auto xof = a.build_request(cardpay(5000, "XOF"));
  ASSERT_TRUE(xof);
  EXPECT_TRUE(xof->target.ends_with("/5000"));
}

TEST(EsipayAdapter, MethodIsConfigurable) {
  auto s = settings();
  s.http_method = "GET";
  EsipayAdapter a(s);
  EXPECT_EQ(a.build_request(cardpay())->method, "GET");
  EXPECT_THROW(esipay_settings({{"base_url", "x"}, {"uuid", "u"}, {"callback_token", std::string(kToken)},
                                {"allowed_sources", "1.2.3.4"}, {"http_method", "DELETE"}}),
               std::invalid_argument);
}

TEST(EsipayAdapter, CardProblemsNeverQuoteTheNumber) {
  EsipayAdapter a(settings());
  auto no_card = cardpay();
  no_card.params["card"] = "attached";
  auto r = a.build_request(no_card);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "card data unavailable");
  EXPECT_FALSE(r.error().retryable());
  EXPECT_EQ(code_text(r.error().code), "adapter.bad_parameters");
  auto bad_month = cardpay();
  bad_month.params["card"].as_object()["exp_month"] = 13;
  auto m = a.build_request(bad_month);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().message.find(kPan), std::string::npos);
  EXPECT_NE(m.error().message.find("exp_month"), std::string::npos);
  auto letters = cardpay();
  letters.params["card"].as_object()["number"] = "4000 0000 0000 0001";
  auto l = a.build_request(letters);
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().message.find("4000 0000"), std::string::npos);
}

TEST(EsipayAdapter, RefundUrls) {
  EsipayAdapter a(settings());
  auto full = a.build_request(refund_call(false));
  ASSERT_TRUE(full);
  EXPECT_EQ(full->target, "http://10.0.0.6:6543/cardpay/c0ffee00-uuid/esi42");
  auto part = a.build_request(refund_call(true));
  ASSERT_TRUE(part);
  EXPECT_EQ(part->target, "http://10.0.0.6:6543/cardpay/c0ffee00-uuid/esi42/4.00");
  auto no_txn = refund_call(false);
  no_txn.params.edit().erase("transaction");
  auto refused = a.build_request(no_txn);
  ASSERT_FALSE(refused);
  EXPECT_EQ(code_text(refused.error().code), "adapter.bad_parameters");
  auto other = refund_call(false);
  other.op = "void";
  EXPECT_EQ(code_text(a.build_request(other).error().code), "adapter.unknown_operation");
  EXPECT_EQ(code_text(a.parse_response(other, answer(200)).error().code), "adapter.unknown_operation");
}

TEST(EsipayAdapter, NoCallIsRetrySafe) {
  EsipayAdapter a(settings());
  EXPECT_FALSE(a.retry_safe(cardpay()));
  EXPECT_FALSE(a.retry_safe(refund_call(false)));
  EXPECT_FALSE(a.retry_safe(refund_call(true)));
}

TEST(EsipayAdapter, TheSeedsStatuses) {
  EsipayAdapter a(settings());
  auto ok = a.parse_response(cardpay(), answer(200));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->name, "charge.succeeded");
  EXPECT_EQ(ok->txn_id, "tx_ABC");
  EXPECT_EQ(ok->data, (json::object{{"http_status", 200}}));  // nothing more
  // Each refusal named as the seed's statuses mean it, so the flow never reads an HTTP status.
  for (auto [status, refusal] : {std::pair{400, esipay_refusal::kIncorrectParameter},
                                 std::pair{403, esipay_refusal::kAddressNotAllowed},
                                 std::pair{500, esipay_refusal::kServiceError},
                                 std::pair{404, esipay_refusal::kUnlistedStatus}}) {
    auto failed = a.parse_response(cardpay(), answer(status, "service error"));
    ASSERT_TRUE(failed) << status;
    EXPECT_EQ(failed->name, "charge.failed");
    const auto answered = fields::from_object<EsipayAnswer>(failed->data);
    EXPECT_EQ(answered.http_status, status);
    EXPECT_EQ(answered.refusal, refusal);
    EXPECT_EQ(answered.error, "HTTP " + std::to_string(status) + ": service error");
    auto refund = a.parse_response(refund_call(true), answer(status));
    ASSERT_TRUE(refund);
    EXPECT_EQ(refund->name, "refund.failed");
    EXPECT_EQ(fields::from_object<EsipayAnswer>(refund->data).refusal, refusal);
  }
  EXPECT_EQ(a.parse_response(refund_call(false), answer(200))->name, "refund.succeeded");
}

// Not one of esipay's answers: the outcome is unknown, never a decline. Its code says why; the call
// is never sent again (not retry-safe), whatever the code.
TEST(EsipayAdapter, AnswersThatAreNotEsipaysAreFailuresWithTheirCode) {
  EsipayAdapter a(settings());
  for (int status : {502, 503, 504, 408}) {
    auto r = a.parse_response(cardpay(), answer(status, "bad gateway"));
    ASSERT_FALSE(r) << status;
    EXPECT_TRUE(r.error().retryable()) << status;
    EXPECT_EQ(code_text(r.error().code), "adapter.provider_unavailable") << status;
  }
  auto busy = a.parse_response(refund_call(true), answer(429));
  ASSERT_FALSE(busy);
  EXPECT_TRUE(busy.error().retryable());
  EXPECT_EQ(code_text(busy.error().code), "adapter.rate_limited");
  auto other = a.parse_response(cardpay(), answer(204));
  ASSERT_FALSE(other);
  EXPECT_EQ(code_text(other.error().code), "adapter.unexpected_answer");
}

TEST(EsipayAdapter, ErrorBodiesAreMasked) {
  EsipayAdapter a(settings());
  auto failed = a.parse_response(cardpay(), answer(400, "bad card 4000000000000001 in /cardpay/..."));
  ASSERT_TRUE(failed);
  const std::string error = fields::from_object<EsipayAnswer>(failed->data).error;
  EXPECT_EQ(error.find(kPan), std::string::npos);
  EXPECT_NE(error.find("400000******0001"), std::string::npos);
}

TEST(EsipayAdapter, CallbackFormBodyOfTheSeed) {
  EsipayAdapter a(settings());
  auto in = a.parse_webhook(callback("type=card&amount=12.50&transaction=esi42&cid=tx_ABC"));
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->txn_id, "tx_ABC");
  EXPECT_EQ(in->name, "esipay.callback");
  EXPECT_EQ(in->dedupe_id, "esi42");
  const auto cb = fields::from_object<EsipayCallback>(in->data);
  EXPECT_EQ(cb.type, "card");
  EXPECT_EQ(cb.amount, json::value("12.50"));  // esipay's text, as written
  EXPECT_EQ(cb.transaction, "esi42");
  EXPECT_EQ(cb.cid, "tx_ABC");
  // The keys the flow has always read, and only them.
  EXPECT_EQ(in->data, (json::object{{"type", "card"}, {"amount", "12.50"}, {"transaction", "esi42"}, {"cid", "tx_ABC"}}));
}

TEST(EsipayAdapter, CallbackJsonBodyAndMappedIpv4Accepted) {
  EsipayAdapter a(settings());
  auto r = callback(R"({"type":"card","amount":"5000","transaction":"esi43","cid":"tx_ABC"})", "/callbacks/esipay/" + std::string(kToken) + "?x=1",
                    "::ffff:127.0.0.1");
  r.headers = {{"Content-Type", "application/json"}};
  auto in = a.parse_webhook(r);
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(fields::from_object<EsipayCallback>(in->data).amount, json::value("5000"));
}

TEST(EsipayAdapter, CallbackFromAnotherAddressIs403) {
  EsipayAdapter a(settings());
  auto in = a.parse_webhook(callback("type=card&amount=1&transaction=t&cid=tx_ABC", "/callbacks/esipay/" + std::string(kToken), "10.9.9.9"));
  ASSERT_FALSE(in);
  EXPECT_EQ(in.error().http_status(), 403);
  EXPECT_EQ(code_text(in.error().code), "adapter.forbidden_source");
  auto none = a.parse_webhook(callback("type=card&amount=1&transaction=t&cid=tx_ABC", "/callbacks/esipay/" + std::string(kToken), ""));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().http_status(), 403);
}

TEST(EsipayAdapter, WrongOrMissingTokenIs404) {
  EsipayAdapter a(settings());
  for (std::string target : {"/callbacks/esipay/tok_0123456789abcdee", "/callbacks/esipay/", "/callbacks/esipay/tok_0123456789abcdef0",
                             "/callbacks/other/tok_0123456789abcdef"}) {
    auto in = a.parse_webhook(callback("type=card&amount=1&transaction=t&cid=tx_ABC", target));
    ASSERT_FALSE(in) << target;
    EXPECT_EQ(in.error().http_status(), 404) << target;
    EXPECT_EQ(code_text(in.error().code), "adapter.unknown_route") << target;
  }
}

TEST(EsipayAdapter, MalformedCallbacksNameTheField) {
  EsipayAdapter a(settings());
  auto check = [&](std::string body, std::string_view what) {
    auto in = a.parse_webhook(callback(body));
    ASSERT_FALSE(in) << body;
    EXPECT_NE(in.error().message.find(what), std::string::npos) << in.error().message;
    EXPECT_EQ(code_text(in.error().code), "adapter.malformed") << body;
    EXPECT_EQ(in.error().http_status(), 400) << body;
  };
  check("type=card&amount=1&cid=tx_ABC", "'transaction'");
  check("type=card&transaction=t&cid=tx_ABC", "'amount'");
  check("type=card&amount=1&transaction=t", "'cid'");
  check("type=card&amount=12,50&transaction=t&cid=tx_ABC", "'amount'");
  check("amount=1&transaction=t&cid=tx_ABC", "'type'");
  auto get = callback("type=card&amount=1&transaction=t&cid=tx_ABC");
  get.method = "GET";
  auto refused = a.parse_webhook(get);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().http_status(), 405);
  EXPECT_EQ(code_text(refused.error().code), "adapter.wrong_method");
}

// Found by fuzz/esipay_callback (fuzz/regressions/esipay_callback/): a form field that decodes to
// bytes that are not UTF-8 was accepted (and answered 200), and the input it made on corridor.inputs
// was not JSON, so the processor dead-lettered a callback esipay took as delivered.
TEST(EsipayAdapter, CallbackFieldsThatAreNotUtf8AreRefused) {
  EsipayAdapter a(settings());
  for (std::string body : {"type=card&amount=5&transaction=esi%FF42&cid=tx_ABC", "type=card&amount=5&transaction=e&cid=tx\x8c",
                           "type=card&amount=5&transaction=%C0%AF&cid=tx_ABC", "type=card&amount=5&transaction=%ED%A0%80&cid=tx_ABC"}) {
    auto in = a.parse_webhook(callback(body));
    ASSERT_FALSE(in) << body;
    EXPECT_NE(in.error().message.find("UTF-8"), std::string::npos) << in.error().message;
  }
  auto accented = a.parse_webhook(callback("type=card&amount=5&transaction=esi%C3%A9&cid=tx_ABC"));
  ASSERT_TRUE(accented) << accented.error().message;
  EXPECT_EQ(accented->dedupe_id, "esi\xC3\xA9");
}

// Found by fuzz/esipay_callback: a callback of another type keeps every field, and a field *name* that
// decodes to bytes that are not UTF-8 made an input record that was not JSON.
TEST(EsipayAdapter, CallbackFieldNamesThatAreNotUtf8AreRefused) {
  EsipayAdapter a(settings());
  auto in = a.parse_webhook(callback("type=wire&%FF%FE=1&cid=tx_ABC"));
  ASSERT_FALSE(in);
  EXPECT_NE(in.error().message.find("not UTF-8"), std::string::npos) << in.error().message;
}

// "type : type de paiement (uniquement 'card' pour l'instant)": a callback of another type, from
// esipay's address with the return URL's token, is acknowledged (esipay cancels a payment whose return
// URL does not answer 200) and kept, not refused. Its name cannot meet a flow row.
TEST(EsipayAdapter, CallbackOfAnotherPaymentTypeIsUnhandled) {
  EsipayAdapter a(settings());
  auto in = a.parse_webhook(callback("type=wire&amount=1&transaction=t9&cid=tx_ABC"));
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_TRUE(in->unhandled);
  EXPECT_EQ(in->txn_id, "tx_ABC");
  EXPECT_EQ(in->name, "esipay.callback.wire");
  EXPECT_EQ(in->dedupe_id, "t9");
  EXPECT_EQ(get_string(in->data, "type"), "wire");
  // Still refused when it is not esipay's: another address, another token.
  EXPECT_EQ(a.parse_webhook(callback("type=wire&cid=tx_ABC", "/callbacks/esipay/" + std::string(kToken), "10.9.9.9"))
                .error()
                .http_status(),
            403);
  EXPECT_EQ(a.parse_webhook(callback("type=wire&cid=tx_ABC", "/callbacks/esipay/tok_wrong_0123456789")).error().http_status(),
            404);
  // A card callback is not unhandled.
  auto card = a.parse_webhook(callback("type=card&amount=12.50&transaction=t1&cid=tx_ABC"));
  ASSERT_TRUE(card);
  EXPECT_FALSE(card->unhandled);
  EXPECT_EQ(card->name, "esipay.callback");
}

// The registration declares what build_request refuses, so the router can reject the command up
// front: card numbers of 12 to 19 digits, every length checked both ways.
TEST(EsipayAdapter, DeclaredCardLengthsAreWhatThePaymentUrlRefuses) {
  const auto r = esipay_registration();
  EXPECT_EQ(r.constraints.card_digits_min, 12u);
  EXPECT_EQ(r.constraints.card_digits_max, 19u);
  EXPECT_TRUE(r.constraints.currencies.empty());
  EsipayAdapter a(settings());
  for (std::size_t digits = 1; digits <= 24; ++digits) {
    SCOPED_TRACE(digits);
    ProviderCall c = cardpay();
    const std::string number(digits, '4');
    c.params["card"] = {{"number", number}, {"exp_month", 9}, {"exp_year", 2027}};
    EXPECT_EQ(a.build_request(c).ok(), r.constraints.check_card_number(number).empty());
  }
  for (std::string_view key : {"retry_after_ms", "retry_max_interval_ms", "max_retries"}) {
    bool listed = false;
    for (const auto& k : r.config_keys) listed = listed || k.name == key;
    EXPECT_TRUE(listed) << key;
  }
}

TEST(EsipayAdapter, SettingsAndReturnUrl) {
  EsipayAdapter a(settings());
  EXPECT_EQ(a.return_url(), "https://corridor.example/callbacks/esipay/tok_0123456789abcdef");
  EXPECT_THROW(esipay_settings({{"base_url", "x"}, {"uuid", "u"}, {"callback_token", "short"}, {"allowed_sources", "1.2.3.4"}}),
               std::invalid_argument);
  EXPECT_THROW(esipay_settings({{"base_url", "x"}, {"uuid", "u"}, {"callback_token", std::string(kToken)}}), std::invalid_argument);
  auto s = esipay_settings({{"base_url", "x"}, {"uuid", "u"}, {"callback_token", std::string(kToken)}, {"allowed_sources", "10.0.0.6, 127.0.0.1"}});
  EXPECT_EQ(s.allowed_sources, (std::vector<std::string>{"10.0.0.6", "127.0.0.1"}));
  EXPECT_EQ(s.http_method, "POST");
}

}  // namespace
}  // namespace corridor
