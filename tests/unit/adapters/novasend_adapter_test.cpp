// NovaSend adapter: request building, response parsing on the seed's own example bodies, webhook
// authentication and parsing. Pure: no sockets.
#include "adapters/novasend/novasend_adapter.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>

#include "statemachines/novasend_inputs.hpp"

namespace corridor {
namespace {

// This test links without corridor_http, so it reads headers itself.
std::string hdr(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < k.size(); ++i) {
      same = same && std::tolower(static_cast<unsigned char>(k[i])) == std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (same) return v;
  }
  return {};
}

NovaSendSettings settings() {
  NovaSendSettings s;
  s.base_url = "http://novasend.test/";
  s.api_key = "ak_test";
  s.api_client = "client_1";
  s.account_id = "merchant_9923lkdz";
  s.webhook_secret = "whsec_test";
  return s;
}

ProviderCall session_call(std::int64_t value = 300, std::string currency = "XOF") {
  ProviderCall c;
  c.call_id = "tx_ABC:3:create_session";
  c.provider = "novasend";
  c.op = "create_session";
  c.params = {{"reference", "tx_ABC"},
              {"amount", {{"value", value}, {"currency", currency}}},
              {"msisdn", "+2250702968786"},
              {"customerName", "John Doe"},
              {"country", "CI"}};
  return c;
}

ProviderCall status_call() {
  ProviderCall c;
  c.call_id = "tx_ABC:5:check_status";
  c.provider = "novasend";
  c.op = "check_status";
  c.params = {{"reference", "tr_fhchi842jyimwiugjgszcxvb8n"}};
  return c;
}

HttpResponse answer(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// The seed's example answer to POST /v1/payin/sessions.
constexpr const char* kSeedSessionResponse = R"({
  "type": "payin",
  "fee": 6,
  "reference": "tr_fhchi842jyimwiugjgszcxvb8n",
  "phoneNumber": "+2250749929598",
  "amount": 300,
  "chargedAmount": 306,
  "status": "processing",
  "currency": "XOF",
  "customerReference": "ef76fb64-af0b-4c37-8729-bf61d85721fd",
  "confirmationRequired": true,
  "confirmationStatus": "none",
  "paymentUrl": "https://link.novasend.app/link/{shortCode}",
  "createdAt": "2025-08-22T01:34:48.189Z"
})";

// The seed's example answer to GET /v1/payin/{reference}.
constexpr const char* kSeedStatusResponse = R"({
  "type": "payin",
  "fee": 6,
  "reference": "mtr_fhscgaywizujwjyymlge1hncaq",
  "phoneNumber": "+2250749929598",
  "customerName": "Habib",
  "amount": 300,
  "chargedAmount": 306,
  "status": "processed",
  "currency": "XOF",
  "customerReference": "55a4e677-5700-4ed0-9a2a-9300db894ddb",
  "confirmationRequired": true,
  "confirmationStatus": "none",
  "createdAt": "2025-08-22T02:00:16.026Z",
  "transaction": {
    "reference": "tr_dkjd5ljficphlqmt",
    "status": "completed",
    "customerName": "dd soûl",
    "processedAt": "2025-11-05T16:12:42.096Z",
    "phoneNumber": "+2250153013761",
    "amount": "153.00",
    "fees": "0.00",
    "chargedAmount": "153.00",
    "currency": "XOF"
  },
  "failure": null
})";

// ---- build_request ------------------------------------------------------------------------------

TEST(NovaSendRequest, CreateSessionFollowsTheSeed) {
  NovaSendAdapter a(settings());
  auto r = a.build_request(session_call());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->target, "http://novasend.test/v1/payin/sessions");
  EXPECT_EQ(hdr(r->headers, "Authorization"), "Basic YWtfdGVzdDpjbGllbnRfMQ==");  // base64("ak_test:client_1")
  EXPECT_EQ(hdr(r->headers, "X-Idempotency-Key"), "tx_ABC:3:create_session");
  EXPECT_EQ(hdr(r->headers, "Content-Type"), "application/json");
  EXPECT_EQ(json::parse(r->body), json::parse(R"({"reference": "tx_ABC", "accountId": "merchant_9923lkdz", "amount": 300,
      "msisdn": "+2250702968786", "customerName": "John Doe", "country": "CI"})"));
}

