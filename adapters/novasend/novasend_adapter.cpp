#include "adapters/novasend/novasend_adapter.hpp"

#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <stdexcept>

#include "adapters/support/wire.hpp"
#include "statemachines/money.hpp"
#include "statemachines/novasend_inputs.hpp"

namespace corridor {

namespace {

// ---- small pure helpers ------------------------------------------------------------------------

std::string_view reason_phrase(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "HTTP error";
  }
}

// The message of an error body: {"message": ...}, {"error": "..."}, {"error": {"message": ...}},
// or the status text when the body says nothing readable.
std::string error_message(const HttpResponse& response) {
  boost::system::error_code ec;
  json::value v = json::parse(response.body, ec);
  if (!ec && v.is_object()) {
    const auto& o = v.get_object();
    if (auto m = get_string(o, "message"); !m.empty()) return std::string(m);
    if (auto m = get_string(o, "error"); !m.empty()) return std::string(m);
    if (const json::object* e = get_object(o, "error")) {
      if (auto m = get_string(*e, "message"); !m.empty()) return std::string(m);
    }
  }
  return std::to_string(response.status) + " " + std::string(reason_phrase(response.status));
}

// ---- field checks: a malformed answer names the field it got wrong --------------------------------

Result<bool> optional_bool(const json::object& o, std::string_view field, std::string_view where) {
  auto it = o.find(field);
  if (it == o.end() || it->value().is_bool()) return true;
  return fail(adapter_errc::malformed, type_error(where, field, "a boolean"));
}

// fee, chargedAmount, amount: the flow keeps them as integers (the seed's examples).
Result<bool> optional_integer(const json::object& o, std::string_view field, std::string_view where) {
  auto it = o.find(field);
  if (it == o.end() || it->value().is_null() || it->value().is_int64() || it->value().is_uint64()) return true;
  return fail(adapter_errc::malformed, type_error(where, field, "an integer"));
}

Result<bool> optional_object(const json::object& o, std::string_view field, std::string_view where) {
  auto it = o.find(field);
  if (it == o.end() || it->value().is_null() || it->value().is_object()) return true;
  return fail(adapter_errc::malformed, type_error(where, field, "an object or null"));
}

template <typename... Checks>
Result<bool> all_of(Checks&&... checks) {
  Result<bool> out = true;
  // First failure wins, in the order written.
  ((out.ok() && !checks.ok() ? (out = checks.error(), 0) : 0), ...);
  return out;
}

// The payin object as NovaSend sends it in POST and GET answers and in webhooks.
Result<bool> check_payin(const json::object& o, std::string_view where) {
  return all_of(require_string(o, "reference", where), optional_string(o, "status", where),
                optional_string(o, "customerReference", where), optional_bool(o, "confirmationRequired", where),
                optional_string(o, "confirmationStatus", where), optional_string(o, "paymentUrl", where),
                optional_integer(o, "fee", where), optional_integer(o, "chargedAmount", where),
                optional_integer(o, "amount", where), optional_object(o, "failure", where));
}

// transaction: null or {} until the customer acted; then its status is the final truth.
Result<bool> check_transaction(const json::object& o, std::string_view where) {
  if (auto ok = optional_object(o, "transaction", where); !ok) return ok;
  if (const json::object* t = get_object(o, "transaction"); t && !t->empty()) {
    const std::string inner = std::string(where) + " transaction";
    return all_of(require_string(*t, "status", inner), optional_string(*t, "reference", inner));
  }
  return true;
}

// The flow's input (statemachines/novasend_inputs.hpp) from a payin object check_payin accepted:
// each field of the struct read from the key of its name, a value of another type (a field the
// adapter does not check) left out, as the flow read it before inputs were typed.
json::object payin_data(const json::object& payin) {
  return fields::to_object(fields::from_object<NovaSendPayin>(payin));
}

std::string hex_of(std::string_view secret, std::string_view timestamp, std::string_view body) {
  std::string signed_payload;
  signed_payload.reserve(timestamp.size() + 1 + body.size());
  signed_payload.append(timestamp).append(".").append(body);
  return hex_encode(bytes_of(hmac_sha256(secret, signed_payload)));
}

}  // namespace

std::string novasend_webhook_signature(std::string_view secret, std::string_view timestamp, std::string_view body) {
  return hex_of(secret, timestamp, body);
}

NovaSendSettings novasend_settings(const ProviderSettings& s) {
  NovaSendSettings out;
  out.base_url = setting(s, "base_url");
  out.api_key = setting(s, "api_key");
  out.api_client = setting(s, "api_client");
  out.account_id = setting(s, "account_id");
  out.webhook_secret = setting(s, "webhook_secret");
  out.signature_header = setting(s, "signature_header", "X-NovaSend-Signature");
  if (out.base_url.empty()) throw std::invalid_argument("providers.novasend.base_url is required");
  if (out.webhook_secret.empty()) throw std::invalid_argument("providers.novasend.webhook_secret is required");
  return out;
}

