#include "adapters/interac/interac_adapter.hpp"

#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <optional>
#include <stdexcept>

#include "adapters/support/wire.hpp"
#include "statemachines/interac_inputs.hpp"
#include "statemachines/money.hpp"

namespace corridor {

namespace {

constexpr std::string_view kVerificationSuffix = "-verification";
// Interac e-Transfer moves Canadian dollars only (the seed: "currencyCode": "CAD" throughout).
constexpr std::string_view kCurrency = "CAD";
constexpr std::string_view kApiRoot = "/paymenthub/v1";
// Paysafe's "The transaction you have submitted has already been processed": a repeated
// merchantRefNum under dupCheck.
constexpr std::string_view kDuplicateCode = "5031";

// ---- small pure helpers ------------------------------------------------------------------------

// A Signature header's base64: surrounding blanks ignored, at most 1024 characters, then strict
// standard base64 with padding; nullopt when malformed.
std::optional<std::string> signature_bytes(std::string_view in) {
  while (!in.empty() && (in.back() == ' ' || in.back() == '\t')) in.remove_suffix(1);
  while (!in.empty() && (in.front() == ' ' || in.front() == '\t')) in.remove_prefix(1);
  if (in.empty() || in.size() > 1024) return std::nullopt;
  return base64_decode(in);
}

// Paysafe's error body: {"error": {"code": "5068", "message": "Field error(s)", "details": [...],
// "fieldErrors": [{"field": ..., "error": ...}]}}; the code is also in x-application-error-code.
struct PaysafeError {
  std::string code;
  std::string message;
};

PaysafeError paysafe_error(const HttpResponse& response) {
  PaysafeError out;
  out.code = std::string(response.header("x-application-error-code"));
  boost::system::error_code ec;
  json::value v = json::parse(response.body, ec);
  if (!ec && v.is_object()) {
    if (const json::object* e = get_object(v.get_object(), "error")) {
      if (auto it = e->find("code"); it != e->end()) {
        if (it->value().is_string()) out.code = std::string(it->value().get_string());
        if (it->value().is_int64()) out.code = std::to_string(it->value().get_int64());
      }
      out.message = std::string(get_string(*e, "message"));
      if (const json::value* d = e->if_contains("details"); d && d->is_array()) {
        for (const auto& item : d->get_array())
          if (item.is_string()) out.message += (out.message.empty() ? "" : ": ") + std::string(item.get_string());
      }
      if (const json::value* f = e->if_contains("fieldErrors"); f && f->is_array()) {
        for (const auto& item : f->get_array()) {
          if (!item.is_object()) continue;
          out.message += " [" + std::string(get_string(item.get_object(), "field")) + ": " +
                         std::string(get_string(item.get_object(), "error")) + "]";
        }
      }
    }
  }
  if (out.message.empty()) out.message = "HTTP " + std::to_string(response.status);
  if (!out.code.empty()) out.message = out.code + " " + out.message;
  return out;
}

// ---- field checks: a malformed answer names the field -------------------------------------------

// Paysafe writes amounts as integers in minor units; the seed's examples also send "544" as a
// string. Both are read exactly; the data the flow sees holds an integer.
Result<bool> normalize_minor(json::object& o, std::string_view field, std::string_view where) {
  auto it = o.find(field);
  if (it == o.end() || it->value().is_null() || it->value().is_int64()) return true;
  json::value& v = it->value();
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    v = static_cast<std::int64_t>(v.get_uint64());
    return true;
  }
  if (v.is_string()) {
    const std::string_view s = v.get_string();
    if (!s.empty() && s.size() <= 18 && s.find_first_not_of("0123456789") == std::string_view::npos) {
      v = static_cast<std::int64_t>(std::stoll(std::string(s)));
      return true;
    }
  }
  return fail(adapter_errc::malformed, type_error(where, field, "an integer amount in minor units"));
}

// Paysafe echoes the security answer in interacEtransfer (the seed's answers): never kept.
void drop_answer(json::object& resource) {
  if (auto it = resource.find("interacEtransfer"); it != resource.end() && it->value().is_object())
    it->value().get_object().erase("answer");
}

// A payment handle, payment, verification or standalone credit as Paysafe returns it.
Result<bool> check_resource(json::object& o, std::string_view where) {
  if (auto ok = require_string(o, "status", where); !ok) return ok;
  for (std::string_view f : {"id", "merchantRefNum", "paymentHandleToken", "transactionType", "action", "currencyCode"})
    if (auto ok = optional_string(o, f, where); !ok) return ok;
  if (auto ok = normalize_minor(o, "amount", where); !ok) return ok;
  if (auto ok = normalize_minor(o, "timeToLiveSeconds", where); !ok) return ok;
  if (auto it = o.find("interacEtransfer"); it != o.end() && !it->value().is_null()) {
    if (!it->value().is_object()) return fail(adapter_errc::malformed, type_error(where, "interacEtransfer", "an object"));
    const std::string inner = std::string(where) + " interacEtransfer";
    drop_answer(o);  // corridor keeps it out of its inputs
    json::object& e = it->value().get_object();
    if (auto ok = normalize_minor(e, "maxAmount", inner); !ok) return ok;
    for (std::string_view f : {"consumerId", "transferType", "paymentReference"})
      if (auto ok = optional_string(e, f, inner); !ok) return ok;
  }
  if (auto it = o.find("links"); it != o.end() && !it->value().is_null() && !it->value().is_array())
    return fail(adapter_errc::malformed, type_error(where, "links", "an array"));
  return true;
}

// A call's parameter the wire helpers refuse (they name the field): the call cannot become a request.
Error bad_parameters(const Error& e) { return fail(adapter_errc::bad_parameters, e.message); }

struct Amount {
  std::int64_t minor = 0;
  std::string currency;
};

Result<Amount> amount_of(const json::object& p, std::string_view where) {
  const json::object* amount = get_object(p, "amount");
  if (!amount) return fail(adapter_errc::bad_parameters, std::string(where) + ": missing field 'amount'");
  auto it = amount->find("value");
  if (it == amount->end() || !it->value().is_int64())
    return fail(adapter_errc::bad_parameters, std::string(where) + ": field 'amount.value' must be an integer (minor units)");
  Amount m{it->value().get_int64(), std::string(get_string(*amount, "currency"))};
  if (!currency_exponent(m.currency))
    return fail(adapter_errc::bad_parameters, std::string(where) + ": unknown currency '" + m.currency + "'");
  if (m.currency != kCurrency)
    return fail(adapter_errc::bad_parameters,
                std::string(where) + ": currency " + m.currency + " is not accepted: Interac e-Transfer takes CAD only");
  if (m.minor <= 0) return fail(adapter_errc::bad_parameters, std::string(where) + ": amount must be positive");
  return m;
}

// The profile Paysafe takes, from corridor's customer object.
json::object profile_of(const json::object& customer) {
  json::object profile;
  std::string_view name = get_string(customer, "name");
  if (!name.empty()) {
    const auto space = name.find(' ');
    profile["firstName"] = name.substr(0, space);
    if (space != std::string_view::npos) profile["lastName"] = name.substr(space + 1);
  }
  if (auto email = get_string(customer, "email"); !email.empty()) profile["email"] = email;
  if (auto phone = get_string(customer, "msisdn"); !phone.empty()) profile["phone"] = phone;
  return profile;
}

// The kinds of Paysafe resource the flows read, each as its struct (statemachines/interac_inputs.hpp).
enum class Resource { handle, payment, verification, credit };

// A resource check_resource passed, as the flows read it: the members of its kind's struct, which
// keep Paysafe's names and the types check_resource made sure of.
json::object resource_input(Resource kind, const json::object& checked) {
  switch (kind) {
    case Resource::handle: return fields::to_object(fields::from_object<InteracPaymentHandle>(checked));
    case Resource::payment: return fields::to_object(fields::from_object<InteracPayment>(checked));
    case Resource::verification: return fields::to_object(fields::from_object<InteracVerification>(checked));
    case Resource::credit: return fields::to_object(fields::from_object<InteracStandaloneCredit>(checked));
  }
  return {};
}

// A retry Paysafe refused as already processed (5031): the payment or credit exists under this
// merchantRefNum, without an id the answer could give.
template <class Created>
json::object already_processed(std::string_view merchant_ref_num, std::string error) {
  Created r;
  r.merchantRefNum = std::string(merchant_ref_num);
  r.status = "PROCESSING";
  r.duplicate = true;
  r.error = std::move(error);
  return fields::to_object(r);
}

// The operations the flows emit, what their answers are called, and how each is looked up.
struct Operation {
  std::string_view op;
  Resource resource;          // what a 2xx answer holds
  std::string_view ok;        // input name of a 2xx answer
  std::string_view rejected;  // input name of a 4xx answer ("" : an error, call.failed)
  std::string_view list_key;  // GET by merchantRefNum answers {"<list_key>": [...]}
  bool duplicate_is_processing = false;  // 5031 on a retry: the resource exists, find it with GETs
};

constexpr std::array kOperations{
    Operation{"create_payment_handle", Resource::handle, "handle.created", "handle.rejected", "", false},
    Operation{"get_payment_handle", Resource::handle, "handle.status", "", "paymentHandles", false},
    Operation{"create_payment", Resource::payment, "payment.created", "payment.rejected", "", true},
    Operation{"get_payment", Resource::payment, "payment.status", "", "payments", false},
    Operation{"create_verification", Resource::verification, "verification.completed", "verification.rejected", "", false},
    Operation{"get_verification", Resource::verification, "verification.status", "", "verifications", false},
    Operation{"create_standalone_credit", Resource::credit, "credit.created", "credit.rejected", "", true},
    Operation{"get_standalone_credit", Resource::credit, "credit.status", "", "standaloneCredits", false},
};

const Operation* operation(std::string_view op) {
  for (const auto& o : kOperations)
    if (o.op == op) return &o;
  return nullptr;
}

// Paysafe's webhooks with the same meaning as one the flows name.
std::string_view flow_event_name(std::string_view event) {
  if (event == "PAYMENT_PENDING") return "PAYMENT_PROCESSING";
  if (event == "SA_CREDIT_PENDING") return "SA_CREDIT_PROCESSING";
  return event;
}

// The events the flows act on (named as flow_event_name gives them); any other well-formed, signed one
// is acknowledged and kept as unhandled.
constexpr std::array kHandledEvents{
    std::string_view{"PAYMENT_HANDLE_PAYABLE"}, std::string_view{"PAYMENT_HANDLE_FAILED"},
    std::string_view{"PAYMENT_HANDLE_EXPIRED"}, std::string_view{"PAYMENT_HANDLE_COMPLETED"},
    std::string_view{"PAYMENT_PROCESSING"},     std::string_view{"PAYMENT_COMPLETED"},
    std::string_view{"PAYMENT_FAILED"},         std::string_view{"PAYMENT_ERRORED"},
    std::string_view{"SETTLEMENT_COMPLETED"},   std::string_view{"SETTLEMENT_FAILED"},
    std::string_view{"SETTLEMENT_ERRORED"},     std::string_view{"SA_CREDIT_PROCESSING"},
    std::string_view{"SA_CREDIT_COMPLETED"},    std::string_view{"SA_CREDIT_FAILED"},
    std::string_view{"SA_CREDIT_ERRORED"},      std::string_view{"SA_CREDIT_CANCELLED"},
};

// What a handled event's payload is.
Resource event_resource(std::string_view event) {
  if (event.starts_with("PAYMENT_HANDLE_")) return Resource::handle;
  if (event.starts_with("SA_CREDIT_")) return Resource::credit;
  return Resource::payment;  // PAYMENT_* and SETTLEMENT_*
}

bool handled_event(std::string_view event) {
  return std::find(kHandledEvents.begin(), kHandledEvents.end(), flow_event_name(event)) != kHandledEvents.end();
}

bool event_name_ok(std::string_view event) {
  return !event.empty() && event.size() <= 64 &&
         std::all_of(event.begin(), event.end(), [](char c) { return (c >= 'A' && c <= 'Z') || c == '_'; });
}

}  // namespace

