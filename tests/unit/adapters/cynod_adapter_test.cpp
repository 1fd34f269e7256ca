// Cynod adapter: requests, responses and webhooks on recorded bodies of the contract in
// docs/providers/cynod.md (the seed has no wire format), and the webhook signature. Pure.
#include "adapters/cynod/cynod_adapter.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <set>

#include "statemachines/cynod_inputs.hpp"

namespace corridor {
namespace {

constexpr std::string_view kPan = "6262000000000001";

CynodSettings settings() {
  CynodSettings s;
  s.base_url = "http://cynod.test/";
  s.api_key = "key_1";
  s.webhook_secret = "whsec_cynod";
  s.public_url = "https://corridor.example";
  return s;
}

std::string hdr(const HttpHeaders& h, std::string_view name) {
  for (const auto& [k, v] : h)
    if (k == name) return v;
  return {};
}

ProviderCall authorization_call(bool with_card = true) {
  ProviderCall c;
  c.call_id = "tx_ABC:1:request_authorization";
  c.provider = "cynod";
  c.op = "request_authorization";
  c.params = {{"reference", "tx_ABC"},
              {"amount", {{"value", 1500050}, {"currency", "CDF"}}},
              {"card", "attached"},
              {"customer", {{"name", "Jean"}, {"msisdn", "+243810000001"}}},
              {"description", "facture 12"}};
  if (with_card) c.params["card"] = {{"number", kPan}, {"exp_month", 12}, {"exp_year", 2027}, {"masked", "626200******0001"}};
  return c;
}

ProviderCall call(std::string op, json::object params) {
  return ProviderCall{"tx_ABC:4:" + op, "cynod", std::move(op), std::move(params)};
}

HttpResponse answer(int status, std::string body) { return HttpResponse{status, {}, std::move(body)}; }

const char* kInProgress =
    R"({"id":"cyn_auth_1","partner_reference":"tx_ABC","status":"in_progress","card":"626200******0001","amount":"15000.50","currency":"CDF","created_at":"2026-01-01T10:00:00.000Z"})";
const char* kApproved =
    R"({"id":"cyn_auth_1","partner_reference":"tx_ABC","status":"approved","card":"626200******0001","amount":"15000.50","currency":"CDF","authorization_number":"482913"})";

HttpRequest webhook(const std::string& body, std::string signature) {
  HttpRequest r;
  r.method = "POST";
  r.target = "/webhooks/cynod";
  r.body = body;
  if (!signature.empty()) r.headers.emplace_back("X-Cynod-Signature", std::move(signature));
  return r;
}

std::string envelope(std::string_view type, std::string_view data) {
  return R"({"id":"evt_1","type":")" + std::string(type) + R"(","created_at":"2026-01-01T10:00:01.000Z","data":)" +
         std::string(data) + "}";
}

TEST(CynodAdapter, AuthorizationRequestCarriesCardReferenceAndExactAmount) {
  CynodAdapter a(settings());
  auto req = a.build_request(authorization_call());
  ASSERT_TRUE(req) << req.error().message;
  EXPECT_EQ(req->method, "POST");
  EXPECT_EQ(req->target, "http://cynod.test/v1/authorizations");
  EXPECT_EQ(hdr(req->headers, "Authorization"), "Bearer key_1");
  EXPECT_EQ(hdr(req->headers, "Idempotency-Key"), "tx_ABC:1:request_authorization");
  auto body = json::parse(req->body).as_object();
  EXPECT_EQ(get_string(body, "partner_reference"), "tx_ABC");
  EXPECT_EQ(get_string(body, "amount"), "15000.50");
  EXPECT_EQ(get_string(body, "currency"), "CDF");
  EXPECT_EQ(get_string(*get_object(body, "card"), "number"), kPan);
  EXPECT_EQ(get_int(*get_object(body, "card"), "expiry_month"), 12);
  EXPECT_EQ(get_string(body, "notification_url"), "https://corridor.example/webhooks/cynod");
  EXPECT_EQ(get_string(*get_object(body, "customer"), "msisdn"), "+243810000001");
}

TEST(CynodAdapter, MissingCardIsNotRetryableAndQuotesNoNumber) {
  CynodAdapter a(settings());
  auto req = a.build_request(authorization_call(false));
  ASSERT_FALSE(req);
  EXPECT_EQ(req.error().message, "card data unavailable");
  EXPECT_FALSE(req.error().retryable());
  EXPECT_EQ(code_text(req.error().code), "adapter.bad_parameters");
  auto bad = authorization_call();
  bad.params["card"].as_object()["number"] = "6262-0000-0000-0001";
  auto r = a.build_request(bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.find("6262-0000"), std::string::npos);
}

TEST(CynodAdapter, AcknowledgementAndCancelPaths) {
  CynodAdapter a(settings());
  auto ack = a.build_request(call("acknowledge", {{"reference", "tx_ABC"}, {"authorization_number", "482913"}, {"status", "approved"}}));
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->target, "http://cynod.test/v1/authorizations/tx_ABC/acknowledgement");
  EXPECT_EQ(json::parse(ack->body).as_object().at("authorization_number"), "482913");
  auto cancel = a.build_request(call("cancel_authorization", {{"reference", "tx_ABC"}}));
  ASSERT_TRUE(cancel);
  EXPECT_EQ(cancel->target, "http://cynod.test/v1/authorizations/tx_ABC/cancel");
  EXPECT_FALSE(a.build_request(call("acknowledge", {{"reference", "tx_ABC"}})));
  auto refund = a.build_request(call("refund", {{"reference", "tx_ABC"}}));
  ASSERT_FALSE(refund);
  EXPECT_EQ(code_text(refund.error().code), "adapter.unknown_operation");
  auto refund_answer = a.parse_response(call("refund", {{"reference", "tx_ABC"}}), answer(200, kApproved));
  ASSERT_FALSE(refund_answer);
  EXPECT_EQ(code_text(refund_answer.error().code), "adapter.unknown_operation");
  EXPECT_FALSE(refund_answer.error().retryable());
}

// Step 9 read back for reconciliation: GET the authorisation; its status names the input, and a
// reference Cynod does not know is an answer that says so.
TEST(CynodAdapter, StatusReadIsStep9) {
  CynodAdapter a(settings());
  const ProviderCall get = call("get_authorization", {{"reference", "tx_ABC"}});
  auto req = a.build_request(get);
  ASSERT_TRUE(req);
  EXPECT_EQ(req->method, "GET");
  EXPECT_EQ(req->target, "http://cynod.test/v1/authorizations/tx_ABC");
  EXPECT_TRUE(req->body.empty());
  auto approved = a.parse_response(get, answer(200, kApproved));
  ASSERT_TRUE(approved);
  EXPECT_EQ(approved->name, "authorization.approved");
  EXPECT_EQ(fields::from_object<CynodAuthorization>(approved->data).authorization_number, "482913");
  auto unknown = a.parse_response(get, answer(404, R"({"message":"no such authorisation"})"));
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->name, "authorization.not_found");
  EXPECT_TRUE(fields::from_object<CynodNotFound>(unknown->data).not_found);
  EXPECT_EQ(unknown->data, (json::object{{"not_found", true}, {"http_status", 404}}));
  auto refused = a.parse_response(get, answer(401, R"({"message":"bad key"})"));
  ASSERT_FALSE(refused);
  EXPECT_FALSE(refused.error().retryable());
  EXPECT_EQ(code_text(refused.error().code), "adapter.unexpected_answer");
  auto busy = a.parse_response(get, answer(503, "{}"));
  ASSERT_FALSE(busy);
  EXPECT_TRUE(busy.error().retryable());
  EXPECT_EQ(code_text(busy.error().code), "adapter.provider_unavailable");
}