TEST(NovaSendRequest, AmountIsConvertedExactlyToWholeUnits) {
  NovaSendAdapter a(settings());
  auto usd = a.build_request(session_call(15000, "USD"));
  ASSERT_TRUE(usd.ok()) << usd.error().message;
  EXPECT_EQ(json::parse(usd->body).at("amount"), 150);

  auto fraction = a.build_request(session_call(15050, "USD"));
  ASSERT_FALSE(fraction.ok());
  EXPECT_FALSE(fraction.error().retryable());
  EXPECT_EQ(code_text(fraction.error().code), "adapter.bad_parameters");
  EXPECT_NE(fraction.error().message.find("150.50 USD"), std::string::npos) << fraction.error().message;

  auto unknown = a.build_request(session_call(300, "ZZZ"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("ZZZ"), std::string::npos);

  EXPECT_FALSE(a.build_request(session_call(0, "XOF")).ok());
  EXPECT_FALSE(a.build_request(session_call(-300, "XOF")).ok());
}

TEST(NovaSendRequest, CreateSessionRefusesMissingParams) {
  NovaSendAdapter a(settings());
  auto c = session_call();
  c.params.edit().erase("msisdn");
  auto r = a.build_request(c);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("msisdn"), std::string::npos);

  c = session_call();
  c.params["amount"] = 300;
  EXPECT_FALSE(a.build_request(c).ok());

  // Optional customer fields are left out rather than sent empty.
  c = session_call();
  c.params["customerName"] = "";
  c.params.edit().erase("country");
  auto lean = a.build_request(c);
  ASSERT_TRUE(lean.ok()) << lean.error().message;
  const auto body = json::parse(lean->body).as_object();
  EXPECT_FALSE(body.contains("customerName"));
  EXPECT_FALSE(body.contains("country"));
}

TEST(NovaSendRequest, CheckStatusIsAnAuthenticatedGet) {
  NovaSendAdapter a(settings());
  auto r = a.build_request(status_call());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->method, "GET");
  EXPECT_EQ(r->target, "http://novasend.test/v1/payin/tr_fhchi842jyimwiugjgszcxvb8n");
  EXPECT_EQ(hdr(r->headers, "Authorization"), "Basic YWtfdGVzdDpjbGllbnRfMQ==");
  EXPECT_TRUE(r->body.empty());

  auto odd = status_call();
  odd.params["reference"] = "tr_a/b c";
  EXPECT_EQ(a.build_request(odd)->target, "http://novasend.test/v1/payin/tr_a%2Fb%20c");
  odd.params.edit().erase("reference");
  EXPECT_FALSE(a.build_request(odd).ok());
}

TEST(NovaSendRequest, UnknownOperationIsAnError) {
  NovaSendAdapter a(settings());
  auto c = status_call();
  c.op = "refund";
  auto r = a.build_request(c);
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(r.error().retryable());
  EXPECT_EQ(code_text(r.error().code), "adapter.unknown_operation");
  auto answer_to_it = a.parse_response(c, answer(200, "{}"));
  ASSERT_FALSE(answer_to_it.ok());
  EXPECT_EQ(code_text(answer_to_it.error().code), "adapter.unknown_operation");
}

// ---- parse_response -----------------------------------------------------------------------------

TEST(NovaSendResponse, SeedSessionAnswerIsSessionCreated) {
  NovaSendAdapter a(settings());
  auto in = a.parse_response(session_call(), answer(201, kSeedSessionResponse));
  ASSERT_TRUE(in.ok()) << in.error().message;
  EXPECT_EQ(in->txn_id, "tx_ABC");
  EXPECT_EQ(in->name, "session.created");
  const auto payin = fields::from_object<NovaSendPayin>(in->data);
  EXPECT_EQ(payin.reference, "tr_fhchi842jyimwiugjgszcxvb8n");
  EXPECT_EQ(payin.customerReference, "ef76fb64-af0b-4c37-8729-bf61d85721fd");
  EXPECT_EQ(payin.fee, json::value(6));
  EXPECT_EQ(payin.amount, json::value(300));
  EXPECT_EQ(payin.chargedAmount, json::value(306));
  EXPECT_EQ(payin.currency, "XOF");
  EXPECT_EQ(payin.status, "processing");
  EXPECT_EQ(payin.confirmationRequired, true);
  EXPECT_EQ(payin.confirmationStatus, "none");
  EXPECT_EQ(payin.paymentUrl, "https://link.novasend.app/link/{shortCode}");
  // Every field of the seed's example, under its name and with its value, as recorded inputs hold them.
  EXPECT_EQ(in->data, json::parse(kSeedSessionResponse).as_object());
}

