#include "sandbox/novasend/novasend_sandbox.hpp"

#include <algorithm>
#include <array>
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
#include "statemachines/timefmt.hpp"

namespace corridor {

namespace {

using SteadyClock = std::chrono::steady_clock;

// ---- scenarios: chosen by the session's msisdn (docs/providers/novasend.md) -----------------------

enum class Scenario {
  completed,          // the customer accepts; transaction.status completed (any other msisdn too)
  failed,             // the customer accepts; transaction.status failed
  declined,           // the customer refuses: confirmationStatus declined, webhook payin.declined
  expired,            // nobody acts: confirmationStatus expired after expire_after, no webhook
  no_confirmation,    // confirmationRequired=false; then completed, no webhook
  unavailable_once,   // the first attempt under an idempotency key gets 503 and creates nothing
  lost_response,      // the session is created but the first answer is a 500; a replay returns it
  slow_response,      // the answer comes after slow_response
  duplicate_webhook,  // payin.confirmed is delivered twice (same event id)
  no_webhook,         // completed, but no webhook: corridor must poll
  failed_silently,    // the customer accepts; transaction.status failed; no webhook
  webhook_first,      // the customer accepts at once; the webhook is delivered before the answer
  refused,            // the session is refused: 422
  amount_mismatch,    // the customer accepts; transaction.amount is one unit less than the payin's
  processed_late,     // the customer validates as in the seed's example (status processed,
                      // confirmationStatus still none); transaction only after late_settle_delay; no webhook
};

struct ScenarioEntry {
  std::string_view msisdn;
  Scenario scenario;
};

constexpr std::array kScenarios{
    ScenarioEntry{"+2250700000001", Scenario::completed},        ScenarioEntry{"+2250700000002", Scenario::failed},
    ScenarioEntry{"+2250700000003", Scenario::declined},         ScenarioEntry{"+2250700000004", Scenario::expired},
    ScenarioEntry{"+2250700000005", Scenario::no_confirmation},  ScenarioEntry{"+2250700000006", Scenario::unavailable_once},
    ScenarioEntry{"+2250700000007", Scenario::lost_response},    ScenarioEntry{"+2250700000008", Scenario::slow_response},
    ScenarioEntry{"+2250700000009", Scenario::duplicate_webhook}, ScenarioEntry{"+2250700000010", Scenario::no_webhook},
    ScenarioEntry{"+2250700000011", Scenario::webhook_first},    ScenarioEntry{"+2250700000012", Scenario::refused},
    ScenarioEntry{"+2250700000013", Scenario::failed_silently},  ScenarioEntry{"+2250700000014", Scenario::amount_mismatch},
    ScenarioEntry{"+2250700000015", Scenario::processed_late},
};

Scenario scenario_of(std::string_view msisdn) {
  for (const auto& e : kScenarios) {
    if (e.msisdn == msisdn) return e.scenario;
  }
  return Scenario::completed;
}

// ---- helpers --------------------------------------------------------------------------------------


// The sandbox signs on its own (not through the adapter), so the two implementations check each other.
std::string sign(std::string_view secret, std::string_view payload) { return hmac_sha256_hex(secret, payload); }

HttpResponse error_response(int status, std::string message) {
  return json_response(status, json::serialize(json::object{{"message", std::move(message)}}));
}

std::string now_iso() {
  return format_time(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

// Validates the seed's request body; the answer names the field.
std::optional<std::string> invalid_session_body(const json::value& v) {
  if (!v.is_object()) return "body must be a JSON object";
  const auto& o = v.get_object();
  auto non_empty_string = [&](std::string_view f) -> std::optional<std::string> {
    auto it = o.find(f);
    if (it == o.end()) return "field '" + std::string(f) + "' is required";
    if (!it->value().is_string() || it->value().get_string().empty()) {
      return "field '" + std::string(f) + "' must be a non-empty string";
    }
    return std::nullopt;
  };
  if (auto e = non_empty_string("reference")) return e;
  if (auto e = non_empty_string("accountId")) return e;
  auto amount = o.find("amount");
  if (amount == o.end()) return "field 'amount' is required";
  // "Montant à payer (en unités entières, sans décimales)".
  if (!(amount->value().is_int64() && amount->value().get_int64() > 0) &&
      !(amount->value().is_uint64() && amount->value().get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))) {
    return "field 'amount' must be a positive whole number";
  }
  if (auto e = non_empty_string("msisdn")) return e;
  const std::string_view msisdn = o.at("msisdn").get_string();
  const bool e164 = msisdn.size() >= 9 && msisdn.size() <= 16 && msisdn[0] == '+' && msisdn[1] != '0' &&
                    msisdn.substr(1).find_first_not_of("0123456789") == std::string_view::npos;
  if (!e164) return "field 'msisdn' must be an E.164 number (+2250700000000)";
  if (auto it = o.find("customerName"); it != o.end() && !it->value().is_string()) {
    return "field 'customerName' must be a string";
  }
  if (auto it = o.find("country"); it != o.end()) {
    const bool ok = it->value().is_string() && it->value().get_string().size() == 2 &&
                    std::all_of(it->value().get_string().begin(), it->value().get_string().end(),
                                [](char c) { return c >= 'A' && c <= 'Z'; });
    if (!ok) return "field 'country' must be an ISO 3166 alpha-2 code (CI, SN, TG, ...)";
  }
  return std::nullopt;
}

}  // namespace

struct NovaSendSandbox::Impl {
  struct Payin {
    json::object view;  // what GET /v1/payin/{reference} answers
    Scenario scenario = Scenario::completed;
    std::string customer_reference;
    std::optional<Respond> deferred;  // webhook_first: the session answer waits for the webhook
    HttpResponse deferred_response;
  };
  struct Replay {
    json::value request;  // the body first sent under the key
    HttpResponse response;
  };