TEST(CynodAdapter, InProgressAnswerIsStep62) {
  CynodAdapter a(settings());
  auto in = a.parse_response(authorization_call(), answer(202, kInProgress));
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->txn_id, "tx_ABC");
  EXPECT_EQ(in->name, "authorization.in_progress");
  const auto notice = fields::from_object<CynodAuthorization>(in->data);
  EXPECT_EQ(notice.reference, "tx_ABC");
  EXPECT_EQ(notice.status, "in_progress");
  EXPECT_EQ(notice.cynod_reference, "cyn_auth_1");
  EXPECT_EQ(notice.card, "626200******0001");
  // The amount as Cynod wrote it: the flow reads it exactly and compares it with the one asked.
  EXPECT_EQ(notice.amount, json::value("15000.50"));
  EXPECT_EQ(notice.currency, "CDF");
  // The keys the input has always carried, in their order, so that recorded inputs read the same.
  EXPECT_EQ(json::serialize(in->data),
            R"({"reference":"tx_ABC","status":"in_progress","cynod_reference":"cyn_auth_1","card":"626200******0001","amount":"15000.50","currency":"CDF"})");
}

TEST(CynodAdapter, DeclinedAnswerCarriesTheReason) {
  CynodAdapter a(settings());
  auto in = a.parse_response(
      authorization_call(),
      answer(200, R"({"id":"cyn_auth_2","partner_reference":"tx_ABC","status":"declined","decline_reason":"insufficient_balance","card":"626200******0003","amount":"15000.50","currency":"CDF"})"));
  ASSERT_TRUE(in);
  EXPECT_EQ(in->name, "authorization.declined");
  EXPECT_EQ(fields::from_object<CynodAuthorization>(in->data).reason, "insufficient_balance");
}