TEST(NovaSendResponse, SeedStatusAnswerIsStatusChecked) {
  NovaSendAdapter a(settings());
  auto in = a.parse_response(status_call(), answer(200, kSeedStatusResponse));
  ASSERT_TRUE(in.ok()) << in.error().message;
  EXPECT_EQ(in->txn_id, "tx_ABC");
  EXPECT_EQ(in->name, "status.checked");
  const auto payin = fields::from_object<NovaSendPayin>(in->data);
  EXPECT_EQ(payin.status, "processed");
  ASSERT_TRUE(payin.transaction);
  EXPECT_EQ(payin.transaction->reference, "tr_dkjd5ljficphlqmt");
  EXPECT_EQ(payin.transaction->status, "completed");
  EXPECT_EQ(payin.transaction->amount, json::value("153.00"));  // as written: the flow reads it exactly
  EXPECT_EQ(payin.transaction->currency, "XOF");
  EXPECT_FALSE(payin.failure);
  // The seed's example whole, but for its "failure": null (an empty optional is left out).
  json::object sent = json::parse(kSeedStatusResponse).as_object();
  sent.erase("failure");
  EXPECT_EQ(in->data, sent);
}

TEST(NovaSendResponse, TransactionNullOrEmptyMeansNotYetConfirmed) {
  NovaSendAdapter a(settings());
  for (const char* t : {"null", "{}"}) {
    const std::string body =
        std::string(R"({"reference": "tr_1", "status": "processing", "confirmationStatus": "none", "transaction": )") + t +
        R"(, "failure": null})";
    auto in = a.parse_response(status_call(), answer(200, body));
    ASSERT_TRUE(in.ok()) << t << ": " << in.error().message;
    EXPECT_EQ(in->name, "status.checked");
    const auto payin = fields::from_object<NovaSendPayin>(in->data);
    EXPECT_EQ(payin.transaction.has_value(), std::string_view(t) == "{}") << t;
    EXPECT_EQ(payin.transaction.value_or(NovaSendPayinTransaction{}).status, "") << t;
  }
}

TEST(NovaSendResponse, FailureCarriesTheProvidersMessage) {
  NovaSendAdapter a(settings());
  auto in = a.parse_response(
      status_call(),
      answer(200, R"({"reference": "tr_1", "status": "processed", "transaction": {"status": "failed"}, "failure": {"code": "E12", "message": "solde insuffisant"}})"));
  ASSERT_TRUE(in.ok()) << in.error().message;
  const auto payin = fields::from_object<NovaSendPayin>(in->data);
  ASSERT_TRUE(payin.failure);
  EXPECT_EQ(payin.failure->message, "solde insuffisant");
  EXPECT_EQ(payin.failure->code, json::value("E12"));
}

TEST(NovaSendResponse, RefusedSessionIsSessionRejected) {
  NovaSendAdapter a(settings());
  auto in = a.parse_response(session_call(), answer(400, R"({"message": "field 'msisdn' must be E.164"})"));
  ASSERT_TRUE(in.ok()) << in.error().message;
  EXPECT_EQ(in->name, "session.rejected");
  EXPECT_EQ(in->txn_id, "tx_ABC");
  const auto refusal = fields::from_object<NovaSendRefusal>(in->data);
  EXPECT_EQ(refusal.http_status, 400);
  EXPECT_EQ(refusal.error, "field 'msisdn' must be E.164");
  EXPECT_EQ(in->data, (json::object{{"http_status", 400}, {"error", "field 'msisdn' must be E.164"}}));

  auto nested = a.parse_response(session_call(), answer(422, R"({"error": {"code": "x", "message": "limit exceeded"}})"));
  ASSERT_TRUE(nested.ok());
  EXPECT_EQ(fields::from_object<NovaSendRefusal>(nested->data).error, "limit exceeded");

  auto bare = a.parse_response(session_call(), answer(401, ""));
  ASSERT_TRUE(bare.ok());
  const auto unauthorized = fields::from_object<NovaSendRefusal>(bare->data);
  EXPECT_EQ(unauthorized.http_status, 401);
  EXPECT_EQ(unauthorized.error, "401 Unauthorized");
}