  NovaSendSandboxOptions options;
  std::string authorization;
  std::unique_ptr<HttpClient> client = make_http_client();

  mutable std::mutex m;
  std::string webhook_url;
  std::string base_url;
  std::mt19937_64 random{std::random_device{}()};
  std::unordered_map<std::string, Payin> payins;          // by tr_ reference
  std::unordered_map<std::string, std::string> links;     // paymentUrl short code -> reference
  std::unordered_map<std::string, Replay> replays;        // by X-Idempotency-Key
  std::set<std::string> failed_once;                      // unavailable_once: keys already answered 503
  std::unordered_map<std::string, std::size_t> sessions;  // by customer reference
  std::unordered_map<std::string, std::string> latest;    // customer reference -> tr_ reference
  std::unordered_map<std::string, std::size_t> delivered; // webhooks answered 2xx, by customer reference
  std::size_t requests = 0;
  std::atomic<std::size_t> attempts{0};

  std::unique_ptr<TaskQueue> tasks;
  std::unique_ptr<HttpServer> server;

  std::string random_id(std::size_t n) {
    static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += kAlphabet[random() % 36];
    return out;
  }

  bool authorized(const HttpRequest& req) const {
    const std::string_view given = req.header("Authorization");
    return given.size() > 6 && (given.substr(0, 6) == "Basic " || given.substr(0, 6) == "basic ") &&
           given.substr(6) == authorization.substr(6);
  }

  // Test-only (the crash harness): payin sessions created per merchant reference; replays under
  // the same idempotency key are not counted.
  HttpResponse charges() {
    std::lock_guard lock(m);
    json::object out;
    for (const auto& [ref, n] : sessions) out[ref] = n;
    return json_response(200, json::serialize(out));
  }