TEST(CynodAdapter, CardInClearFromCynodIsMaskedAgain) {
  CynodAdapter a(settings());
  std::string body = kInProgress;
  body.replace(body.find("626200******0001"), 16, kPan);
  auto in = a.parse_response(authorization_call(), answer(202, body));
  ASSERT_TRUE(in);
  EXPECT_EQ(fields::from_object<CynodAuthorization>(in->data).card, "626200******0001");
}

TEST(CynodAdapter, RefusalsServerErrorsAndMalformedAnswers) {
  CynodAdapter a(settings());
  auto rejected = a.parse_response(authorization_call(), answer(422, R"({"code":"card_not_enrolled","message":"no wallet"})"));
  ASSERT_TRUE(rejected);
  EXPECT_EQ(rejected->name, "authorization.rejected");
  const auto rejection = fields::from_object<CynodRejection>(rejected->data);
  EXPECT_EQ(rejection.http_status, 422);
  EXPECT_EQ(rejection.error, "card_not_enrolled: no wallet");
  EXPECT_EQ(rejected->data, (json::object{{"http_status", 422}, {"error", "card_not_enrolled: no wallet"}}));
  auto busy = a.parse_response(authorization_call(), answer(503, "{}"));
  ASSERT_FALSE(busy);
  EXPECT_TRUE(busy.error().retryable());
  EXPECT_EQ(code_text(busy.error().code), "adapter.provider_unavailable");
  auto throttled = a.parse_response(authorization_call(), answer(429, R"({"message":"slow down"})"));
  ASSERT_FALSE(throttled);
  EXPECT_TRUE(throttled.error().retryable());
  EXPECT_EQ(code_text(throttled.error().code), "adapter.rate_limited");
  auto missing = a.parse_response(authorization_call(), answer(202, R"({"partner_reference":"tx_ABC"})"));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("'status'"), std::string::npos);
  EXPECT_EQ(code_text(missing.error().code), "adapter.malformed");
  auto not_json = a.parse_response(authorization_call(), answer(200, "<html>"));
  ASSERT_FALSE(not_json);
  EXPECT_EQ(code_text(not_json.error().code), "adapter.malformed");
  EXPECT_FALSE(not_json.error().retryable());
  // An amount that cannot be read is passed on as it is: the flow counts it as another amount (an
  // amount mismatch at step 8.2) instead of losing Cynod's answer.
  auto float_amount = a.parse_response(
      authorization_call(), answer(202, R"({"partner_reference":"tx_ABC","status":"in_progress","amount":15000.5,"currency":"CDF"})"));
  ASSERT_TRUE(float_amount) << float_amount.error().message;
  EXPECT_EQ(fields::from_object<CynodAuthorization>(float_amount->data).amount, json::value(15000.5));
  auto approved_without_number = a.parse_response(
      authorization_call(), answer(200, R"({"partner_reference":"tx_ABC","status":"approved"})"));
  ASSERT_FALSE(approved_without_number);
  EXPECT_NE(approved_without_number.error().message.find("authorization_number"), std::string::npos);
  auto other_txn = a.parse_response(authorization_call(), answer(202, R"({"partner_reference":"tx_OTHER","status":"in_progress"})"));
  ASSERT_FALSE(other_txn);
  EXPECT_EQ(code_text(other_txn.error().code), "adapter.unexpected_answer");
}