std::string interac_webhook_signature(std::string_view hmac_key, std::string_view body) {
  const auto mac = hmac_sha256(hmac_key, body);
  return base64_encode(bytes_of(mac));
}

std::string interac_txn_of_merchant_ref(std::string_view ref) {
  if (ref.ends_with(kVerificationSuffix)) ref.remove_suffix(kVerificationSuffix.size());
  return std::string(ref);
}

InteracSettings interac_settings(const ProviderSettings& s) {
  InteracSettings out;
  out.base_url = setting(s, "base_url");
  out.api_key = setting(s, "api_key");
  out.webhook_hmac_key = setting(s, "webhook_hmac_key");
  out.signature_header = setting(s, "signature_header", "Signature");
  out.account_id = setting(s, "account_id");
  out.return_url = setting(s, "return_url");
  if (out.base_url.empty()) throw std::invalid_argument("providers.interac.base_url is required");
  if (out.webhook_hmac_key.empty()) throw std::invalid_argument("providers.interac.webhook_hmac_key is required");
  return out;
}

InteracAdapter::InteracAdapter(InteracSettings settings) : settings_(std::move(settings)) {
  while (!settings_.base_url.empty() && settings_.base_url.back() == '/') settings_.base_url.pop_back();
  // Paysafe's API key is "<user>:<password>"; its portal also shows it base64-encoded, ready for
  // the header. Either form is accepted.
  const bool plain = settings_.api_key.find(':') != std::string::npos;
  authorization_ = "Basic " + (plain ? base64_encode(settings_.api_key) : settings_.api_key);
}