  void handle(HttpRequest req, Respond respond) {
    std::string_view path = req.target;
    path = path.substr(0, path.find('?'));
    if (path == "/v1/payin/sessions") {
      if (req.method != "POST") return respond(error_response(405, "use POST"));
      return create_session(req, std::move(respond));
    }
    if (path.starts_with("/v1/payin/")) {
      if (req.method != "GET") return respond(error_response(405, "use GET"));
      return respond(get_payin(req, path.substr(10)));
    }
    if (path.starts_with("/link/") && req.method == "GET") return respond(link_page(path.substr(6)));
    if (path == "/healthz") return respond(json_response(200, R"({"status":"ok"})"));
    if (path == "/_sandbox/charges" && req.method == "GET") return respond(charges());
    respond(error_response(404, "no route " + req.method + " " + std::string(path)));
  }

  HttpResponse unauthorized() {
    HttpResponse r = error_response(401, "invalid credentials: Authorization: Basic base64(api_key:api_client)");
    r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"NovaSend\"");
    return r;
  }

  void create_session(const HttpRequest& req, Respond respond) {
    std::optional<HttpResponse> now;          // answered at once
    std::optional<SteadyClock::time_point> later;  // answered after a delay
    {
      std::lock_guard lock(m);
      ++requests;
      now = create_session_locked(req, respond, later);
    }
    if (now) return respond(std::move(*now));
    if (later) {
      // slow_response: the session exists; its answer is held back.
      auto shared = std::make_shared<Respond>(std::move(respond));
      HttpResponse answer;
      {
        std::lock_guard lock(m);
        answer = replays.at(std::string(req.header("X-Idempotency-Key"))).response;
      }
      tasks->at(*later, [shared, answer] { (*shared)(answer); });
    }
    // Otherwise the payin holds `respond` (webhook_first).
  }

  std::optional<HttpResponse> create_session_locked(const HttpRequest& req, Respond& respond,
                                                    std::optional<SteadyClock::time_point>& later) {
    if (!authorized(req)) return unauthorized();
    const std::string key(req.header("X-Idempotency-Key"));
    if (key.empty()) return error_response(400, "X-Idempotency-Key header is required");
    boost::system::error_code ec;
    json::value body = json::parse(req.body, ec);
    if (ec) return error_response(400, "body is not valid JSON: " + ec.message());
    if (auto invalid = invalid_session_body(body)) return error_response(400, *invalid);

    if (auto it = replays.find(key); it != replays.end()) {
      if (it->second.request != body) {
        return error_response(422, "X-Idempotency-Key '" + key + "' was already used with a different request body");
      }
      HttpResponse replay = it->second.response;
      replay.headers.emplace_back("Idempotent-Replayed", "true");
      return replay;
    }

    const auto& o = body.get_object();
    const std::string msisdn(o.at("msisdn").get_string());
    const Scenario scenario = scenario_of(msisdn);
    if (scenario == Scenario::refused) return error_response(422, "msisdn " + msisdn + " is not eligible for payin");
    if (scenario == Scenario::unavailable_once && failed_once.insert(key).second) {
      return error_response(503, "service temporarily unavailable");
    }

    // A new session.
    const std::int64_t amount = o.at("amount").is_int64() ? o.at("amount").get_int64()
                                                          : static_cast<std::int64_t>(o.at("amount").get_uint64());
    const std::int64_t fee = amount * 2 / 100;  // the seed's example: 300 -> fee 6, chargedAmount 306
    const std::string reference = "tr_" + random_id(26);
    const std::string code = random_id(10);
    const std::string customer_reference(o.at("reference").get_string());
    const bool confirmation = scenario != Scenario::no_confirmation;

    json::object view;
    view["type"] = "payin";
    view["fee"] = fee;
    view["reference"] = reference;
    view["phoneNumber"] = msisdn;
    view["customerName"] = o.contains("customerName") ? o.at("customerName") : json::value("");
    view["amount"] = amount;
    view["chargedAmount"] = amount + fee;
    view["status"] = confirmation ? "processing" : "processed";
    view["currency"] = options.currency;
    view["customerReference"] = customer_reference;
    view["confirmationRequired"] = confirmation;
    view["confirmationStatus"] = "none";
    if (confirmation) view["paymentUrl"] = base_url + "/link/" + code;
    view["createdAt"] = now_iso();

    Payin& p = payins[reference];
    p.view = view;
    p.scenario = scenario;
    p.customer_reference = customer_reference;
    links[code] = reference;
    ++sessions[customer_reference];
    latest[customer_reference] = reference;

    // The session answer is the POST view (no transaction/failure yet), stored for replays.
    HttpResponse created = json_response(201, json::serialize(view));
    replays[key] = Replay{body, created};

    const auto t0 = SteadyClock::now();
    schedule_customer(reference, scenario, t0);

    switch (scenario) {
      case Scenario::lost_response:
        return error_response(500, "internal error");
      case Scenario::slow_response:
        later = t0 + options.slow_response;
        return std::nullopt;
      case Scenario::webhook_first:
        p.deferred = std::move(respond);
        p.deferred_response = created;
        return std::nullopt;
      default:
        return created;
    }
  }