TEST(CynodAdapter, CancelAnswersTellHowTheAuthorisationEnded) {
  CynodAdapter a(settings());
  const auto cancel = call("cancel_authorization", {{"reference", "tx_ABC"}});
  auto cancelled = a.parse_response(cancel, answer(200, R"({"id":"cyn_auth_1","partner_reference":"tx_ABC","status":"cancelled"})"));
  ASSERT_TRUE(cancelled);
  EXPECT_EQ(cancelled->name, "authorization.cancelled");
  auto too_late = a.parse_response(cancel, answer(409, kApproved));
  ASSERT_TRUE(too_late);
  EXPECT_EQ(too_late->name, "authorization.approved");
  EXPECT_EQ(fields::from_object<CynodAuthorization>(too_late->data).authorization_number, "482913");
  auto ack = a.parse_response(call("acknowledge", {}), answer(200, R"({"status":"acknowledged"})"));
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->name, "acknowledgement.accepted");
  EXPECT_FALSE(a.parse_response(call("acknowledge", {}), answer(409, "{}")));
}

TEST(CynodAdapter, SignedWebhookIsStep82) {
  CynodAdapter a(settings());
  const std::string body = envelope("authorization.approved", kApproved);
  auto in = a.parse_webhook(webhook(body, cynod_webhook_signature("whsec_cynod", body)));
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->txn_id, "tx_ABC");
  EXPECT_EQ(in->name, "authorization.approved");
  EXPECT_EQ(in->dedupe_id, "evt_1");
  const auto debit = fields::from_object<CynodAuthorization>(in->data);
  EXPECT_EQ(debit.authorization_number, "482913");
  EXPECT_EQ(debit.status, "approved");
  EXPECT_EQ(debit.amount, json::value("15000.50"));
  EXPECT_EQ(debit.currency, "CDF");
  EXPECT_TRUE(debit.reason.empty());
}

// Cynod's own expiry of the wallet request reads as a withdrawal.
TEST(CynodAdapter, ExpiryWebhookIsAWithdrawal) {
  CynodAdapter a(settings());
  const std::string body =
      envelope("authorization.expired", R"({"id":"cyn_auth_1","partner_reference":"tx_ABC","status":"expired"})");
  auto in = a.parse_webhook(webhook(body, cynod_webhook_signature("whsec_cynod", body)));
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->name, "authorization.cancelled");
  EXPECT_FALSE(in->unhandled);
  const std::string wrong =
      envelope("authorization.expired", R"({"id":"cyn_auth_1","partner_reference":"tx_ABC","status":"cancelled"})");
  EXPECT_FALSE(a.parse_webhook(webhook(wrong, cynod_webhook_signature("whsec_cynod", wrong))));
}

