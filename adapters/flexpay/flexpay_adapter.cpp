#include "adapters/flexpay/flexpay_adapter.hpp"

#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <stdexcept>

#include "adapters/support/wire.hpp"
#include "statemachines/flexpay_inputs.hpp"
#include "statemachines/money.hpp"

namespace corridor {

namespace {

// FlexPay's example JSON carries a trailing comma; its other sloppiness is handled field by field.
const json::parse_options kFlexPayJson = [] {
  json::parse_options options;
  options.allow_trailing_commas = true;
  return options;
}();

// The value of `key` in a query string ("a=1&b=2"), decoded; empty when absent.
std::string query_value(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const std::size_t eq = part.find('=');
    if (form_decode(part.substr(0, eq)) == key) return eq == std::string_view::npos ? "" : form_decode(part.substr(eq + 1));
  }
  return {};
}

// FlexPay writes its codes as strings ("0"); a number is accepted and normalised to its text.
Result<bool> normalise_code(json::object& o, std::string_view field, std::string_view where, bool required) {
  auto it = o.find(field);
  if (it == o.end() || (!required && it->value().is_null())) {
    if (required) return fail(adapter_errc::malformed, missing_field(where, field));
    return true;
  }
  json::value& v = it->value();
  if (v.is_string() && !v.get_string().empty() &&
      std::all_of(v.get_string().begin(), v.get_string().end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return true;
  }
  if (v.is_int64()) {
    v = std::to_string(v.get_int64());
    return true;
  }
  if (v.is_uint64()) {
    v = std::to_string(v.get_uint64());
    return true;
  }
  return fail(adapter_errc::malformed, type_error(where, field, "a numeric code (\"0\")"));
}

// The currencies of the seed's Payment Service: "CDF : Franc Congolais. USD : dollars Américain".
constexpr std::array<std::string_view, 2> kCurrencies{"CDF", "USD"};

constexpr std::string_view kCallbackCodeCancelled = "2";

std::string error_text(const HttpResponse& r) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec, {}, kFlexPayJson);
  if (!ec && v.is_object()) {
    if (auto m = get_string(v.get_object(), "message"); !m.empty()) return std::string(m);
  }
  return "HTTP " + std::to_string(r.status);
}

}  // namespace

std::string flexpay_amount_text(std::int64_t minor, int exponent) {
  std::string text = format_decimal_amount(minor, exponent);
  if (exponent <= 0) return text;
  while (text.back() == '0' && text[text.size() - 2] != '.') text.pop_back();
  return text;
}

std::string flexpay_date_to_iso(std::string_view t) {
  // DD-MM-YYYY HH:MM:SS
  if (t.size() != 19) return {};
  for (std::size_t i : {0u, 1u, 3u, 4u, 6u, 7u, 8u, 9u, 11u, 12u, 14u, 15u, 17u, 18u}) {
    if (t[i] < '0' || t[i] > '9') return {};
  }
  if (t[2] != '-' || t[5] != '-' || t[10] != ' ' || t[13] != ':' || t[16] != ':') return {};
  const int day = (t[0] - '0') * 10 + (t[1] - '0');
  const int month = (t[3] - '0') * 10 + (t[4] - '0');
  const int hour = (t[11] - '0') * 10 + (t[12] - '0');
  const int minute = (t[14] - '0') * 10 + (t[15] - '0');
  const int second = (t[17] - '0') * 10 + (t[18] - '0');
  if (day < 1 || day > 31 || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 60) return {};
  std::string out;
  out.append(t.substr(6, 4)).append("-").append(t.substr(3, 2)).append("-").append(t.substr(0, 2));
  out.append("T").append(t.substr(11, 8));
  return out;
}