  void schedule_customer(const std::string& reference, Scenario scenario, SteadyClock::time_point t0) {
    // Every session expires unless its customer acted first.
    tasks->at(t0 + options.expire_after, [this, reference] { expire(reference); });
    switch (scenario) {
      case Scenario::expired:
        return;
      case Scenario::webhook_first:
        tasks->at(t0, [this, reference] { customer_acts(reference); });
        return;
      case Scenario::no_confirmation:
        tasks->at(t0 + options.customer_delay, [this, reference] { settle(reference); });
        return;
      default:
        tasks->at(t0 + options.customer_delay, [this, reference] { customer_acts(reference); });
    }
  }

  // The seed: "processed: Paiement validé par le client (mais ne définit pas le statut final)";
  // transaction.status is the final truth.
  void settle_locked(Payin& p) {
    const bool ok = p.scenario != Scenario::failed && p.scenario != Scenario::failed_silently;
    // amount_mismatch: the core system processes another amount than the payin's.
    const std::int64_t short_by = p.scenario == Scenario::amount_mismatch ? 1 : 0;
    const std::string amount = std::to_string(get_int(p.view, "amount") - short_by) + ".00";
    const std::string charged = std::to_string(get_int(p.view, "chargedAmount") - short_by) + ".00";
    p.view["status"] = "processed";
    p.view["transaction"] = json::object{{"reference", "tr_" + random_id(16)},
                                         {"status", ok ? "completed" : "failed"},
                                         {"customerName", p.view["customerName"]},
                                         {"processedAt", now_iso()},
                                         {"phoneNumber", p.view["phoneNumber"]},
                                         {"amount", amount},
                                         {"fees", "0.00"},
                                         {"chargedAmount", charged},
                                         {"currency", options.currency}};
    p.view["failure"] = ok ? json::value(nullptr)
                           : json::value(json::object{{"code", "insufficient_funds"},
                                                      {"message", "the wallet balance is too low"}});
  }

  void settle(const std::string& reference) {
    std::lock_guard lock(m);
    auto it = payins.find(reference);
    if (it == payins.end() || get_object(it->second.view, "transaction")) return;
    settle_locked(it->second);
  }