TEST(NovaSendResponse, ServerErrorsTimeoutsAndThrottlingAreRetryable) {
  NovaSendAdapter a(settings());
  for (int status : {500, 502, 503, 504, 408, 429}) {
    for (const ProviderCall& c : {session_call(), status_call()}) {
      auto in = a.parse_response(c, answer(status, R"({"message": "busy"})"));
      ASSERT_FALSE(in.ok()) << status;
      EXPECT_TRUE(in.error().retryable()) << status;
      EXPECT_EQ(code_text(in.error().code), status == 429 ? "adapter.rate_limited" : "adapter.provider_unavailable")
          << status;
      EXPECT_NE(in.error().message.find("busy"), std::string::npos);
    }
  }
}

TEST(NovaSendResponse, StatusCheckRefusalIsAFinalError) {
  NovaSendAdapter a(settings());
  auto in = a.parse_response(status_call(), answer(401, R"({"message": "bad credentials"})"));
  ASSERT_FALSE(in.ok());
  EXPECT_FALSE(in.error().retryable());
  EXPECT_EQ(code_text(in.error().code), "adapter.unexpected_answer");
  EXPECT_NE(in.error().message.find("bad credentials"), std::string::npos);
}

TEST(NovaSendResponse, AnUnknownReferenceIsAnAnswerNotFound) {
  NovaSendAdapter a(settings());
  auto in = a.parse_response(status_call(), answer(404, R"({"message": "payin not found"})"));
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->name, "status.checked");
  const auto unknown = fields::from_object<NovaSendPayinNotFound>(in->data);
  EXPECT_TRUE(unknown.not_found);
  EXPECT_EQ(unknown.http_status, 404);
  EXPECT_EQ(in->data, (json::object{{"not_found", true}, {"http_status", 404}}));
}

TEST(NovaSendResponse, MalformedAnswersNameTheField) {
  NovaSendAdapter a(settings());
  struct Case {
    ProviderCall call;
    std::string body;
    std::string field;
  };
  const std::vector<Case> cases = {
      {session_call(), "not json", "not JSON"},
      {session_call(), "[1,2]", "not a JSON object"},
      {session_call(), R"({"status": "processing"})", "'reference'"},
      {session_call(), R"({"reference": 42})", "'reference'"},
      {session_call(), R"({"reference": "tr_1", "fee": "6"})", "'fee'"},
      {session_call(), R"({"reference": "tr_1", "chargedAmount": 306.5})", "'chargedAmount'"},
      {session_call(), R"({"reference": "tr_1", "confirmationRequired": "yes"})", "'confirmationRequired'"},
      {session_call(), R"({"reference": "tr_1", "confirmationStatus": 1})", "'confirmationStatus'"},
      {status_call(), R"({"reference": "tr_1"})", "'status'"},
      {status_call(), R"({"reference": "tr_1", "status": "processed", "transaction": "done"})", "'transaction'"},
      {status_call(), R"({"reference": "tr_1", "status": "processed", "transaction": {"reference": "t"}})", "'status'"},
      {status_call(), R"({"reference": "tr_1", "status": "processed", "failure": "x"})", "'failure'"},
  };
  for (const auto& c : cases) {
    auto in = a.parse_response(c.call, answer(200, c.body));
    ASSERT_FALSE(in.ok()) << c.body;
    EXPECT_FALSE(in.error().retryable()) << c.body;
    EXPECT_EQ(code_text(in.error().code), "adapter.malformed") << c.body;
    EXPECT_NE(in.error().message.find(c.field), std::string::npos) << c.body << " -> " << in.error().message;
  }
}

// ---- parse_webhook ------------------------------------------------------------------------------

std::string webhook_body(std::string_view event = "payin.confirmed", std::string_view confirmation = "accepted") {
  json::object data{{"type", "payin"},
                    {"reference", "tr_fhchi842jyimwiugjgszcxvb8n"},
                    {"customerReference", "tx_ABC"},
                    {"amount", 300},
                    {"fee", 6},
                    {"chargedAmount", 306},
                    {"currency", "XOF"},
                    {"status", "processed"},
                    {"confirmationRequired", true},
                    {"confirmationStatus", confirmation},
                    {"transaction", nullptr},
                    {"failure", nullptr}};
  return json::serialize(json::object{{"id", "evt_001"}, {"event", event}, {"createdAt", "2025-08-22T01:35:00.000Z"}, {"data", data}});
}