FlexPaySettings flexpay_settings(const ProviderSettings& s) {
  FlexPaySettings out;
  out.base_url = trim_slashes(setting(s, "base_url"));
  out.check_base_url = trim_slashes(setting(s, "check_base_url", out.base_url));
  out.merchant = setting(s, "merchant");
  out.token = setting(s, "token");
  out.public_url = trim_slashes(setting(s, "public_url"));
  out.callback_url = setting(s, "callback_url");
  out.approve_url = setting(s, "approve_url");
  out.cancel_url = setting(s, "cancel_url");
  out.decline_url = setting(s, "decline_url");
  if (out.base_url.empty()) throw std::invalid_argument("providers.flexpay.base_url is required");
  if (out.merchant.empty()) throw std::invalid_argument("providers.flexpay.merchant is required");
  if (out.token.empty()) throw std::invalid_argument("providers.flexpay.token is required");
  return out;
}

FlexPayAdapter::FlexPayAdapter(FlexPaySettings settings) : settings_(std::move(settings)) {
  if (settings_.check_base_url.empty()) settings_.check_base_url = settings_.base_url;
}

std::string FlexPayAdapter::redirect_url(std::string_view configured, std::string_view kind,
                                         std::string_view txn_id) const {
  if (!configured.empty()) return std::string(configured);
  if (settings_.public_url.empty()) return {};
  return settings_.public_url + "/callbacks/flexpay/" + std::string(kind) + "?reference=" + percent_encode(txn_id);
}

Result<HttpRequest> FlexPayAdapter::build_request(const ProviderCall& call) const {
  const json::object p = call.params.object();
  const std::string where = "flexpay " + call.op + " " + call.call_id;
  HttpRequest req;
  req.headers = {{"Accept", "application/json"}};

  if (call.op == "pay") {
    // Payment Service: POST /v1/pay, the token in the body's `authorization` field.
    if (auto ok = require_string(p, "reference", where); !ok) return ok.error();
    const json::object* amount = get_object(p, "amount");
    if (!amount) return fail(adapter_errc::bad_parameters, missing_field(where, "amount"));
    auto value = amount->find("value");
    if (value == amount->end() || !value->value().is_int64()) {
      return fail(adapter_errc::bad_parameters, type_error(where, "amount.value", "an integer (minor units)"));
    }
    const std::int64_t minor = value->value().get_int64();
    const std::string currency(get_string(*amount, "currency"));
    const auto exponent = currency_exponent(currency);
    if (!exponent) return fail(adapter_errc::bad_parameters, where + ": unknown currency '" + currency + "'");
    if (std::find(kCurrencies.begin(), kCurrencies.end(), currency) == kCurrencies.end())
      return fail(adapter_errc::bad_parameters,
                  where + ": currency " + currency + " is not accepted by FlexPay (CDF, USD)");
    if (minor <= 0) return fail(adapter_errc::bad_parameters, where + ": amount must be positive");
    const std::string txn_id(get_string(p, "reference"));

    json::object body;
    body["authorization"] = settings_.token;
    body["merchant"] = settings_.merchant;
    body["reference"] = txn_id;
    body["amount"] = flexpay_amount_text(minor, *exponent);
    body["currency"] = currency;
    if (auto d = get_string(p, "description"); !d.empty()) body["description"] = d;
    std::string callback = settings_.callback_url;
    if (callback.empty() && !settings_.public_url.empty()) callback = settings_.public_url + "/webhooks/flexpay";
    if (!callback.empty()) body["callback_url"] = callback;
    if (auto u = redirect_url(settings_.approve_url, "approve", txn_id); !u.empty()) body["approve_url"] = u;
    if (auto u = redirect_url(settings_.cancel_url, "cancel", txn_id); !u.empty()) body["cancel_url"] = u;
    if (auto u = redirect_url(settings_.decline_url, "decline", txn_id); !u.empty()) body["decline_url"] = u;

    req.method = "POST";
    req.target = settings_.base_url + "/v1/pay";
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = json::serialize(body);
    return req;
  }
  if (call.op == "check") {
    // Check transaction: GET /api/rest/v1/check/{orderNumber}, Authorization: Bearer <token>.
    if (auto ok = require_string(p, "orderNumber", where); !ok) return ok.error();
    req.method = "GET";
    req.target = settings_.check_base_url + "/api/rest/v1/check/" + percent_encode(get_string(p, "orderNumber"));
    req.headers.emplace_back("Authorization", "Bearer " + settings_.token);
    return req;
  }
  return fail(adapter_errc::unknown_operation, "flexpay: unknown operation '" + call.op + "'");
}