  void customer_acts(const std::string& reference) {
    std::string event;
    json::object data;
    int copies = 1;
    bool webhook = true;
    {
      std::lock_guard lock(m);
      auto it = payins.find(reference);
      if (it == payins.end()) return;
      Payin& p = it->second;
      if (get_string(p.view, "confirmationStatus") != "none") return;  // expired first
      if (p.scenario == Scenario::processed_late) {
        // The seed's example: processed ("validé par le client") with confirmationStatus none and no
        // transaction yet; settled later, told by no webhook.
        p.view["status"] = "processed";
        p.view["transaction"] = nullptr;
        p.view["failure"] = nullptr;
        tasks->at(SteadyClock::now() + options.late_settle_delay, [this, reference] { settle(reference); });
        return;
      }
      if (p.scenario == Scenario::declined) {
        p.view["confirmationStatus"] = "declined";
        p.view["status"] = "processed";
        p.view["transaction"] = nullptr;
        p.view["failure"] = json::object{{"code", "customer_declined"}, {"message", "the customer refused the payment"}};
        event = "payin.declined";
      } else {
        p.view["confirmationStatus"] = "accepted";
        p.view["status"] = "processed";
        p.view["transaction"] = nullptr;
        p.view["failure"] = nullptr;
        event = "payin.confirmed";
        if (options.settle_delay.count() == 0) {
          settle_locked(p);
        } else {
          tasks->at(SteadyClock::now() + options.settle_delay, [this, reference] { settle(reference); });
        }
      }
      if (p.scenario == Scenario::duplicate_webhook) copies = 2;
      if (p.scenario == Scenario::no_webhook || p.scenario == Scenario::failed_silently) webhook = false;
      data = p.view;
    }
    if (webhook) {
      auto envelope = std::make_shared<std::string>(json::serialize(
          json::object{{"id", "evt_" + locked_random_id(24)}, {"event", event}, {"createdAt", now_iso()}, {"data", data}}));
      for (int i = 0; i < copies; ++i) deliver(reference, envelope, 1);
    }
    release_deferred(reference);
  }

  std::string locked_random_id(std::size_t n) {
    std::lock_guard lock(m);
    return random_id(n);
  }

  void release_deferred(const std::string& reference) {
    std::optional<Respond> respond;
    HttpResponse answer;
    {
      std::lock_guard lock(m);
      auto it = payins.find(reference);
      if (it == payins.end() || !it->second.deferred) return;
      respond = std::move(it->second.deferred);
      it->second.deferred.reset();
      answer = it->second.deferred_response;
    }
    (*respond)(std::move(answer));
  }

  void expire(const std::string& reference) {
    std::lock_guard lock(m);
    auto it = payins.find(reference);
    if (it == payins.end()) return;
    Payin& p = it->second;
    if (!get_bool(p.view, "confirmationRequired", true) || get_string(p.view, "confirmationStatus") != "none" ||
        get_string(p.view, "status") == "processed")
      return;
    p.view["confirmationStatus"] = "expired";
    p.view["status"] = "expired";
    p.view["transaction"] = nullptr;
    p.view["failure"] = nullptr;
  }

  // Posts a signed webhook; tries again later while corridor does not answer 2xx.
  void deliver(const std::string& reference, std::shared_ptr<std::string> body, int attempt) {
    std::string url;
    std::string customer_reference;
    {
      std::lock_guard lock(m);
      url = webhook_url;
      if (auto it = payins.find(reference); it != payins.end()) customer_reference = it->second.customer_reference;
    }
    if (url.empty()) return;
    const std::string t = std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    ++attempts;
    const HttpHeaders signature{
        {options.signature_header, "t=" + t + ",v1=" + sign(options.webhook_secret, t + "." + *body)}};
    if (post_json(*client, url, *body, signature, options.webhook_timeout)) {
      std::lock_guard lock(m);
      ++delivered[customer_reference];
      return;
    }
    const auto delay = RetryPolicy{options.webhook_attempts, options.webhook_retry_delay}.delay_after(attempt);
    if (!delay) return;
    tasks->at(SteadyClock::now() + *delay, [this, reference, body, attempt] { deliver(reference, body, attempt + 1); });
  }

