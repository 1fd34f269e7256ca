#include "adapters/esipay/esipay_adapter.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <cctype>
#include <stdexcept>

#include "adapters/support/wire.hpp"
#include "statemachines/esipay_inputs.hpp"
#include "statemachines/money.hpp"

namespace corridor {

namespace {

// Card numbers the payment URL takes (ISO/IEC 7812 lengths): declared in the registration as well.
constexpr std::size_t kCardDigitsMin = 12;
constexpr std::size_t kCardDigitsMax = 19;

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// esipay answers with a status and, at best, a short text. Never the request URL (it holds the card).
std::string error_text(const HttpResponse& response) {
  std::string body = trim(response.body);
  for (char& c : body)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  std::string out = "HTTP " + std::to_string(response.status);
  if (!body.empty()) out += ": " + mask_digits(body);
  return out;
}

// "::ffff:127.0.0.1" (an IPv4 peer on a dual-stack socket) is 127.0.0.1.
std::string normalise_address(std::string_view a) {
  if (a.starts_with("::ffff:") && a.find('.') != std::string_view::npos) a.remove_prefix(7);
  return std::string(a);
}

// What esipay's refusal status means (the seed lists 400, 403 and 500).
std::string refusal_of(int status) {
  switch (status) {
    case 400: return std::string(esipay_refusal::kIncorrectParameter);
    case 403: return std::string(esipay_refusal::kAddressNotAllowed);
    case 500: return std::string(esipay_refusal::kServiceError);
    default: return std::string(esipay_refusal::kUnlistedStatus);
  }
}

Result<json::object> callback_fields(const HttpRequest& request) {
  const std::string_view content_type = request.header("Content-Type");
  const std::string body = trim(request.body);
  json::object out;
  if (content_type.find("json") != std::string_view::npos || (!body.empty() && body.front() == '{')) {
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec || !v.is_object()) return fail(adapter_errc::malformed, "esipay callback: body is not a JSON object");
    for (const auto& [k, val] : v.get_object()) {
      if (val.is_string()) out[k] = val.get_string();
      else if (val.is_int64()) out[k] = std::to_string(val.get_int64());
      else if (val.is_uint64()) out[k] = std::to_string(val.get_uint64());
      else if (val.is_double())
        return fail(adapter_errc::malformed, "esipay callback: field '" + std::string(k) + "' must be a decimal string, not a JSON number");
    }
    return out;
  }
  // The seed's "POST avec les données suivantes": an HTML-form style body.
  std::string_view rest = body;
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    out[form_decode(pair.substr(0, eq))] = eq == std::string_view::npos ? std::string() : form_decode(pair.substr(eq + 1));
  }
  return out;
}

}  // namespace