Result<ParsedInput> FlexPayAdapter::parse_response(const ProviderCall& call, const HttpResponse& response) const {
  const std::string where = "flexpay " + call.op + " answer (HTTP " + std::to_string(response.status) + ")";
  const int s = response.status;
  if (auto busy = busy_status(s)) return fail(*busy, where + ": " + error_text(response));
  if (call.op != "pay" && call.op != "check")
    return fail(adapter_errc::unknown_operation, "flexpay: unknown operation '" + call.op + "'");
  ParsedInput in;
  in.txn_id = std::string(txn_id_of_call(call.call_id));

  if (call.op == "pay") {
    FlexPayPayAnswer answer;
    if (s >= 400) {
      // A refusal of the request is FlexPay's answer, not a transport problem.
      in.name = "pay.rejected";
      answer.http_status = s;
      answer.message = error_text(response);
      if (auto body = parse_object(response.body, where, kFlexPayJson); body && body->contains("code")) {
        if (normalise_code(*body, "code", where, true)) answer.code = get_string(*body, "code");
      }
      in.data = fields::to_object(answer);
      return in;
    }
    auto body = parse_object(response.body, where, kFlexPayJson);
    if (!body) return body.error();
    if (auto ok = normalise_code(*body, "code", where, true); !ok) return ok.error();
    if (auto ok = optional_string(*body, "message", where); !ok) return ok.error();
    answer.code = get_string(*body, "code");
    answer.message = get_string(*body, "message");
    if (answer.code != "0") {
      in.name = "pay.rejected";
    } else {
      if (auto ok = require_string(*body, "orderNumber", where); !ok) return ok.error();
      if (auto ok = require_string(*body, "url", where); !ok) return ok.error();
      in.name = "pay.accepted";
    }
    answer.orderNumber = get_string(*body, "orderNumber");
    answer.url = get_string(*body, "url");
    in.data = fields::to_object(answer);
    return in;
  }

  // check: the seed answers {code, message, transaction|null}; a 404 carrying that body is read alike.
  auto body = parse_object(response.body, where, kFlexPayJson);
  if (!body) {
    if (s >= 400) return fail(adapter_errc::unexpected_answer, where + ": " + error_text(response));
    return body.error();
  }
  if (s >= 400 && !body->contains("code"))
    return fail(adapter_errc::unexpected_answer, where + ": " + error_text(response));
  if (auto ok = normalise_code(*body, "code", where, true); !ok) return ok.error();
  if (auto ok = optional_string(*body, "message", where); !ok) return ok.error();
  FlexPayCheck check;
  check.code = get_string(*body, "code");
  check.message = get_string(*body, "message");
  json::value* found = body->if_contains("transaction");
  if (found != nullptr && !found->is_null() && !found->is_object()) {
    return fail(adapter_errc::malformed, type_error(where, "transaction", "an object or null"));
  }
  if (found != nullptr && found->is_object()) {
    json::object& t = found->get_object();
    const std::string tw = where + " transaction";
    if (auto ok = require_string(t, "orderNumber", tw); !ok) return ok.error();
    if (auto ok = require_string(t, "reference", tw); !ok) return ok.error();
    if (auto ok = normalise_code(t, "status", tw, true); !ok) return ok.error();
    if (auto ok = optional_string(t, "currency", tw); !ok) return ok.error();
    if (auto ok = optional_string(t, "createdAt", tw); !ok) return ok.error();
    // The check answers about the order it was asked: anything else is never taken as our outcome.
    if (auto asked = call.params.text("orderNumber"); !asked.empty() && get_string(t, "orderNumber") != asked) {
      return fail(adapter_errc::unexpected_answer, tw + ": orderNumber '" + std::string(get_string(t, "orderNumber")) +
                                                       "' is not the one asked, '" + std::string(asked) + "'");
    }
    if (auto ours = call.params.text("reference"); !ours.empty() && get_string(t, "reference") != ours) {
      return fail(adapter_errc::unexpected_answer, tw + ": reference '" + std::string(get_string(t, "reference")) +
                                                       "' is not this transaction's '" + std::string(ours) + "'");
    }
    FlexPayCheckedTransaction checked;
    checked.orderNumber = get_string(t, "orderNumber");
    checked.reference = get_string(t, "reference");
    // `amount` and `amountCustomer` are passed as FlexPay wrote them ("50.0"): the flow reads them
    // exactly and takes one it cannot read for another amount than the one asked.
    if (const json::value* amount = t.if_contains("amount"); amount != nullptr && !amount->is_null())
      checked.amount = *amount;
    if (const json::value* charged = t.if_contains("amountCustomer"); charged != nullptr && !charged->is_null())
      checked.amountCustomer = *charged;
    checked.currency = get_string(t, "currency");
    checked.createdAt = get_string(t, "createdAt");
    checked.status = get_string(t, "status");
    if (!checked.createdAt.empty()) {
      checked.createdAtIso = flexpay_date_to_iso(checked.createdAt);
      if (checked.createdAtIso.empty())
        return fail(adapter_errc::malformed, type_error(tw, "createdAt", "a date \"DD-MM-YYYY HH:MM:SS\""));
    }
    check.transaction = std::move(checked);
  }
  // Code 1 with no transaction: FlexPay knows no payment for this order (reconciliation reports it).
  if (!check.transaction && check.code != "0") check.not_found = true;
  in.name = "check.result";
  in.data = fields::to_object(check);
  return in;
}

