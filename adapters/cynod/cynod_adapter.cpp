#include "adapters/cynod/cynod_adapter.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <stdexcept>

#include "adapters/support/wire.hpp"
#include "statemachines/cynod_inputs.hpp"
#include "statemachines/money.hpp"

namespace corridor {

namespace {

// Card numbers Cynod takes (ISO/IEC 7812 lengths): declared in the registration as well.
constexpr std::size_t kCardDigitsMin = 12;
constexpr std::size_t kCardDigitsMax = 19;

std::string error_message(const HttpResponse& response) {
  boost::system::error_code ec;
  json::value v = json::parse(response.body, ec);
  if (!ec && v.is_object()) {
    const auto& o = v.get_object();
    std::string out;
    if (auto c = get_string(o, "code"); !c.empty()) out = std::string(c);
    if (auto m = get_string(o, "message"); !m.empty()) out += (out.empty() ? "" : ": ") + std::string(m);
    if (!out.empty()) return mask_digits(out);
  }
  return "HTTP " + std::to_string(response.status);
}

Result<std::string> required_string(const json::object& o, std::string_view field, std::string_view where) {
  if (auto ok = require_string(o, field, where); !ok) return ok.error();
  return std::string(get_string(o, field));
}

// The authorisation resource, as Cynod answers it and sends it in webhooks, turned into the flow's
// input (statemachines/cynod_inputs.hpp): the card masked again, the amount as Cynod wrote it.
Result<ParsedInput> authorization_input(const json::object& o, std::string_view where) {
  auto reference = required_string(o, "partner_reference", where);
  if (!reference) return reference.error();
  auto status = required_string(o, "status", where);
  if (!status) return status.error();
  ParsedInput in;
  in.txn_id = *reference;
  CynodAuthorization a;
  a.reference = *reference;
  a.status = *status;
  a.cynod_reference = get_string(o, "id");
  if (auto card = get_string(o, "card"); !card.empty()) a.card = cynod_mask_card(card);

  // The amount as Cynod wrote it (a decimal string of the currency's units): the flow reads it
  // exactly and compares it with the amount asked (step 8.2), so one that cannot be read reaches the
  // flow as it is, where it counts as another amount, rather than losing the notification.
  if (const json::value* amount = o.if_contains("amount"); amount != nullptr && !amount->is_null()) a.amount = *amount;
  a.currency = get_string(o, "currency");

  if (*status == "in_progress") {
    in.name = "authorization.in_progress";
  } else if (*status == "approved") {
    auto number = required_string(o, "authorization_number", where);
    if (!number) return number.error();
    a.authorization_number = *number;
    in.name = "authorization.approved";
  } else if (*status == "declined") {
    auto reason = required_string(o, "decline_reason", where);
    if (!reason) return reason.error();
    a.reason = *reason;
    in.name = "authorization.declined";
  } else if (*status == "cancelled" || *status == "expired") {
    // Cynod withdrew the wallet request, on corridor's cancel or on its own expiry.
    in.name = "authorization.cancelled";
  } else {
    return fail(adapter_errc::unexpected_answer, std::string(where) + ": unknown status '" + *status + "'");
  }
  in.data = fields::to_object(a);
  return in;
}

// The webhook types of the authorisation resource (docs/providers/cynod.md), one per status.
bool is_authorization_event(std::string_view type) {
  return type == "authorization.in_progress" || type == "authorization.approved" || type == "authorization.declined" ||
         type == "authorization.cancelled" || type == "authorization.expired";
}

}  // namespace

std::string cynod_mask_card(std::string_view number) {
  const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  if (number.size() >= 13 && number.size() <= 19 && std::all_of(number.begin(), number.end(), is_digit)) {
    std::string out(number);
    for (std::size_t i = 6; i + 4 < out.size(); ++i) out[i] = '*';
    return out;
  }
  // Already masked by Cynod ("626200******0001"): kept when at most 10 digits show.
  const auto shown = std::count_if(number.begin(), number.end(), is_digit);
  const auto stars = std::count(number.begin(), number.end(), '*');
  if (stars > 0 && shown <= 10 && static_cast<std::size_t>(shown + stars) == number.size()) return std::string(number);
  return std::string(number.size(), '*');
}

std::string cynod_webhook_signature(std::string_view secret, std::string_view body) {
  return "sha256=" + hex_encode(bytes_of(hmac_sha256(secret, body)));
}

CynodSettings cynod_settings(const ProviderSettings& s) {
  CynodSettings out;
  out.base_url = setting(s, "base_url");
  out.api_key = setting(s, "api_key");
  out.webhook_secret = setting(s, "webhook_secret");
  out.signature_header = setting(s, "signature_header", out.signature_header);
  out.authorizations_path = setting(s, "authorizations_path", out.authorizations_path);
  out.public_url = setting(s, "public_url");
  if (out.base_url.empty()) throw std::invalid_argument("providers.cynod.base_url is required");
  if (out.webhook_secret.empty()) throw std::invalid_argument("providers.cynod.webhook_secret is required");
  return out;
}

CynodAdapter::CynodAdapter(CynodSettings settings) : settings_(std::move(settings)) {
  settings_.base_url = trim_slashes(settings_.base_url);
  settings_.public_url = trim_slashes(settings_.public_url);
  if (settings_.authorizations_path.empty() || settings_.authorizations_path.front() != '/')
    settings_.authorizations_path.insert(0, "/");
  settings_.authorizations_path = trim_slashes(settings_.authorizations_path);
}

Result<HttpRequest> CynodAdapter::build_request(const ProviderCall& call) const {
  const std::string where = "cynod " + call.op + " " + call.call_id;
  const json::object p = call.params.object();
  auto reference = required_string(p, "reference", where);
  if (!reference) return reference.error();

  HttpRequest req;
  req.method = "POST";
  req.headers = {{"Authorization", "Bearer " + settings_.api_key},
                 {"Accept", "application/json"},
                 {"Content-Type", "application/json"},
                 // Cynod also deduplicates by partner reference; the key makes a re-sent call explicit.
                 {"Idempotency-Key", call.call_id}};
  const std::string resource = settings_.base_url + settings_.authorizations_path;
  json::object body;

  if (call.op == "request_authorization") {
    // Steps 3-4: partner reference, card number, amount.
    const json::object* card = get_object(p, "card");
    if (card == nullptr || get_string(*card, "number").empty())
      return fail(adapter_errc::bad_parameters, "card data unavailable");
    const std::string_view number = get_string(*card, "number");
    if (number.size() < kCardDigitsMin || number.size() > kCardDigitsMax ||
        !std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return fail(adapter_errc::bad_parameters, where + ": the card number is not 12-19 digits");
    }
    const json::object* amount = get_object(p, "amount");
    if (amount == nullptr) return fail(adapter_errc::bad_parameters, where + ": missing field 'amount'");
    const json::value* value = amount->if_contains("value");
    if (value == nullptr || !value->is_int64())
      return fail(adapter_errc::bad_parameters, where + ": field 'amount.value' must be an integer (minor units)");
    if (value->get_int64() <= 0) return fail(adapter_errc::bad_parameters, where + ": amount must be positive");
    const std::string currency(get_string(*amount, "currency"));
    const auto exponent = currency_exponent(currency);
    if (!exponent) return fail(adapter_errc::bad_parameters, where + ": unknown currency '" + currency + "'");

    json::object c{{"number", number}};
    if (const json::value* m = card->if_contains("exp_month"); m && m->is_int64()) c["expiry_month"] = m->get_int64();
    if (const json::value* y = card->if_contains("exp_year"); y && y->is_int64()) c["expiry_year"] = y->get_int64();
    body["partner_reference"] = *reference;
    body["card"] = std::move(c);
    body["amount"] = format_decimal_amount(value->get_int64(), *exponent);
    body["currency"] = currency;
    if (auto d = get_string(p, "description"); !d.empty()) body["description"] = d;
    if (const json::object* customer = get_object(p, "customer")) {
      json::object cust;
      for (const char* k : {"name", "msisdn", "email", "country"})
        if (auto v = get_string(*customer, k); !v.empty()) cust[k] = v;
      if (!cust.empty()) body["customer"] = std::move(cust);
    }
    if (!settings_.public_url.empty()) body["notification_url"] = settings_.public_url + "/webhooks/cynod";
    req.target = resource;
  } else if (call.op == "acknowledge") {
    // Step 10: the partner transmits the Cynod status it received with the authorisation number.
    auto number = required_string(p, "authorization_number", where);
    if (!number) return number.error();
    body["authorization_number"] = *number;
    body["status"] = get_string(p, "status").empty() ? std::string_view("approved") : get_string(p, "status");
    req.target = resource + "/" + percent_encode(*reference) + "/acknowledgement";
  } else if (call.op == "cancel_authorization") {
    body["reason"] = "confirmation_timeout";
    req.target = resource + "/" + percent_encode(*reference) + "/cancel";
  } else if (call.op == "get_authorization") {
    // Step 9, the status of the authorisation request: a read, for reconciliation.
    req.method = "GET";
    req.target = resource + "/" + percent_encode(*reference);
    std::erase_if(req.headers, [](const auto& h) { return h.first == "Content-Type"; });
    return req;
  } else {
    return fail(adapter_errc::unknown_operation, "cynod: unknown operation '" + call.op + "'");
  }
  req.body = json::serialize(body);
  return req;
}

Result<ParsedInput> CynodAdapter::parse_response(const ProviderCall& call, const HttpResponse& response) const {
  const std::string where = "cynod " + call.op + " answer (HTTP " + std::to_string(response.status) + ")";
  const int s = response.status;
  if (auto busy = busy_status(s)) return fail(*busy, where + ": " + error_message(response));
  if (call.op != "request_authorization" && call.op != "acknowledge" && call.op != "cancel_authorization" &&
      call.op != "get_authorization")
    return fail(adapter_errc::unknown_operation, "cynod: unknown operation '" + call.op + "'");
  if ((call.op == "get_authorization" || call.op == "cancel_authorization") && s == 404) {
    // Cynod does not know the partner reference: an answer (nothing to read, nothing to withdraw),
    // not a failure.
    ParsedInput in;
    in.txn_id = std::string(txn_id_of_call(call.call_id));
    in.name = "authorization.not_found";
    in.data = fields::to_object(CynodNotFound{.not_found = true, .http_status = s});
    return in;
  }
  if (call.op == "get_authorization" && (s < 200 || s >= 300))
    return fail(adapter_errc::unexpected_answer, where + ": " + error_message(response));

  const bool success = s >= 200 && s < 300;
  if (call.op == "acknowledge") {
    if (!success) return fail(adapter_errc::unexpected_answer, where + ": " + error_message(response));
    ParsedInput in;
    in.txn_id = std::string(txn_id_of_call(call.call_id));
    in.name = "acknowledgement.accepted";
    return in;
  }
  // 409 on a cancel: too late, the authorisation already ended; its body says how (the truth the
  // flow needs when the webhook never came).
  if (success || (s == 409 && call.op == "cancel_authorization")) {
    auto body = parse_object(response.body, where);
    if (!body) return body.error();
    auto in = authorization_input(*body, where);
    if (!in) return in;
    if (in->txn_id != txn_id_of_call(call.call_id))
      return fail(adapter_errc::unexpected_answer, where + ": partner_reference is not the call's transaction");
    return in;
  }
  if (call.op == "cancel_authorization")
    return fail(adapter_errc::unexpected_answer, where + ": " + error_message(response));
  // A refused request (400, 401, 404, 422...) is Cynod's answer, not a transport problem.
  ParsedInput in;
  in.txn_id = std::string(txn_id_of_call(call.call_id));
  in.name = "authorization.rejected";
  in.data = fields::to_object(CynodRejection{.http_status = s, .error = error_message(response)});
  return in;
}

Result<ParsedInput> CynodAdapter::parse_webhook(const HttpRequest& request) const {
  // docs/providers/cynod.md: <signature_header>: sha256=<hex HMAC-SHA256(webhook_secret, raw body)>.
  const std::string_view header = request.header(settings_.signature_header);
  if (header.empty()) return fail(adapter_errc::bad_signature, "cynod webhook: missing " + settings_.signature_header + " header");
  std::string_view given = header;
  if (given.starts_with("sha256=")) given.remove_prefix(7);
  const auto mac = digest_from_hex(given);
  if (!mac) return fail(adapter_errc::bad_signature, "cynod webhook: " + settings_.signature_header + " is not sha256=<64 hex digits>");
  const auto expected = hmac_sha256(settings_.webhook_secret, request.body);
  if (!constant_time_equal(bytes_of(*mac), bytes_of(expected)))
    return fail(adapter_errc::bad_signature, "cynod webhook: signature does not match the body");

  const std::string where = "cynod webhook";
  auto body = parse_object(request.body, where);
  if (!body) return body.error();
  auto id = required_string(*body, "id", where);
  if (!id) return id.error();
  auto type = required_string(*body, "type", where);
  if (!type) return type.error();
  const json::object* data = get_object(*body, "data");
  if (!is_authorization_event(*type)) {
    // Authenticated and well-formed, of a type corridor does not act on: acknowledged and kept, never
    // refused (Cynod would deliver it again and again). The name is prefixed so that no flow row can
    // take it for one of the inputs the adapter makes.
    ParsedInput in;
    if (data != nullptr) in.txn_id = std::string(get_string(*data, "partner_reference"));
    in.name = "cynod." + *type;
    in.dedupe_id = *id;
    in.unhandled = true;
    return in;
  }
  if (data == nullptr) return fail(adapter_errc::malformed, where + ": field 'data' must be an object");
  auto in = authorization_input(*data, where + " data");
  if (!in) return in;
  // "authorization.expired" is the type of Cynod's own expiry: the flow reads it as a withdrawal.
  const std::string_view named = *type == "authorization.expired" ? "authorization.cancelled" : std::string_view(*type);
  if (named != in->name || (*type == "authorization.expired" && get_string(*data, "status") != "expired"))
    return fail(adapter_errc::malformed, where + ": type '" + *type + "' does not match data.status '" +
                                             std::string(get_string(*data, "status")) + "'");
  in->dedupe_id = *id;
  return in;
}

AdapterRegistration cynod_registration() {
  return AdapterRegistration{
      "cynod",
      {
          {"base_url", true, "", "Cynod API root (the sandbox's when sandbox.enabled)"},
          {"api_key", false, "", "partner key: Authorization: Bearer <api_key>"},
          {"webhook_secret", true, "", "HMAC-SHA256 key of webhook signatures"},
          {"signature_header", false, "X-Cynod-Signature", "header carrying sha256=<hex HMAC-SHA256(secret, raw body)>"},
          {"authorizations_path", false, "/v1/authorizations", "path of the authorisation resource under base_url"},
          {"public_url", false, "", "corridor's public URL; notification_url = <public_url>/webhooks/cynod (filled by the engine)"},
          {"confirmation_ttl_ms", false, "300000", "time for the customer to confirm in the wallet before corridor cancels"},
          {"retry_after_ms", false, "30000", "delay before re-sending a call that got no answer; doubled per re-send"},
          {"retry_max_interval_ms", false, "300000", "cap of the doubled re-send delay"},
          {"max_retries", false, "5", "re-sends of one call (request, cancellation, acknowledgement) before giving up on it"},
      },
      [](const ProviderSettings& s) -> std::unique_ptr<ProviderAdapter> {
        return std::make_unique<CynodAdapter>(cynod_settings(s));
      },
      // What build_request refuses: a card number that is not 12-19 digits. Any currency corridor
      // knows (the seed names none).
      ProviderConstraints{.currencies = {}, .whole_units = false, .card_digits_min = kCardDigitsMin,
                          .card_digits_max = kCardDigitsMax},
  };
}

}  // namespace corridor