HttpRequest webhook(std::string body, std::string_view secret = "whsec_test", std::string header = "X-NovaSend-Signature") {
  HttpRequest r;
  r.method = "POST";
  r.target = "/webhooks/novasend";
  const std::string t = "1755826548";
  r.headers = {{"Content-Type", "application/json"},
               {std::move(header), "t=" + t + ",v1=" + novasend_webhook_signature(secret, t, body)}};
  r.body = std::move(body);
  return r;
}

TEST(NovaSendWebhook, SignedConfirmationParses) {
  NovaSendAdapter a(settings());
  auto in = a.parse_webhook(webhook(webhook_body()));
  ASSERT_TRUE(in.ok()) << in.error().message;
  EXPECT_EQ(in->txn_id, "tx_ABC");
  EXPECT_EQ(in->name, "payin.confirmed");
  EXPECT_EQ(in->dedupe_id, "evt_001");
  const auto payin = fields::from_object<NovaSendPayin>(in->data);
  EXPECT_EQ(payin.reference, "tr_fhchi842jyimwiugjgszcxvb8n");
  EXPECT_EQ(payin.customerReference, "tx_ABC");
  EXPECT_EQ(payin.confirmationStatus, "accepted");
  EXPECT_EQ(payin.status, "processed");
  EXPECT_EQ(payin.amount, json::value(300));
  EXPECT_FALSE(payin.transaction);  // null: not yet confirmed

  auto declined = a.parse_webhook(webhook(webhook_body("payin.declined", "declined")));
  ASSERT_TRUE(declined.ok()) << declined.error().message;
  EXPECT_EQ(declined->name, "payin.declined");
}

TEST(NovaSendWebhook, DocumentedWorkedExampleVerifies) {
  // docs/providers/novasend.md: computed independently (Python hmac) so the doc and the code agree.
  const std::string body =
      R"({"id":"evt_1","event":"payin.confirmed","createdAt":"2025-08-22T01:35:02.114Z","data":{"reference":"tr_fhchi842jyimwiugjgszcxvb8n","customerReference":"tx_ABC","status":"processed","confirmationStatus":"accepted"}})";
  EXPECT_EQ(novasend_webhook_signature("whsec_test", "1755826548", body),
            "d0a942079a38f8f34c98f70541bbe7e897c8bcc4cfc965575a5214bd73bdde18");
  NovaSendAdapter a(settings());
  HttpRequest r;
  r.method = "POST";
  r.headers = {{"X-NovaSend-Signature", "t=1755826548,v1=d0a942079a38f8f34c98f70541bbe7e897c8bcc4cfc965575a5214bd73bdde18"}};
  r.body = body;
  auto in = a.parse_webhook(r);
  ASSERT_TRUE(in.ok()) << in.error().message;
  EXPECT_EQ(in->txn_id, "tx_ABC");
  EXPECT_EQ(in->dedupe_id, "evt_1");
}

TEST(NovaSendWebhook, HeaderNameIsCaseInsensitiveAndConfigurable) {
  NovaSendAdapter a(settings());
  EXPECT_TRUE(a.parse_webhook(webhook(webhook_body(), "whsec_test", "x-novasend-signature")).ok());

  auto s = settings();
  s.signature_header = "X-Webhook-Signature";
  NovaSendAdapter custom(s);
  EXPECT_TRUE(custom.parse_webhook(webhook(webhook_body(), "whsec_test", "X-Webhook-Signature")).ok());
  auto wrong = custom.parse_webhook(webhook(webhook_body()));
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("missing X-Webhook-Signature"), std::string::npos);
}