EsipaySettings esipay_settings(const ProviderSettings& s) {
  EsipaySettings out;
  out.base_url = setting(s, "base_url");
  out.uuid = setting(s, "uuid");
  out.callback_token = setting(s, "callback_token");
  out.http_method = setting(s, "http_method", out.http_method);
  out.public_url = setting(s, "public_url");
  const std::string sources = setting(s, "allowed_sources");
  std::string_view list = sources;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    if (auto ip = trim(list.substr(0, comma)); !ip.empty()) out.allowed_sources.push_back(normalise_address(ip));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
  for (char& c : out.http_method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (out.base_url.empty()) throw std::invalid_argument("providers.esipay.base_url is required");
  if (out.uuid.empty()) throw std::invalid_argument("providers.esipay.uuid is required");
  if (out.callback_token.size() < 16)
    throw std::invalid_argument("providers.esipay.callback_token is required (at least 16 characters: it is the return URL's only secret)");
  if (out.allowed_sources.empty()) throw std::invalid_argument("providers.esipay.allowed_sources is required");
  if (out.http_method != "POST" && out.http_method != "GET" && out.http_method != "PUT")
    throw std::invalid_argument("providers.esipay.http_method must be POST, GET or PUT");
  return out;
}

EsipayAdapter::EsipayAdapter(EsipaySettings settings) : settings_(std::move(settings)) {
  settings_.base_url = trim_slashes(settings_.base_url);
  settings_.public_url = trim_slashes(settings_.public_url);
}

std::string EsipayAdapter::return_url() const {
  return settings_.public_url + "/callbacks/esipay/" + settings_.callback_token;
}

Result<HttpRequest> EsipayAdapter::build_request(const ProviderCall& call) const {
  // Errors here never quote the card: they end up in call.failed and in events.
  const std::string where = "esipay " + call.op + " " + call.call_id;
  const json::object p = call.params.object();
  HttpRequest req;
  req.method = settings_.http_method;
  const std::string root = settings_.base_url + "/cardpay/" + percent_encode(settings_.uuid) + "/";

  auto amount_text = [&](std::string& out) -> Result<bool> {
    const json::object* amount = get_object(p, "amount");
    if (amount == nullptr) return fail(adapter_errc::bad_parameters, where + ": missing field 'amount'");
    const json::value* value = amount->if_contains("value");
    if (value == nullptr || !value->is_int64())
      return fail(adapter_errc::bad_parameters, where + ": field 'amount.value' must be an integer (minor units)");
    if (value->get_int64() <= 0) return fail(adapter_errc::bad_parameters, where + ": amount must be positive");
    const std::string currency(get_string(*amount, "currency"));
    const auto exponent = currency_exponent(currency);
    if (!exponent) return fail(adapter_errc::bad_parameters, where + ": unknown currency '" + currency + "'");
    // "montant (réel, séparateur : .)": exact, never through floating point.
    out = format_decimal_amount(value->get_int64(), *exponent);
    return true;
  };

  if (call.op == "cardpay") {
    const std::string_view cid = get_string(p, "cid");
    if (cid.empty()) return fail(adapter_errc::bad_parameters, where + ": missing field 'cid'");
    const json::object* card = get_object(p, "card");
    if (card == nullptr || get_string(*card, "number").empty()) return fail(adapter_errc::bad_parameters, "card data unavailable");
    const std::string_view number = get_string(*card, "number");
    if (number.size() < kCardDigitsMin || number.size() > kCardDigitsMax || !all_digits(number))
      return fail(adapter_errc::bad_parameters, where + ": the card number is not 12-19 digits");
    const json::value* month = card->if_contains("exp_month");
    const json::value* year = card->if_contains("exp_year");
    if (month == nullptr || !month->is_int64() || month->get_int64() < 1 || month->get_int64() > 12)
      return fail(adapter_errc::bad_parameters, where + ": card exp_month must be an integer 1-12");
    if (year == nullptr || !year->is_int64() || year->get_int64() < 0 || year->get_int64() > 9999)
      return fail(adapter_errc::bad_parameters, where + ": card exp_year must be an integer");
    std::string amount;
    if (auto ok = amount_text(amount); !ok) return ok.error();
    // /cardpay/uuid/cid/cardnumber/cardmonth/cardyear/amount
    req.target = root + percent_encode(cid) + "/" + std::string(number) + "/" + std::to_string(month->get_int64()) + "/" +
                 std::to_string(year->get_int64()) + "/" + amount;
    return req;
  }
  if (call.op == "refund" || call.op == "refund_partial") {
    const std::string_view transaction = get_string(p, "transaction");
    if (transaction.empty()) return fail(adapter_errc::bad_parameters, where + ": missing field 'transaction'");
    req.target = root + percent_encode(transaction);
    if (call.op == "refund_partial") {
      // /cardpay/uuid/transaction/amount
      std::string amount;
      if (auto ok = amount_text(amount); !ok) return ok.error();
      req.target += "/" + amount;
    }
    return req;
  }
  return fail(adapter_errc::unknown_operation, "esipay: unknown operation '" + call.op + "'");
}

Result<ParsedInput> EsipayAdapter::parse_response(const ProviderCall& call, const HttpResponse& response) const {
  const bool charge = call.op == "cardpay";
  if (!charge && call.op != "refund" && call.op != "refund_partial")
    return fail(adapter_errc::unknown_operation, "esipay: unknown operation '" + call.op + "'");
  const int s = response.status;
  ParsedInput in;
  in.txn_id = std::string(txn_id_of_call(call.call_id));
  EsipayAnswer answer;
  answer.http_status = s;
  if (s == 200) {
    in.name = charge ? "charge.succeeded" : "refund.succeeded";
    in.data = fields::to_object(answer);
    return in;
  }
  // The seed's statuses: 400 incorrect parameter (or a partial refund over the remaining amount), 403
  // address not allowed, 500 service error. Each is esipay's answer: nothing was charged or refunded.
  // Another 4xx is taken as a refusal too, unless it says "not now" (408, 429).
  if (s == 500 || (s >= 400 && s < 500 && !busy_status(s))) {
    in.name = charge ? "charge.failed" : "refund.failed";
    answer.error = error_text(response);
    answer.refusal = refusal_of(s);
    in.data = fields::to_object(answer);
    return in;
  }
  // 502/503/504 from something in between, 408, 429, a 2xx other than 200: not esipay's documented
  // answer, so the outcome is not known. The call is not retry-safe: the executor never sends it
  // again, and the flow takes the call.failed it becomes for an unknown outcome.
  const std::string message = "esipay " + call.op + ": unexpected answer " + error_text(response);
  if (auto busy = busy_status(s)) return fail(*busy, message);
  return fail(adapter_errc::unexpected_answer, message);
}

Result<ParsedInput> EsipayAdapter::parse_webhook(const HttpRequest& request) const {
  // The return URL: /callbacks/esipay/<callback_token>, called by esipay from an allow-listed address.
  const std::string source = normalise_address(request.remote_address);
  if (source.empty() || std::find(settings_.allowed_sources.begin(), settings_.allowed_sources.end(), source) ==
                            settings_.allowed_sources.end()) {
    return fail(adapter_errc::forbidden_source, "esipay callback: source address '" + source + "' is not in allowed_sources");
  }
  std::string_view path = request.target;
  path = path.substr(0, path.find('?'));
  constexpr std::string_view kPrefix = "/callbacks/esipay/";
  if (!path.starts_with(kPrefix)) return fail(adapter_errc::unknown_route, "esipay callback: not a return URL");
  if (!constant_time_equal(path.substr(kPrefix.size()), settings_.callback_token))
    return fail(adapter_errc::unknown_route, "esipay callback: unknown return URL token");
  if (request.method != "POST") return fail(adapter_errc::wrong_method, "esipay callback: the return URL is called with POST");

  auto form = callback_fields(request);
  if (!form) return form.error();
  const std::string where = "esipay callback";
  // A form field decodes to any bytes; the input it becomes on corridor.inputs is JSON.
  for (const auto& kv : *form) {
    if (!well_formed_utf8(kv.key())) return fail(adapter_errc::malformed, where + ": a field name is not UTF-8 text");
    if (kv.value().is_string() && !well_formed_utf8(kv.value().get_string()))
      return fail(adapter_errc::malformed, where + ": field '" + std::string(kv.key()) + "' is not UTF-8 text");
  }
  EsipayCallback callback;
  callback.type = get_string(*form, "type");
  callback.transaction = get_string(*form, "transaction");
  callback.cid = get_string(*form, "cid");
  if (callback.type.empty()) return fail(adapter_errc::malformed, where + ": missing field 'type'");
  if (callback.type != "card") {
    // "type de paiement (uniquement 'card' pour l'instant)": a later type, from esipay (the address
    // and the token say so) and well-formed, is acknowledged and kept, not refused. The name is
    // prefixed so that no flow row can take it for one of the inputs the adapter makes. No flow reads
    // it: its data is every field esipay sent, as sent, for whoever looks at it.
    ParsedInput in;
    in.txn_id = callback.cid;
    in.name = "esipay.callback." + callback.type;
    in.dedupe_id = callback.transaction;
    in.data = std::move(*form);
    in.unhandled = true;
    return in;
  }
  const std::string_view amount = get_string(*form, "amount");
  if (amount.empty()) return fail(adapter_errc::malformed, where + ": missing field 'amount'");
  if (callback.transaction.empty()) return fail(adapter_errc::malformed, where + ": missing field 'transaction'");
  if (callback.cid.empty()) return fail(adapter_errc::malformed, where + ": missing field 'cid'");
  // "montant réel": a decimal with '.'; the flow converts it with the payment's currency. Checked
  // here against the widest exponent so a malformed amount is refused at the door.
  if (auto ok = parse_decimal_amount(amount, 3); !ok)
    return fail(adapter_errc::malformed, where + ": field 'amount': " + ok.error().message);
  callback.amount = json::string(amount);

  ParsedInput in;
  in.txn_id = callback.cid;
  in.name = "esipay.callback";
  in.dedupe_id = callback.transaction;
  in.data = fields::to_object(callback);
  return in;
}

AdapterRegistration esipay_registration() {
  return AdapterRegistration{
      "esipay",
      {
          {"base_url", true, "", "esipay service root: http://10.0.0.6:6543 per the seed (the sandbox's when sandbox.enabled)"},
          {"uuid", true, "", "the company's unique identifier given by esipay at registration"},
          {"callback_token", true, "", "secret last segment of the return URL /callbacks/esipay/<token> (16+ characters)"},
          {"allowed_sources", true, "", "comma-joined IP addresses esipay calls the return URL from"},
          {"http_method", false, "POST", "method of cardpay and refund calls (the seed is silent): POST, GET or PUT"},
          {"public_url", false, "", "corridor's public URL; the return URL to register is <public_url>/callbacks/esipay/<callback_token>"},
          {"retry_after_ms", false, "30000", "delay before sending a payment that never left corridor (a circuit open); doubled per attempt"},
          {"retry_max_interval_ms", false, "300000", "cap of the doubled delay"},
          {"max_retries", false, "3", "attempts to send a payment that never left corridor before it fails"},
      },
      [](const ProviderSettings& s) -> std::unique_ptr<ProviderAdapter> {
        return std::make_unique<EsipayAdapter>(esipay_settings(s));
      },
      // What build_request refuses: a card number that is not 12-19 digits. The seed's URL carries no
      // currency (the company's account has one, agreed at registration): none is declared here.
      ProviderConstraints{.currencies = {}, .whole_units = false, .card_digits_min = kCardDigitsMin,
                          .card_digits_max = kCardDigitsMax},
  };
}

}  // namespace corridor