Result<ParsedInput> FlexPayAdapter::parse_webhook(const HttpRequest& request) const {
  std::string_view target = request.target;
  const std::size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);

  // The customer's browser coming back through approve_url / cancel_url / decline_url: only a hint,
  // answered like a callback (the flow checks).
  constexpr std::string_view kReturn = "/callbacks/flexpay/";
  if (path.starts_with(kReturn)) {
    const std::string_view kind = path.substr(kReturn.size());
    if (kind != "approve" && kind != "cancel" && kind != "decline") {
      return fail(adapter_errc::unknown_route, "flexpay return: unknown path '" + std::string(path) + "'");
    }
    const std::string reference = query_value(query, "reference");
    if (reference.empty()) return fail(adapter_errc::malformed, "flexpay return: missing query parameter 'reference'");
    // Percent-decoding gives any bytes; the input it becomes on corridor.inputs is JSON.
    if (!well_formed_utf8(reference))
      return fail(adapter_errc::malformed, "flexpay return: query parameter 'reference' is not UTF-8 text");
    ParsedInput in;
    in.txn_id = reference;
    in.name = "flexpay.callback";
    // The orderNumber is deliberately not taken from a URL anyone can type.
    FlexPayCallback hint;
    hint.reference = reference;
    hint.source = "return";
    if (kind == "cancel") hint.customer_cancelled = true;
    in.data = fields::to_object(hint);
    in.data["return"] = kind;  // which page the browser came back through, for a person (a keyword: no member)
    in.dedupe_id = "return:" + reference + ":" + std::string(kind);
    return in;
  }

  const std::string where = "flexpay callback";
  if (request.method != "POST") return fail(adapter_errc::wrong_method, where + ": method " + request.method + " not allowed (POST)");
  auto body = parse_object(request.body, where, kFlexPayJson);
  if (!body) return body.error();
  if (auto ok = normalise_code(*body, "code", where, true); !ok) return ok.error();
  if (auto ok = require_string(*body, "reference", where); !ok) return ok.error();
  if (auto ok = require_string(*body, "orderNumber", where); !ok) return ok.error();
  if (auto ok = optional_string(*body, "provider_reference", where); !ok) return ok.error();
  FlexPayCallback callback;
  callback.code = get_string(*body, "code");
  callback.reference = get_string(*body, "reference");
  callback.provider_reference = get_string(*body, "provider_reference");
  callback.orderNumber = get_string(*body, "orderNumber");
  callback.source = "callback";
  // choice: code "2" is the customer's "annuler" (the seed only says "other: did not go through";
  // the sandbox sends 2 on a cancel). A hint like the rest of the callback: the check decides.
  if (callback.code == kCallbackCodeCancelled) callback.customer_cancelled = true;
  ParsedInput in;
  in.txn_id = callback.reference;
  in.name = "flexpay.callback";
  in.dedupe_id = "callback:" + in.txn_id + ":" + callback.orderNumber + ":" + callback.code;
  in.data = fields::to_object(callback);
  return in;
}

