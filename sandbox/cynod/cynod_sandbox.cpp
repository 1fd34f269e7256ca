#include "sandbox/cynod/cynod_sandbox.hpp"

#include <algorithm>
#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

#include "engine/io/http_client.hpp"
#include "engine/io/http_server.hpp"
#include "sandbox/support/server.hpp"
#include "sandbox/support/signing.hpp"
#include "sandbox/support/task_queue.hpp"
#include "sandbox/support/webhooks.hpp"
#include "statemachines/domain.hpp"
#include "statemachines/money.hpp"
#include "statemachines/timefmt.hpp"

namespace corridor {

namespace {

using SteadyClock = std::chrono::steady_clock;

enum class Scenario {
  approve,            // in progress, the customer confirms, authorization.approved webhook
  no_account,         // step 5: declined at once, reason no_account
  no_balance,         // step 5: declined at once, reason insufficient_balance
  customer_refuses,   // step 7: authorization.declined webhook, reason customer_refused
  never_confirms,     // in progress forever; corridor's cancel withdraws it
  unavailable_once,   // the first request for a partner reference gets 503 and creates nothing
  slow_answer,        // the answer comes after slow_response
  duplicate_webhook,  // authorization.approved delivered twice (same event id)
  out_of_order,       // approved webhook before the HTTP answer, then a late in_progress webhook
  no_callback,        // the customer confirms but no webhook: the cancel answer (409) tells the truth
  rejected,           // 422 card_not_enrolled
  other_amount,       // approve, but step 8.2 reports one unit less than the amount asked
  acknowledgement_fails,  // approve; every acknowledgement (step 10) is answered 500
};

Scenario scenario_of(std::string_view card) {
  namespace c = cynod_cards;
  if (card == c::kNoAccount) return Scenario::no_account;
  if (card == c::kNoBalance) return Scenario::no_balance;
  if (card == c::kCustomerRefuses) return Scenario::customer_refuses;
  if (card == c::kNeverConfirms) return Scenario::never_confirms;
  if (card == c::kUnavailableOnce) return Scenario::unavailable_once;
  if (card == c::kSlowAnswer) return Scenario::slow_answer;
  if (card == c::kDuplicateWebhook) return Scenario::duplicate_webhook;
  if (card == c::kOutOfOrder) return Scenario::out_of_order;
  if (card == c::kNoCallback) return Scenario::no_callback;
  if (card == c::kRejected) return Scenario::rejected;
  if (card == c::kOtherAmount) return Scenario::other_amount;
  if (card == c::kAcknowledgementFails) return Scenario::acknowledgement_fails;
  return Scenario::approve;
}

std::string mask(std::string_view pan) {
  std::string out(pan);
  for (std::size_t i = 6; i + 4 < out.size(); ++i) out[i] = '*';
  return out;
}

// Signed on its own (not through the adapter), so the two implementations check each other.
std::string sign(std::string_view secret, std::string_view payload) {
  return "sha256=" + hmac_sha256_hex(secret, payload);
}

HttpResponse error_response(int status, std::string code, std::string message) {
  return json_response(status, json::serialize(json::object{{"code", std::move(code)}, {"message", std::move(message)}}));
}

std::string now_iso() {
  return format_time(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

std::string percent_decode(std::string_view s) {
  auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The resource's amount less one unit of its currency, written the same way.
std::string one_unit_less(const json::object& view) {
  const int exponent = currency_exponent(get_string(view, "currency")).value_or(0);
  const auto minor = parse_decimal_amount(get_string(view, "amount"), exponent);
  std::int64_t unit = 1;
  for (int e = 0; e < exponent; ++e) unit *= 10;
  return format_decimal_amount(minor ? std::max<std::int64_t>(*minor - unit, 0) : 0, exponent);
}

}  // namespace

struct CynodSandbox::Impl {
  struct Authorization {
    json::object view;  // the resource as answered (masked card only)
    Scenario scenario = Scenario::approve;
    std::string webhook_url;
    std::size_t acknowledgements = 0;
    std::size_t cancels = 0;
    std::size_t delivered = 0;
    std::size_t created = 0;
  };

  CynodSandboxOptions options;
  std::unique_ptr<HttpClient> client = make_http_client();
  mutable std::mutex m;
  std::string base_url;
  std::string webhook_url;
  std::mt19937_64 random{std::random_device{}()};
  std::unordered_map<std::string, Authorization> auths;  // by partner reference
  std::set<std::string> failed_once;
  std::size_t requests = 0;
  std::unique_ptr<TaskQueue> tasks;
  std::unique_ptr<HttpServer> server;

  std::string random_id(std::size_t n, const char* alphabet = "abcdefghijklmnopqrstuvwxyz0123456789") {
    const std::size_t size = std::char_traits<char>::length(alphabet);
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += alphabet[random() % size];
    return out;
  }

  bool authorized(const HttpRequest& req) const { return req.header("Authorization") == "Bearer " + options.api_key; }

  // Test-only (the crash harness): authorisations created per partner reference; a replay of the
  // same partner_reference answers the existing one and is not counted.
  HttpResponse charges() {
    std::lock_guard lock(m);
    json::object out;
    for (const auto& [ref, a] : auths)
      if (a.created > 0) out[ref] = a.created;
    return json_response(200, json::serialize(out));
  }

  void handle(HttpRequest req, Respond respond) {
    std::string_view path = req.target;
    path = path.substr(0, path.find('?'));
    const std::string_view root = options.authorizations_path;
    if (path == "/healthz") return respond(json_response(200, R"({"status":"ok"})"));
    if (path == "/_sandbox/charges" && req.method == "GET") return respond(charges());
    if (!path.starts_with(root)) return respond(error_response(404, "not_found", "no route"));
    if (!authorized(req)) return respond(error_response(401, "unauthorized", "Authorization: Bearer <api_key> expected"));
    std::string_view rest = path.substr(root.size());
    if (rest.empty() || rest == "/") {
      if (req.method != "POST") return respond(error_response(405, "method_not_allowed", "use POST"));
      return create(req, std::move(respond));
    }
    rest.remove_prefix(1);
    const std::size_t slash = rest.find('/');
    const std::string ref = percent_decode(rest.substr(0, slash));
    const std::string_view action = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    if (action.empty() && req.method == "GET") return respond(get(ref));
    if (action == "acknowledgement" && req.method == "POST") return respond(acknowledge(ref, req));
    if (action == "cancel" && req.method == "POST") return cancel(ref, std::move(respond));
    respond(error_response(404, "not_found", "no route"));
  }

  HttpResponse get(const std::string& ref) {
    std::lock_guard lock(m);
    auto it = auths.find(ref);
    if (it == auths.end()) return error_response(404, "not_found", "unknown partner_reference");
    return json_response(200, json::serialize(it->second.view));
  }

  void create(const HttpRequest& req, Respond respond) {
    boost::system::error_code ec;
    json::value parsed = json::parse(req.body, ec);
    std::lock_guard lock(m);
    ++requests;
    // Validation answers never quote the card number.
    if (ec || !parsed.is_object()) return respond(error_response(400, "invalid_request", "body must be a JSON object"));
    const auto& o = parsed.get_object();
    const std::string ref(get_string(o, "partner_reference"));
    if (ref.empty()) return respond(error_response(400, "invalid_request", "partner_reference is required"));
    const json::object* card = get_object(o, "card");
    const std::string pan(card ? get_string(*card, "number") : "");
    if (pan.size() < 12 || pan.size() > 19 || pan.find_first_not_of("0123456789") != std::string::npos)
      return respond(error_response(400, "invalid_request", "card.number must be 12-19 digits"));
    const std::string currency(get_string(o, "currency"));
    const auto exponent = currency_exponent(currency);
    if (!exponent) return respond(error_response(400, "invalid_request", "currency must be an ISO 4217 code"));
    if (!o.contains("amount") || !o.at("amount").is_string() ||
        !parse_decimal_amount(o.at("amount").get_string(), *exponent).ok())
      return respond(error_response(400, "invalid_request", "amount must be a decimal string"));

    // One authorisation per partner reference: a repeated request answers the first one's state.
    if (auto it = auths.find(ref); it != auths.end()) return respond(json_response(200, json::serialize(it->second.view)));
    const Scenario scenario = scenario_of(pan);
    if (scenario == Scenario::rejected) return respond(error_response(422, "card_not_enrolled", "the card is not a Cynod wallet card"));
    if (scenario == Scenario::unavailable_once && failed_once.insert(ref).second)
      return respond(error_response(503, "unavailable", "service temporarily unavailable"));

    Authorization& a = auths[ref];
    a.scenario = scenario;
    a.created = 1;
    a.webhook_url = get_string(o, "notification_url").empty() ? webhook_url : std::string(get_string(o, "notification_url"));
    a.view = {{"id", "cyn_auth_" + random_id(20)},
              {"partner_reference", ref},
              {"status", "in_progress"},
              {"card", mask(pan)},
              {"amount", o.at("amount")},
              {"currency", currency},
              {"created_at", now_iso()}};
    if (scenario == Scenario::no_account || scenario == Scenario::no_balance) {
      a.view["status"] = "declined";
      a.view["decline_reason"] = scenario == Scenario::no_account ? "no_account" : "insufficient_balance";
      return respond(json_response(200, json::serialize(a.view)));
    }
    // Step 6.1: the wallet asks the customer; step 6.2: the partner is told it is in progress.
    const HttpResponse in_progress = json_response(202, json::serialize(a.view));
    const auto now = SteadyClock::now();
    if (scenario == Scenario::out_of_order) {
      // The customer confirms at once; the 8.2 webhook goes out before the 6.2 answer, and a 6.2
      // webhook after it.
      auto shared = std::make_shared<Respond>(std::move(respond));
      tasks->at(now, [this, ref, shared, in_progress] {
        customer_acts(ref);
        (*shared)(in_progress);
        json::object late = in_progress_view(ref);
        deliver(ref, envelope("authorization.in_progress", late), 1);
      });
      return;
    }
    if (scenario != Scenario::never_confirms)
      tasks->at(now + options.customer_delay, [this, ref] { customer_acts(ref); });
    if (scenario == Scenario::slow_answer) {
      auto shared = std::make_shared<Respond>(std::move(respond));
      tasks->at(now + options.slow_response, [shared, in_progress] { (*shared)(in_progress); });
      return;
    }
    respond(in_progress);
  }

  json::object in_progress_view(const std::string& ref) {
    std::lock_guard lock(m);
    json::object v = auths.at(ref).view;
    v["status"] = "in_progress";
    v.erase("authorization_number");
    return v;
  }

  std::shared_ptr<std::string> envelope(std::string_view type, const json::object& data) {
    std::string id;
    {
      std::lock_guard lock(m);
      id = "evt_" + random_id(24);
    }
    return std::make_shared<std::string>(
        json::serialize(json::object{{"id", id}, {"type", type}, {"created_at", now_iso()}, {"data", data}}));
  }

  // Step 7: the customer answers in the wallet; step 8: Cynod debits and notifies (8.2).
  void customer_acts(const std::string& ref) {
    json::object data;
    std::string type;
    int copies = 1;
    {
      std::lock_guard lock(m);
      auto it = auths.find(ref);
      if (it == auths.end() || get_string(it->second.view, "status") != "in_progress") return;  // cancelled first
      Authorization& a = it->second;
      if (a.scenario == Scenario::customer_refuses) {
        a.view["status"] = "declined";
        a.view["decline_reason"] = "customer_refused";
        type = "authorization.declined";
      } else {
        a.view["status"] = "approved";
        a.view["authorization_number"] = random_id(6, "0123456789");
        if (a.scenario == Scenario::other_amount) a.view["amount"] = one_unit_less(a.view);
        a.view["approved_at"] = now_iso();
        type = "authorization.approved";
      }
      if (a.scenario == Scenario::duplicate_webhook) copies = 2;
      if (a.scenario == Scenario::no_callback) copies = 0;
      data = a.view;
    }
    if (copies == 0) return;
    auto body = envelope(type, data);
    for (int i = 0; i < copies; ++i) deliver(ref, body, 1);
  }

  HttpResponse acknowledge(const std::string& ref, const HttpRequest& req) {
    boost::system::error_code ec;
    json::value parsed = json::parse(req.body, ec);
    std::lock_guard lock(m);
    auto it = auths.find(ref);
    if (it == auths.end()) return error_response(404, "not_found", "unknown partner_reference");
    if (ec || !parsed.is_object()) return error_response(400, "invalid_request", "body must be a JSON object");
    Authorization& a = it->second;
    if (a.scenario == Scenario::acknowledgement_fails) return error_response(500, "unavailable", "acknowledgements are down");
    if (get_string(a.view, "status") != "approved") return error_response(409, "not_approved", "only an approved authorisation is acknowledged");
    if (get_string(parsed.get_object(), "authorization_number") != get_string(a.view, "authorization_number"))
      return error_response(422, "authorization_mismatch", "authorization_number does not match");
    ++a.acknowledgements;  // idempotent: a repeat is answered the same
    return json_response(200, json::serialize(json::object{{"partner_reference", ref},
                                                           {"authorization_number", a.view["authorization_number"]},
                                                           {"status", "acknowledged"}}));
  }

  void cancel(const std::string& ref, Respond respond) {
    std::lock_guard lock(m);
    auto it = auths.find(ref);
    if (it == auths.end()) return respond(error_response(404, "not_found", "unknown partner_reference"));
    Authorization& a = it->second;
    ++a.cancels;
    const std::string_view status = get_string(a.view, "status");
    if (status == "in_progress") {
      a.view["status"] = "cancelled";
      a.view["cancelled_at"] = now_iso();
    } else if (status != "cancelled") {
      // Too late: the customer already answered. The body is the authorisation as it ended.
      return respond(json_response(409, json::serialize(a.view)));
    }
    respond(json_response(200, json::serialize(a.view)));
  }

  // Posts a signed webhook; tries again later while corridor does not answer 2xx.
  void deliver(const std::string& ref, std::shared_ptr<std::string> body, int attempt) {
    std::string url;
    {
      std::lock_guard lock(m);
      if (auto it = auths.find(ref); it != auths.end()) url = it->second.webhook_url;
    }
    if (url.empty()) return;
    const HttpHeaders signature{{options.signature_header, sign(options.webhook_secret, *body)}};
    if (post_json(*client, url, *body, signature, options.webhook_timeout)) {
      std::lock_guard lock(m);
      if (auto it = auths.find(ref); it != auths.end()) ++it->second.delivered;
      return;
    }
    const auto delay = RetryPolicy{options.webhook_attempts, options.webhook_retry_delay}.delay_after(attempt);
    if (!delay) return;
    tasks->at(SteadyClock::now() + *delay, [this, ref, body, attempt] { deliver(ref, body, attempt + 1); });
  }
};

CynodSandbox::CynodSandbox(CynodSandboxOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->webhook_url = impl_->options.webhook_url;
  impl_->tasks = std::make_unique<TaskQueue>(2);
}

CynodSandbox::~CynodSandbox() { stop(); }

void CynodSandbox::start(const std::string& host, std::uint16_t port) {
  std::string url = start_server(impl_->server, "cynod", host, port, 64 * 1024,
                                 [impl = impl_.get()](HttpRequest req, Respond respond) {
                                   impl->handle(std::move(req), std::move(respond));
                                 });
  std::lock_guard lock(impl_->m);
  impl_->base_url = std::move(url);
}

void CynodSandbox::stop() {
  if (impl_->server) impl_->server->stop();
  if (impl_->tasks) impl_->tasks->stop();
}

std::string CynodSandbox::base_url() const {
  std::lock_guard lock(impl_->m);
  return impl_->base_url;
}

void CynodSandbox::set_webhook_url(std::string url) {
  std::lock_guard lock(impl_->m);
  impl_->webhook_url = std::move(url);
}

void CynodSandbox::handle(HttpRequest request, Respond respond) { impl_->handle(std::move(request), std::move(respond)); }

std::size_t CynodSandbox::authorization_requests() const {
  std::lock_guard lock(impl_->m);
  return impl_->requests;
}

#define CYNOD_COUNTER(name, field)                                  \
  std::size_t CynodSandbox::name(std::string_view ref) const {      \
    std::lock_guard lock(impl_->m);                                 \
    auto it = impl_->auths.find(std::string(ref));                  \
    return it == impl_->auths.end() ? 0 : it->second.field;         \
  }
CYNOD_COUNTER(authorizations_created, created)
CYNOD_COUNTER(acknowledgements, acknowledgements)
CYNOD_COUNTER(cancels, cancels)
CYNOD_COUNTER(webhooks_delivered, delivered)
#undef CYNOD_COUNTER

std::string CynodSandbox::status_of(std::string_view ref) const {
  std::lock_guard lock(impl_->m);
  auto it = impl_->auths.find(std::string(ref));
  return it == impl_->auths.end() ? std::string() : std::string(get_string(it->second.view, "status"));
}

}  // namespace corridor