  HttpResponse get_payin(const HttpRequest& req, std::string_view reference) {
    std::lock_guard lock(m);
    if (!authorized(req)) return unauthorized();
    auto it = payins.find(std::string(reference));
    if (it == payins.end()) return error_response(404, "payin '" + std::string(reference) + "' not found");
    json::object view = it->second.view;
    // The seed: transaction is null until the payment is confirmed; failure null unless it failed.
    if (!view.contains("transaction")) view["transaction"] = nullptr;
    if (!view.contains("failure")) view["failure"] = nullptr;
    return json_response(200, json::serialize(view));
  }

  HttpResponse link_page(std::string_view code) {
    std::lock_guard lock(m);
    auto it = links.find(std::string(code));
    if (it == links.end()) return error_response(404, "unknown payment link");
    const Payin& p = payins.at(it->second);
    HttpResponse r;
    r.status = 200;
    r.headers.emplace_back("Content-Type", "text/html; charset=utf-8");
    r.body = "<!doctype html><title>NovaSend sandbox</title><p>NovaSend sandbox payment " + it->second + " of " +
             std::to_string(get_int(p.view, "amount")) + " " + options.currency + " for " +
             std::string(get_string(p.view, "phoneNumber")) + ": confirmationStatus " +
             std::string(get_string(p.view, "confirmationStatus")) +
             ". The simulated customer acts on their own (see docs/providers/novasend.md).</p>";
    return r;
  }
};

NovaSendSandbox::NovaSendSandbox(NovaSendSandboxOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->authorization = "Basic " + base64(impl_->options.api_key + ":" + impl_->options.api_client);
  impl_->webhook_url = impl_->options.webhook_url;
  impl_->tasks = std::make_unique<TaskQueue>(impl_->options.task_threads);
}

NovaSendSandbox::~NovaSendSandbox() { stop(); }

void NovaSendSandbox::start(const std::string& host, std::uint16_t port) {
  std::string url = start_server(impl_->server, "novasend", host, port, 64 * 1024,
                                 [impl = impl_.get()](HttpRequest req, Respond respond) {
                                   impl->handle(std::move(req), std::move(respond));
                                 });
  std::lock_guard lock(impl_->m);
  impl_->base_url = std::move(url);
}

void NovaSendSandbox::stop() {
  if (impl_->server) impl_->server->stop();
  if (impl_->tasks) impl_->tasks->stop();
  // Answers still held (webhook_first) are dropped with the payins when the sandbox goes.
  std::lock_guard lock(impl_->m);
  for (auto& [ref, p] : impl_->payins) p.deferred.reset();
}

std::uint16_t NovaSendSandbox::port() const { return impl_->server ? impl_->server->port() : 0; }

std::string NovaSendSandbox::base_url() const {
  std::lock_guard lock(impl_->m);
  return impl_->base_url;
}

void NovaSendSandbox::set_webhook_url(std::string url) {
  std::lock_guard lock(impl_->m);
  impl_->webhook_url = std::move(url);
}

void NovaSendSandbox::handle(HttpRequest request, Respond respond) { impl_->handle(std::move(request), std::move(respond)); }

std::size_t NovaSendSandbox::sessions_created(std::string_view customer_reference) const {
  std::lock_guard lock(impl_->m);
  auto it = impl_->sessions.find(std::string(customer_reference));
  return it == impl_->sessions.end() ? 0 : it->second;
}

std::size_t NovaSendSandbox::session_requests() const {
  std::lock_guard lock(impl_->m);
  return impl_->requests;
}

std::string NovaSendSandbox::reference_of(std::string_view customer_reference) const {
  std::lock_guard lock(impl_->m);
  auto it = impl_->latest.find(std::string(customer_reference));
  return it == impl_->latest.end() ? std::string() : it->second;
}

std::size_t NovaSendSandbox::webhooks_delivered(std::string_view customer_reference) const {
  std::lock_guard lock(impl_->m);
  auto it = impl_->delivered.find(std::string(customer_reference));
  return it == impl_->delivered.end() ? 0 : it->second;
}

std::size_t NovaSendSandbox::webhook_attempts() const { return impl_->attempts.load(); }

}  // namespace corridor