Result<HttpRequest> InteracAdapter::build_request(const ProviderCall& call) const {
  HttpRequest req;
  req.headers = {{"Authorization", authorization_}, {"Accept", "application/json"}};
  const json::object p = call.params.object();
  const std::string where = "interac " + call.op + " " + call.call_id;
  const std::string root = settings_.base_url + std::string(kApiRoot);

  auto post = [&](std::string_view path, const json::object& body) -> Result<HttpRequest> {
    req.method = "POST";
    req.target = root + std::string(path);
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = json::serialize(body);
    return req;
  };
  // GET /<resource>/{id}, or /<resource>?merchantRefNum= when the id is not known yet.
  auto get = [&](std::string_view resource, std::string_view id_field) -> Result<HttpRequest> {
    req.method = "GET";
    if (auto id = get_string(p, id_field); !id.empty()) {
      req.target = root + "/" + std::string(resource) + "/" + percent_encode(id);
      return req;
    }
    if (auto ok = require_string(p, "merchantRefNum", where); !ok) return bad_parameters(ok.error());
    req.target = root + "/" + std::string(resource) + "?merchantRefNum=" + percent_encode(get_string(p, "merchantRefNum"));
    return req;
  };

  if (call.op == "create_payment_handle") {
    if (auto ok = require_string(p, "merchantRefNum", where); !ok) return bad_parameters(ok.error());
    if (auto ok = require_string(p, "transactionType", where); !ok) return bad_parameters(ok.error());
    auto money = amount_of(p, where);
    if (!money) return money.error();
    const json::object* etransfer = get_object(p, "interacEtransfer");
    if (!etransfer) return fail(adapter_errc::bad_parameters, where + ": missing field 'interacEtransfer'");
    if (auto ok = require_string(*etransfer, "consumerId", where + " interacEtransfer"); !ok) return bad_parameters(ok.error());

    json::object body;
    body["merchantRefNum"] = p.at("merchantRefNum");
    body["transactionType"] = p.at("transactionType");
    body["paymentType"] = get_string(p, "paymentType").empty() ? "INTERAC_ETRANSFER" : get_string(p, "paymentType");
    if (!settings_.account_id.empty()) body["accountId"] = settings_.account_id;
    body["amount"] = money->minor;
    body["currencyCode"] = money->currency;
    // Request money is Paysafe's default (the seed's example has no mode); send money is asked for.
    if (get_string(p, "mode") == "SEND_MONEY") body["mode"] = "SEND_MONEY";
    if (auto it = p.find("timeToLiveSeconds"); it != p.end() && it->value().is_int64())
      body["timeToLiveSeconds"] = it->value().get_int64();
    json::object e;
    e["consumerId"] = etransfer->at("consumerId");
    e["type"] = get_string(*etransfer, "type").empty() ? "EMAIL" : get_string(*etransfer, "type");
    // The flow hands the answer over sealed ({"sealed": ...}); the executor opens it in memory just
    // before this, so a plain string is expected here. One still sealed is refused: its ciphertext is
    // never sent to Paysafe.
    for (std::string_view f : {"question", "answer"}) {
      const json::value* v = etransfer->if_contains(f);
      if (v == nullptr || v->is_null()) continue;
      if (v->is_object() && v->get_object().contains("sealed"))
        return fail(adapter_errc::bad_parameters,
                    where + ": interacEtransfer." + std::string(f) + " is still sealed: it is opened before the request");
      if (!v->is_string()) return fail(adapter_errc::bad_parameters, type_error(where + " interacEtransfer", f, "a string"));
      if (!v->get_string().empty()) e[f] = *v;
    }
    body["interacEtransfer"] = std::move(e);
    if (const json::object* customer = get_object(p, "customer")) {
      if (auto profile = profile_of(*customer); !profile.empty()) body["profile"] = std::move(profile);
      if (auto ip = get_string(*customer, "ip"); !ip.empty()) body["customerIp"] = ip;
    }
    if (get_string(p, "transactionType") == "PAYMENT" && !settings_.return_url.empty()) {
      json::array links;
      for (std::string_view rel : {"default", "on_failed", "on_cancelled"})
        links.push_back(json::object{{"rel", rel}, {"href", settings_.return_url}});
      body["returnLinks"] = std::move(links);
    }
    return post("/paymenthandles", body);
  }
  if (call.op == "create_payment" || call.op == "create_verification" || call.op == "create_standalone_credit") {
    if (auto ok = require_string(p, "merchantRefNum", where); !ok) return bad_parameters(ok.error());
    if (auto ok = require_string(p, "paymentHandleToken", where); !ok) return bad_parameters(ok.error());
    auto money = amount_of(p, where);
    if (!money) return money.error();
    json::object body;
    body["merchantRefNum"] = p.at("merchantRefNum");
    body["amount"] = money->minor;
    body["currencyCode"] = money->currency;
    body["paymentHandleToken"] = p.at("paymentHandleToken");
    // dupCheck: Paysafe refuses a second transaction under the same merchantRefNum (5031), so the
    // executor may send the call again after a timeout or a crash.
    body["dupCheck"] = true;
    if (call.op == "create_payment") {
      body["settleWithAuth"] = get_bool(p, "settleWithAuth", true);
      return post("/payments", body);
    }
    if (call.op == "create_verification") return post("/verifications", body);
    if (auto d = get_string(p, "description"); !d.empty()) body["description"] = d;
    return post("/standalonecredits", body);
  }
  if (call.op == "get_payment_handle") return get("paymenthandles", "payment_handle_id");
  if (call.op == "get_payment") return get("payments", "payment_id");
  // A lost /verifications answer: found again by its merchantRefNum (<txn_id>-verification).
  if (call.op == "get_verification") return get("verifications", "verification_id");
  if (call.op == "get_standalone_credit") return get("standalonecredits", "standalone_credit_id");
  return fail(adapter_errc::unknown_operation, "interac: unknown operation '" + call.op + "'");
}