TEST(NovaSendWebhook, ForgedMissingOrMismatchedSignaturesAreRefused) {
  NovaSendAdapter a(settings());

  auto forged = a.parse_webhook(webhook(webhook_body(), "another_secret"));
  ASSERT_FALSE(forged.ok());
  EXPECT_FALSE(forged.error().retryable());
  EXPECT_NE(forged.error().message.find("signature"), std::string::npos);
  EXPECT_EQ(code_text(forged.error().code), "adapter.bad_signature");
  EXPECT_EQ(forged.error().http_status(), 401);

  auto missing = webhook(webhook_body());
  missing.headers.pop_back();
  auto m = a.parse_webhook(missing);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("missing X-NovaSend-Signature"), std::string::npos);
  EXPECT_EQ(code_text(m.error().code), "adapter.bad_signature");
  EXPECT_EQ(m.error().http_status(), 401);

  // A genuine signature replayed on another body (a declined event dressed as confirmed).
  auto genuine = webhook(webhook_body("payin.declined", "declined"));
  auto replayed = webhook(webhook_body("payin.confirmed", "accepted"));
  replayed.headers.back().second = genuine.headers.back().second;
  EXPECT_FALSE(a.parse_webhook(replayed).ok());

  // The timestamp is signed too.
  auto retimed = webhook(webhook_body());
  auto& h = retimed.headers.back().second;
  h.replace(2, 10, "1755826549");
  EXPECT_FALSE(a.parse_webhook(retimed).ok());

  for (const char* bad : {"", "v1=abcd", "t=1755826548", "t=abc,v1=00", "t=1755826548,v1=zz", "garbage"}) {
    auto r = webhook(webhook_body());
    r.headers.back().second = bad;
    auto refused = a.parse_webhook(r);
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.error().http_status(), 401) << bad;
  }
}

TEST(NovaSendWebhook, AnyOfSeveralSignaturesMayMatchDuringSecretRotation) {
  NovaSendAdapter a(settings());
  auto r = webhook(webhook_body());
  const std::string body = r.body;
  r.headers.back().second = "t=1755826548, v1=" + novasend_webhook_signature("old_secret", "1755826548", body) +
                            ", v1=" + novasend_webhook_signature("whsec_test", "1755826548", body);
  EXPECT_TRUE(a.parse_webhook(r).ok());
}

TEST(NovaSendWebhook, MalformedSignedBodiesAreRefusedWithTheReason) {
  NovaSendAdapter a(settings());
  struct Case {
    std::string body;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {"{not json", "not JSON"},
      {R"({"event": "payin.confirmed", "data": {"reference": "tr_1", "customerReference": "tx_ABC"}})", "'id'"},
      {R"({"id": "evt_1", "data": {"reference": "tr_1", "customerReference": "tx_ABC"}})", "'event'"},
      {R"({"id": "evt_1", "event": "payin.confirmed"})", "'data'"},
      {R"({"id": "evt_1", "event": "payin.confirmed", "data": {"reference": "tr_1"}})", "'customerReference'"},
      {R"({"id": "evt_1", "event": "payin.confirmed", "data": {"customerReference": "tx_ABC"}})", "'reference'"},
      {R"({"id": "evt_1", "event": "payin.confirmed", "data": {"reference": "tr_1", "customerReference": "tx_ABC", "confirmationStatus": true}})",
       "'confirmationStatus'"},
  };
  for (const auto& c : cases) {
    auto in = a.parse_webhook(webhook(c.body));
    ASSERT_FALSE(in.ok()) << c.body;
    EXPECT_EQ(code_text(in.error().code), "adapter.malformed") << c.body;
    EXPECT_EQ(in.error().http_status(), 400) << c.body;
    EXPECT_NE(in.error().message.find(c.expect), std::string::npos) << c.body << " -> " << in.error().message;
  }
}