AdapterRegistration flexpay_registration() {
  return AdapterRegistration{
      "flexpay",
      {
          {"base_url", true, "", "Payment Service root (POST <base_url>/v1/pay); the sandbox's when sandbox.enabled"},
          {"check_base_url", false, "", "Check transaction root (GET <check_base_url>/api/rest/v1/check/{orderNumber}); empty: base_url"},
          {"merchant", true, "", "FlexPay merchant code sent as `merchant`"},
          {"token", true, "", "authorization token: `authorization` body field of /v1/pay, `Authorization: Bearer` on the check"},
          {"public_url", false, "", "corridor's public URL (the engine fills it from http.public_url); builds callback_url"},
          {"callback_url", false, "", "callback_url sent to FlexPay; empty: <public_url>/webhooks/flexpay"},
          {"approve_url", false, "", "approve_url (customer's browser after success); empty: <public_url>/callbacks/flexpay/approve?reference=<txn_id>"},
          {"cancel_url", false, "", "cancel_url (customer cancelled); empty: <public_url>/callbacks/flexpay/cancel?reference=<txn_id>"},
          {"decline_url", false, "", "decline_url (payment failed); empty: <public_url>/callbacks/flexpay/decline?reference=<txn_id>"},
          {"payment_ttl_ms", false, "900000", "life of the payment page, from the pay request; then the check decides"},
          {"poll_interval_ms", false, "5000", "first delay between checks while verifying"},
          {"poll_max_interval_ms", false, "60000", "cap of the doubling check delay"},
          {"retry_after_ms", false, "30000", "first delay before re-sending an unanswered pay (same reference); doubles up to ten times"},
          {"max_retries", false, "5", "re-sends of an unanswered pay; then the payment delay decides"},
          {"max_polls", false, "30", "checks while verifying before the outcome is unknown (about 27 minutes)"},
          {"awaiting_poll_interval_ms", false, "30000", "first delay between checks while the customer is on the page (no callback yet)"},
          {"awaiting_poll_max_interval_ms", false, "120000", "cap of that doubling delay"},
          {"max_failed_checks", false, "5", "checks that may fail in a row after the payment delay before the outcome is unknown"},
      },
      [](const ProviderSettings& s) -> std::unique_ptr<ProviderAdapter> {
        return std::make_unique<FlexPayAdapter>(flexpay_settings(s));
      },
      // build_request refuses another currency; FlexPay takes cents (its amounts are decimal text) and
      // no card number (its page takes the card).
      ProviderConstraints{.currencies = {kCurrencies.begin(), kCurrencies.end()},
                          .whole_units = false,
                          .card_digits_min = 0,
                          .card_digits_max = 0},
  };
}

}  // namespace corridor