Result<ParsedInput> InteracAdapter::parse_response(const ProviderCall& call, const HttpResponse& response) const {
  const std::string where = "interac " + call.op + " answer (HTTP " + std::to_string(response.status) + ")";
  const int s = response.status;
  if (auto busy = busy_status(s)) return fail(*busy, where + ": " + paysafe_error(response).message);
  const Operation* op = operation(call.op);
  if (op == nullptr) return fail(adapter_errc::unknown_operation, "interac: unknown operation '" + call.op + "'");

  ParsedInput in;
  in.txn_id = std::string(txn_id_of_call(call.call_id));
  if (s >= 400) {
    const PaysafeError error = paysafe_error(response);
    if (op->duplicate_is_processing && error.code == kDuplicateCode) {
      // A retry of a call Paysafe already took (its first answer was lost): the payment or credit
      // exists under this merchantRefNum. The flow treats it as in progress and finds its status
      // with GET ?merchantRefNum= (and its webhooks).
      in.name = std::string(op->ok);
      const std::string_view ref = call.params.text("merchantRefNum");
      in.data = op->resource == Resource::credit ? already_processed<InteracStandaloneCredit>(ref, error.message)
                                                 : already_processed<InteracPayment>(ref, error.message);
      return in;
    }
    if (!op->rejected.empty()) {
      in.name = std::string(op->rejected);
      in.data = fields::to_object(InteracRejection{.http_status = s, .error = error.message, .code = error.code});
      return in;
    }
    // A look-up of something Paysafe does not hold: call.failed says not_found (reconciliation).
    if (s == 404 && !op->list_key.empty()) return fail(adapter_errc::not_found, where + ": " + error.message);
    return fail(adapter_errc::unexpected_answer, where + ": " + error.message);
  }
  if (s < 200 || s >= 300) return fail(adapter_errc::unexpected_answer, where + ": unexpected status");

  auto body = parse_object(response.body, where);
  if (!body) return body.error();
  json::object resource;
  if (!op->list_key.empty() && !body->contains("status")) {
    // GET ?merchantRefNum= answers a list; the latest resource (by txnTime) is the one that counts.
    const json::value* list = body->if_contains(op->list_key);
    if (list == nullptr || !list->is_array())
      return fail(adapter_errc::malformed, where + ": field '" + std::string(op->list_key) + "' must be an array");
    const json::object* latest = nullptr;
    for (const auto& item : list->get_array()) {
      if (!item.is_object())
        return fail(adapter_errc::malformed, where + ": '" + std::string(op->list_key) + "' must hold objects");
      if (latest == nullptr || get_string(item.get_object(), "txnTime") >= get_string(*latest, "txnTime"))
        latest = &item.get_object();
    }
    if (latest == nullptr) {
      return fail(adapter_errc::not_found, where + ": no " + std::string(op->list_key) + " with merchantRefNum '" +
                                               std::string(call.params.text("merchantRefNum")) + "'");
    }
    resource = *latest;
  } else {
    resource = std::move(*body);
  }
  if (auto ok = check_resource(resource, where); !ok) return ok.error();
  in.name = std::string(op->ok);
  in.data = resource_input(op->resource, resource);
  return in;
}