// A signed, well-formed notification of a type corridor does not act on is acknowledged (the ingress
// answers 2xx, so NovaSend stops redelivering it) and kept, never refused.
TEST(NovaSendWebhook, UnknownEventTypesAreAcknowledgedAsUnhandled) {
  NovaSendAdapter a(settings());
  auto in = a.parse_webhook(webhook(
      R"({"id": "evt_9", "event": "payin.refunded", "data": {"reference": "tr_1", "customerReference": "tx_ABC", "amount": 300}})"));
  ASSERT_TRUE(in.ok()) << in.error().message;
  EXPECT_TRUE(in->unhandled);
  EXPECT_EQ(in->name, "payin.refunded");
  EXPECT_EQ(in->txn_id, "tx_ABC");
  EXPECT_EQ(in->dedupe_id, "evt_9");
  // No flow reads it: its data is kept as NovaSend sent it.
  EXPECT_EQ(in->data, (json::object{{"reference", "tr_1"}, {"customerReference", "tx_ABC"}, {"amount", 300}}));

  // Whatever its data looks like: corridor does not know the type, so it checks only the envelope.
  auto bare = a.parse_webhook(webhook(R"({"id": "evt_10", "event": "account.updated", "data": {"balance": "12.00"}})"));
  ASSERT_TRUE(bare.ok()) << bare.error().message;
  EXPECT_TRUE(bare->unhandled);
  EXPECT_TRUE(bare->txn_id.empty());
  auto no_data = a.parse_webhook(webhook(R"({"id": "evt_11", "event": "ping"})"));
  ASSERT_TRUE(no_data.ok()) << no_data.error().message;
  EXPECT_TRUE(no_data->unhandled);

  // The handled types are not marked.
  EXPECT_FALSE(a.parse_webhook(webhook(webhook_body()))->unhandled);

  // Unauthenticated or malformed: still refused.
  EXPECT_FALSE(a.parse_webhook(webhook(R"({"id": "evt_9", "event": "payin.refunded"})", "another_secret")).ok());
  EXPECT_FALSE(a.parse_webhook(webhook(R"({"event": "payin.refunded"})")).ok());
  EXPECT_FALSE(a.parse_webhook(webhook(R"({"id": "evt_9"})")).ok());
  EXPECT_FALSE(a.parse_webhook(webhook("[]")).ok());
}

// ---- registration -------------------------------------------------------------------------------

TEST(NovaSendRegistration, KeysAndFactory) {
  const AdapterRegistration r = novasend_registration();
  EXPECT_EQ(r.provider, "novasend");
  std::vector<std::string_view> names;
  for (const auto& k : r.config_keys) names.push_back(k.name);
  for (std::string_view want : {"base_url", "api_key", "api_client", "account_id", "webhook_secret", "signature_header",
                                "poll_interval_ms", "poll_max_interval_ms", "confirmation_ttl_ms", "retry_after_ms",
                                "max_retries", "max_polls"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  }
  ProviderSettings s{{"base_url", "http://novasend.test"}, {"webhook_secret", "whsec_test"}, {"api_key", "ak_test"},
                     {"api_client", "client_1"}};
  auto adapter = r.make(s);
  ASSERT_NE(adapter, nullptr);
  EXPECT_EQ(adapter->provider(), "novasend");
  EXPECT_TRUE(adapter->parse_webhook(webhook(webhook_body())).ok());  // default signature header

  EXPECT_THROW(r.make({{"webhook_secret", "x"}}), std::invalid_argument);
  EXPECT_THROW(r.make({{"base_url", "http://x"}}), std::invalid_argument);
}

// The budgets' defaults are the flow's (docs/providers/novasend.md): the config fills them in.
TEST(NovaSendRegistration, BudgetDefaults) {
  const AdapterRegistration r = novasend_registration();
  auto fallback = [&](std::string_view name) {
    for (const auto& k : r.config_keys)
      if (k.name == name) return std::string(k.fallback);
    return std::string("absent");
  };
  EXPECT_EQ(fallback("max_retries"), "3");
  EXPECT_EQ(fallback("max_polls"), "60");
  EXPECT_EQ(fallback("retry_after_ms"), "60000");
  EXPECT_EQ(fallback("confirmation_ttl_ms"), "900000");
}

// What the registration declares is what build_request refuses: the router turns away up front a
// payin the adapter would refuse after the transaction exists (a 12.50 USD payin).
TEST(NovaSendRegistration, DeclaredConstraintsMatchWhatTheAdapterRefuses) {
  const AdapterRegistration r = novasend_registration();
  EXPECT_TRUE(r.constraints.whole_units);
  EXPECT_TRUE(r.constraints.currencies.empty());
  EXPECT_EQ(r.constraints.card_digits_max, 0u);
  NovaSendAdapter a(settings());
  for (const Money& m : {Money{1250, "USD"}, Money{1200, "USD"}, Money{300, "XOF"}, Money{15050, "USD"},
                         Money{100, "CDF"}, Money{1, "EUR"}, Money{7, "XAF"}, Money{99900, "CAD"}}) {
    SCOPED_TRACE(std::to_string(m.value) + " " + m.currency);
    const bool declared_ok = r.constraints.check_amount(m).empty();
    EXPECT_EQ(declared_ok, a.build_request(session_call(m.value, m.currency)).ok());
  }
  EXPECT_FALSE(r.constraints.check_amount(Money{1250, "USD"}).empty());
}

}  // namespace
}  // namespace corridor