// A signed, well-formed notification of a type corridor does not act on is acknowledged, not refused:
// refused, Cynod would deliver it again and again. Its name cannot meet a flow row.
TEST(CynodAdapter, SignedWebhookOfAnUnknownTypeIsUnhandled) {
  CynodAdapter a(settings());
  const std::string body = envelope("authorization.refunded", kApproved);
  auto in = a.parse_webhook(webhook(body, cynod_webhook_signature("whsec_cynod", body)));
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_TRUE(in->unhandled);
  EXPECT_EQ(in->txn_id, "tx_ABC");
  EXPECT_EQ(in->name, "cynod.authorization.refunded");
  EXPECT_EQ(in->dedupe_id, "evt_1");
  // One whose type names an input the flow knows from elsewhere is still only that: unhandled.
  const std::string posing = R"({"id":"evt_2","type":"acknowledgement.accepted","data":{"partner_reference":"tx_ABC"}})";
  auto other = a.parse_webhook(webhook(posing, cynod_webhook_signature("whsec_cynod", posing)));
  ASSERT_TRUE(other) << other.error().message;
  EXPECT_TRUE(other->unhandled);
  EXPECT_EQ(other->name, "cynod.acknowledgement.accepted");
  // Without data (no transaction named): still acknowledged, txn_id empty.
  const std::string bare = R"({"id":"evt_3","type":"partner.updated"})";
  auto partner = a.parse_webhook(webhook(bare, cynod_webhook_signature("whsec_cynod", bare)));
  ASSERT_TRUE(partner) << partner.error().message;
  EXPECT_TRUE(partner->unhandled);
  EXPECT_TRUE(partner->txn_id.empty());
  // Unsigned or malformed is still refused.
  EXPECT_EQ(a.parse_webhook(webhook(body, cynod_webhook_signature("not-the-secret", body))).error().http_status(), 401);
  const std::string no_type = R"({"id":"evt_4","data":{}})";
  EXPECT_FALSE(a.parse_webhook(webhook(no_type, cynod_webhook_signature("whsec_cynod", no_type))));
}

// A cancellation Cynod answers 404 to: it does not know the authorisation, nothing to withdraw.
TEST(CynodAdapter, CancelOfAnUnknownReferenceIsNotFound) {
  CynodAdapter a(settings());
  auto in = a.parse_response(call("cancel_authorization", {{"reference", "tx_ABC"}}),
                             answer(404, R"({"code":"not_found","message":"unknown partner_reference"})"));
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->name, "authorization.not_found");
  EXPECT_TRUE(fields::from_object<CynodNotFound>(in->data).not_found);
}

// The registration declares what build_request refuses, so the router can reject the command up
// front: card numbers of 12 to 19 digits, every length checked both ways.
TEST(CynodAdapter, DeclaredCardLengthsAreWhatTheRequestRefuses) {
  const auto r = cynod_registration();
  EXPECT_EQ(r.constraints.card_digits_min, 12u);
  EXPECT_EQ(r.constraints.card_digits_max, 19u);
  EXPECT_TRUE(r.constraints.currencies.empty());
  EXPECT_FALSE(r.constraints.whole_units);
  CynodAdapter a(settings());
  for (std::size_t digits = 1; digits <= 24; ++digits) {
    SCOPED_TRACE(digits);
    ProviderCall c = authorization_call();
    const std::string number(digits, '4');
    c.params["card"] = {{"number", number}, {"exp_month", 12}, {"exp_year", 2027}};
    const bool built = a.build_request(c).ok();
    EXPECT_EQ(built, r.constraints.check_card_number(number).empty());
  }
  EXPECT_TRUE(r.constraints.check_amount(Money{1500050, "CDF"}).empty());
}