NovaSendAdapter::NovaSendAdapter(NovaSendSettings settings)
    : settings_(std::move(settings)), authorization_("Basic " + base64_encode(settings_.api_key + ":" + settings_.api_client)) {
  settings_.base_url = trim_slashes(settings_.base_url);
}

Result<HttpRequest> NovaSendAdapter::build_request(const ProviderCall& call) const {
  HttpRequest req;
  req.headers = {{"Authorization", authorization_}, {"Accept", "application/json"}};
  const json::object p = call.params.object();

  if (call.op == "create_session") {
    // Seed: POST /v1/payin/sessions, Basic auth, X-Idempotency-Key required, JSON body.
    const std::string where = "novasend create_session " + call.call_id;
    if (auto ok = require_string(p, "reference", where); !ok) return ok.error();
    if (auto ok = require_string(p, "msisdn", where); !ok) return ok.error();
    const json::object* amount = get_object(p, "amount");
    if (!amount) return fail(adapter_errc::bad_parameters, where + ": missing field 'amount'");
    auto value_it = amount->find("value");
    if (value_it == amount->end() || !value_it->value().is_int64()) {
      return fail(adapter_errc::bad_parameters, where + ": field 'amount.value' must be an integer (minor units)");
    }
    const std::int64_t minor = value_it->value().get_int64();
    const std::string currency(get_string(*amount, "currency"));
    const auto exponent = currency_exponent(currency);
    if (!exponent) return fail(adapter_errc::bad_parameters, where + ": unknown currency '" + currency + "'");
    if (minor <= 0) return fail(adapter_errc::bad_parameters, where + ": amount must be positive");
    // The seed: "Montant à payer (en unités entières, sans décimales)". Converted exactly.
    std::int64_t scale = 1;
    for (int i = 0; i < *exponent; ++i) scale *= 10;
    if (minor % scale != 0) {
      return fail(adapter_errc::bad_parameters, where + ": amount " + format_decimal_amount(minor, *exponent) + " " + currency +
                  " is not a whole number of units; NovaSend takes whole units only");
    }

    json::object body;
    body["reference"] = p.at("reference");
    body["accountId"] = settings_.account_id;
    body["amount"] = minor / scale;
    body["msisdn"] = p.at("msisdn");
    if (auto name = get_string(p, "customerName"); !name.empty()) body["customerName"] = name;
    if (auto country = get_string(p, "country"); !country.empty()) body["country"] = country;

    req.method = "POST";
    req.target = settings_.base_url + "/v1/payin/sessions";
    req.headers.emplace_back("Content-Type", "application/json");
    req.headers.emplace_back("X-Idempotency-Key", call.call_id);
    req.body = json::serialize(body);
    return req;
  }
  if (call.op == "check_status") {
    // Seed: GET /v1/payin/{reference}, the reference NovaSend assigned.
    const std::string where = "novasend check_status " + call.call_id;
    if (auto ok = require_string(p, "reference", where); !ok) return ok.error();
    req.method = "GET";
    req.target = settings_.base_url + "/v1/payin/" + percent_encode(get_string(p, "reference"));
    return req;
  }
  return fail(adapter_errc::unknown_operation, "novasend: unknown operation '" + call.op + "'");
}

Result<ParsedInput> NovaSendAdapter::parse_response(const ProviderCall& call, const HttpResponse& response) const {
  const std::string where = "novasend " + call.op + " answer (HTTP " + std::to_string(response.status) + ")";
  const int s = response.status;
  if (auto busy = busy_status(s)) return fail(*busy, where + ": " + error_message(response));
  if (call.op != "create_session" && call.op != "check_status") {
    return fail(adapter_errc::unknown_operation, "novasend: unknown operation '" + call.op + "'");
  }
  ParsedInput in;
  in.txn_id = std::string(txn_id_of_call(call.call_id));
  if (s >= 400) {
    if (call.op == "create_session") {
      // A refusal of the session is the provider's answer, not a transport problem.
      in.name = "session.rejected";
      in.data = fields::to_object(NovaSendRefusal{.http_status = s, .error = error_message(response)});
      return in;
    }
    if (s == 404) {
      // NovaSend does not know the reference: an answer (reconciliation reports it), not a failure.
      in.name = "status.checked";
      in.data = fields::to_object(NovaSendPayinNotFound{.not_found = true, .http_status = s});
      return in;
    }
    return fail(adapter_errc::unexpected_answer, where + ": " + error_message(response));
  }
  if (s < 200 || s >= 300) return fail(adapter_errc::unexpected_answer, where + ": unexpected status");

  auto body = parse_object(response.body, where);
  if (!body) return body.error();
  if (auto ok = check_payin(*body, where); !ok) return ok.error();
  if (call.op == "create_session") {
    in.name = "session.created";
  } else {
    if (auto ok = all_of(require_string(*body, "status", where), check_transaction(*body, where)); !ok) {
      return ok.error();
    }
    in.name = "status.checked";
  }
  in.data = payin_data(*body);
  return in;
}