Result<ParsedInput> InteracAdapter::parse_webhook(const HttpRequest& request) const {
  // Paysafe: "digest = HMAC_SHA256(hmacKey, UTF-8 JSON webhook request body); signature = base64(digest)",
  // sent as the Signature header. Checked on the raw bytes, in constant time, before anything is parsed.
  const std::string_view header = request.header(settings_.signature_header);
  if (header.empty()) return fail(adapter_errc::bad_signature, "interac webhook: missing " + settings_.signature_header + " header");
  const auto expected = hmac_sha256(settings_.webhook_hmac_key, request.body);
  const auto given = signature_bytes(header);
  if (!given || !constant_time_equal(*given, bytes_of(expected)))
    return fail(adapter_errc::bad_signature, "interac webhook: " + settings_.signature_header + " does not match the body");

  const std::string where = "interac webhook";
  auto body = parse_object(request.body, where);
  if (!body) return body.error();
  // Envelope: {"payload": {...the resource...}, "eventType", "eventName", "resourceId", "attemptNumber",
  // "eventDate", "mode", "links"}.
  std::string_view event = get_string(*body, "eventType");
  if (event.empty()) event = get_string(*body, "eventName");
  if (!event_name_ok(event))
    return fail(adapter_errc::malformed, where + ": field 'eventType' must be a Paysafe event name (A-Z and _)");
  json::value* payload_value = body->if_contains("payload");
  if (payload_value == nullptr || !payload_value->is_object())
    return fail(adapter_errc::malformed, where + ": field 'payload' must be an object");
  json::object payload = std::move(payload_value->get_object());
  if (!handled_event(event)) {
    // Acknowledged and kept, never acted on: Paysafe stops redelivering it. No flow reads it: its data
    // is the payload as Paysafe sent it (of any shape, the echoed answer dropped), for whoever looks.
    ParsedInput in;
    in.name = std::string(event);
    in.unhandled = true;
    if (auto ref = get_string(payload, "merchantRefNum"); !ref.empty()) in.txn_id = interac_txn_of_merchant_ref(ref);
    std::string_view resource = get_string(*body, "resourceId");
    if (resource.empty()) resource = get_string(payload, "id");
    if (!resource.empty()) in.dedupe_id = std::string(event) + ":" + std::string(resource);
    drop_answer(payload);
    in.data = std::move(payload);
    return in;
  }
  const std::string payload_where = where + " payload";
  if (auto ok = require_string(payload, "merchantRefNum", payload_where); !ok) return ok.error();
  if (auto ok = check_resource(payload, payload_where); !ok) return ok.error();

  ParsedInput in;
  in.txn_id = interac_txn_of_merchant_ref(get_string(payload, "merchantRefNum"));
  in.name = std::string(flow_event_name(event));
  // Paysafe re-delivers an event (attemptNumber grows) with the same event type and resource:
  // that pair identifies it; the ingress turns it into the input id.
  std::string_view resource = get_string(*body, "resourceId");
  if (resource.empty()) resource = get_string(payload, "id");
  if (resource.empty()) resource = get_string(payload, "merchantRefNum");
  in.dedupe_id = std::string(event) + ":" + std::string(resource);
  in.data = resource_input(event_resource(in.name), payload);
  return in;
}