TEST(CynodAdapter, SignatureHeaderIsConfigurableAndBareHexAccepted) {
  auto s = settings();
  s.signature_header = "X-Partner-Signature";
  CynodAdapter a(s);
  const std::string body = envelope("authorization.approved", kApproved);
  HttpRequest r = webhook(body, "");
  r.headers.emplace_back("x-partner-signature", cynod_webhook_signature("whsec_cynod", body).substr(7));
  auto in = a.parse_webhook(r);
  ASSERT_TRUE(in) << in.error().message;
}

TEST(CynodAdapter, ForgedMissingAndReplayedSignaturesAreRefusedWith401) {
  CynodAdapter a(settings());
  const std::string body = envelope("authorization.approved", kApproved);
  auto forged = a.parse_webhook(webhook(body, cynod_webhook_signature("not-the-secret", body)));
  ASSERT_FALSE(forged);
  EXPECT_EQ(forged.error().http_status(), 401);
  EXPECT_EQ(code_text(forged.error().code), "adapter.bad_signature");
  auto missing = a.parse_webhook(webhook(body, ""));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().http_status(), 401);
  EXPECT_NE(missing.error().message.find("X-Cynod-Signature"), std::string::npos);
  // A genuine body replayed with the signature of another (genuine) notification.
  const std::string other = envelope("authorization.in_progress", kInProgress);
  auto replayed = a.parse_webhook(webhook(body, cynod_webhook_signature("whsec_cynod", other)));
  ASSERT_FALSE(replayed);
  EXPECT_EQ(replayed.error().http_status(), 401);
  // The body altered after signing (the amount).
  std::string altered = body;
  altered.replace(altered.find("15000.50"), 8, "15.00000");
  EXPECT_FALSE(a.parse_webhook(webhook(altered, cynod_webhook_signature("whsec_cynod", body))));
  EXPECT_FALSE(a.parse_webhook(webhook(body, "sha256=zz")));
}

TEST(CynodAdapter, MalformedSignedWebhooksNameTheField) {
  CynodAdapter a(settings());
  auto check = [&](const std::string& body, std::string_view field) {
    auto in = a.parse_webhook(webhook(body, cynod_webhook_signature("whsec_cynod", body)));
    ASSERT_FALSE(in) << body;
    EXPECT_NE(in.error().message.find(field), std::string::npos) << in.error().message;
    EXPECT_EQ(in.error().http_status(), 400);
  };
  check("not json", "not JSON");
  check(R"({"type":"authorization.approved","data":{}})", "'id'");
  check(R"({"id":"evt_1","type":"authorization.approved"})", "'data'");
  check(envelope("authorization.declined", kApproved), "does not match");
  check(envelope("authorization.approved", R"({"partner_reference":"tx_ABC","status":"paid"})"), "unknown status");
  const std::string not_json = "not json";
  EXPECT_EQ(code_text(a.parse_webhook(webhook(not_json, cynod_webhook_signature("whsec_cynod", not_json))).error().code),
            "adapter.malformed");
}

TEST(CynodAdapter, MaskKeepsFirstSixAndLastFour) {
  EXPECT_EQ(cynod_mask_card("6262000000000001"), "626200******0001");
  EXPECT_EQ(cynod_mask_card("626200******0001"), "626200******0001");
  EXPECT_EQ(cynod_mask_card("6262-0000-0000"), "**************");
}

TEST(CynodAdapter, RegistrationListsFlowSettingsAndPublicUrl) {
  const auto r = cynod_registration();
  std::set<std::string_view> keys;
  for (const auto& k : r.config_keys) keys.insert(k.name);
  for (auto k : {"base_url", "webhook_secret", "signature_header", "public_url", "confirmation_ttl_ms", "retry_after_ms",
                 "retry_max_interval_ms", "max_retries"})
    EXPECT_TRUE(keys.count(k)) << k;
  EXPECT_THROW(cynod_settings({{"base_url", "http://x"}}), std::invalid_argument);
  auto adapter = r.make({{"base_url", "http://x"}, {"webhook_secret", "s"}});
  EXPECT_TRUE(adapter->retry_safe(authorization_call()));
}

}  // namespace
}  // namespace corridor