Result<ParsedInput> NovaSendAdapter::parse_webhook(const HttpRequest& request) const {
  // NovaSend's documents name the events (payin.confirmed, payin.declined) but not the envelope or
  // the signature; corridor's choice is in docs/providers/novasend.md: Stripe-style
  //   <signature_header>: t=<unix seconds>,v1=<hex HMAC-SHA256(webhook_secret, "<t>.<raw body>")>
  const std::string_view header = request.header(settings_.signature_header);
  if (header.empty())
    return fail(adapter_errc::bad_signature, "novasend webhook: missing " + settings_.signature_header + " header");
  std::string_view timestamp;
  std::vector<std::string_view> signatures;
  std::string_view rest = header;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    std::string_view part = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    const std::size_t eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view k = part.substr(0, eq);
    const std::string_view v = part.substr(eq + 1);
    if (k == "t") timestamp = v;
    if (k == "v1") signatures.push_back(v);
  }
  if (timestamp.empty() || timestamp.find_first_not_of("0123456789") != std::string_view::npos) {
    return fail(adapter_errc::bad_signature,
                "novasend webhook: " + settings_.signature_header + " has no valid t=<unix seconds>");
  }
  if (signatures.empty())
    return fail(adapter_errc::bad_signature, "novasend webhook: " + settings_.signature_header + " has no v1 signature");
  std::string signed_payload;
  signed_payload.reserve(timestamp.size() + 1 + request.body.size());
  signed_payload.append(timestamp).append(".").append(request.body);
  const auto expected = hmac_sha256(settings_.webhook_secret, signed_payload);
  bool valid = false;
  for (std::string_view candidate : signatures) {  // several v1 during a secret rotation
    const auto given = digest_from_hex(candidate);
    if (given && constant_time_equal(bytes_of(*given), bytes_of(expected))) valid = true;
  }
  if (!valid) return fail(adapter_errc::bad_signature, "novasend webhook: signature does not match the body");

  const std::string where = "novasend webhook";
  auto body = parse_object(request.body, where);
  if (!body) return body.error();
  if (auto ok = all_of(require_string(*body, "id", where), require_string(*body, "event", where)); !ok) return ok.error();
  const std::string_view event = get_string(*body, "event");
  if (event != "payin.confirmed" && event != "payin.declined") {
    // Signed and well-formed, of a type corridor does not act on: acknowledged so NovaSend stops
    // redelivering it, and kept; its transaction is data.customerReference when the data says so.
    // No flow reads it: its data is kept whole, as NovaSend sent it, for a person.
    ParsedInput in;
    in.name = std::string(event);
    in.dedupe_id = std::string(get_string(*body, "id"));
    in.unhandled = true;
    if (const json::object* data = get_object(*body, "data")) {
      in.txn_id = std::string(get_string(*data, "customerReference"));
      in.data = *data;
    }
    return in;
  }
  const json::object* data = get_object(*body, "data");
  if (!data) return fail(adapter_errc::malformed, where + ": field 'data' must be an object");
  const std::string data_where = where + " data";
  if (auto ok = all_of(require_string(*data, "customerReference", data_where), check_payin(*data, data_where),
                       check_transaction(*data, data_where));
      !ok) {
    return ok.error();
  }
  ParsedInput in;
  in.txn_id = std::string(get_string(*data, "customerReference"));
  in.name = std::string(event);
  in.dedupe_id = std::string(get_string(*body, "id"));
  in.data = payin_data(*data);
  return in;
}

AdapterRegistration novasend_registration() {
  return AdapterRegistration{
      "novasend",
      {
          {"base_url", true, "", "NovaSend API root, e.g. https://api.novasend.app (the sandbox's when sandbox.enabled)"},
          {"api_key", false, "", "Basic auth user: Authorization: Basic base64(api_key:api_client)"},
          {"api_client", false, "", "Basic auth password: Authorization: Basic base64(api_key:api_client)"},
          {"account_id", false, "", "accountId sent with each session: the merchant (sub-)account credited"},
          {"webhook_secret", true, "", "HMAC-SHA256 key of webhook signatures"},
          {"signature_header", false, "X-NovaSend-Signature", "header carrying t=<unix seconds>,v1=<hex HMAC>"},
          {"poll_interval_ms", false, "5000", "first status poll delay; the seed asks for at most one GET every 5-10 s"},
          {"poll_max_interval_ms", false, "60000", "cap of the doubling poll delay"},
          {"confirmation_ttl_ms", false, "900000", "how long the customer has to confirm before a last check decides"},
          {"retry_after_ms", false, "60000", "first delay before re-sending a session request that got no answer (same idempotency key); doubles up to ten times"},
          {"max_retries", false, "3", "re-sends of a session request without an answer before the janitor takes over"},
          {"max_polls", false, "60", "status checks once the customer accepted before the outcome is unknown (about an hour)"},
      },
      [](const ProviderSettings& s) -> std::unique_ptr<ProviderAdapter> {
        return std::make_unique<NovaSendAdapter>(novasend_settings(s));
      },
      // The seed: "Montant à payer (en unités entières, sans décimales)": build_request refuses a
      // fraction. The request carries no currency (the account's applies), so none is refused here.
      ProviderConstraints{.currencies = {}, .whole_units = true, .card_digits_min = 0, .card_digits_max = 0},
  };
}

}  // namespace corridor