AdapterRegistration interac_registration() {
  return AdapterRegistration{
      "interac",
      {
          {"base_url", true, "", "Paysafe API root: https://api.paysafe.com (live), https://api.test.paysafe.com (test); the sandbox's when sandbox.enabled"},
          {"api_key", false, "", "Paysafe API key '<user>:<password>' (or its base64 form): Authorization: Basic base64(key)"},
          {"webhook_hmac_key", true, "", "HMAC key of webhook signatures: Signature = base64(HMAC-SHA256(key, raw body))"},
          {"signature_header", false, "Signature", "header carrying the webhook signature"},
          {"account_id", false, "", "optional Paysafe accountId sent with payment handles (merchant account for CAD)"},
          {"return_url", false, "", "optional returnLinks (default, on_failed, on_cancelled) of request-money handles"},
          {"handle_ttl_seconds", false, "", "flows: handle TTL when Paysafe's answer has no timeToLiveSeconds (899); the sandbox's TTL"},
          {"send_money_ttl_seconds", false, "", "interac.payment: timeToLiveSeconds asked in send-money mode (899, at least 120)"},
          {"handle_expiry_grace_ms", false, "", "interac.payment: after the TTL, how long a handle Paysafe still shows open is checked before it expires on corridor's clock (1920000: Interac's 30 minutes and 2)"},
          {"processing_deadline_ms", false, "", "interac.payment: last check of a PROCESSING payment, the two-day rule; then unknown (176400000)"},
          {"poll_interval_ms", false, "", "first delay between status GETs (payment 60000, withdrawal 300000)"},
          {"poll_max_interval_ms", false, "", "cap of the doubling poll delay (payment 3600000, withdrawal 21600000)"},
          {"max_polls", false, "", "status GETs per wait before unknown (payment 60, withdrawal 140)"},
          {"retry_after_ms", false, "", "first delay before re-sending an unanswered /payments or /standalonecredits, or a handle request not sent (30000)"},
          {"retry_max_interval_ms", false, "", "cap of the doubling re-send delay (10 x retry_after_ms: 300000)"},
          {"max_retries", false, "", "re-sends before unknown (/payments, /standalonecredits) or failed (a handle request never sent) (5)"},
          {"autodeposit_deadline_ms", false, "", "interac.withdrawal: last check of an autodeposit credit, T+1 and a day; then unknown (172800000)"},
          {"claim_deadline_ms", false, "", "interac.withdrawal: last check of a credit with a security question; then unknown (2678400000)"},
          {"verification_lookups", false, "", "interac.withdrawal: GETs of a verification whose answer was lost, before the withdrawal fails (3)"},
      },
      [](const ProviderSettings& s) -> std::unique_ptr<ProviderAdapter> {
        return std::make_unique<InteracAdapter>(interac_settings(s));
      },
      ProviderConstraints{.currencies = {kCurrency}},
  };
}

}  // namespace corridor
