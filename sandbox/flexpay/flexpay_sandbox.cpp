#include "sandbox/flexpay/flexpay_sandbox.hpp"

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <condition_variable>
#include <ctime>
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
#include "sandbox/support/task_queue.hpp"
#include "sandbox/support/webhooks.hpp"
#include "statemachines/domain.hpp"
#include "statemachines/money.hpp"

namespace corridor {

namespace {

using SteadyClock = std::chrono::steady_clock;

// ---- scenarios: chosen by the amount's cents (docs/providers/flexpay.md) ---------------------------

enum class Scenario {
  approve,             // .00 and any cents not listed: the card is accepted; callback code 0
  decline,             // .01 the card is declined: check status 1, callback code 1
  cancel,              // .02 the customer clicks "annuler": check status 1, callback code 2
  expire,              // .03 the customer never pays: the check keeps saying "Aucune transaction trouvée"
  unavailable_once,    // .04 the first /v1/pay of a reference gets 503 and creates nothing; then approve
  slow_response,       // .05 the /v1/pay answer comes after slow_response; then approve
  duplicate_callback,  // .06 approve, the callback is delivered twice
  late_callback,       // .07 the card is submitted (check: status 2, pending) and only settles, with its
                       //     callback, after late_callback: corridor is verifying by then
  no_callback,         // .08 approve, but no callback at all: corridor must find out with the check
  refused,             // .09 /v1/pay answers code 1 (refused)
  amount_mismatch,     // .10 approve, but the check reports one unit more than the amount asked
};

Scenario scenario_of(std::int64_t minor) {
  switch (minor % 100) {
    case 1: return Scenario::decline;
    case 2: return Scenario::cancel;
    case 3: return Scenario::expire;
    case 4: return Scenario::unavailable_once;
    case 5: return Scenario::slow_response;
    case 6: return Scenario::duplicate_callback;
    case 7: return Scenario::late_callback;
    case 8: return Scenario::no_callback;
    case 9: return Scenario::refused;
    case 10: return Scenario::amount_mismatch;
    default: return Scenario::approve;
  }
}

HttpResponse answer(int status, std::string_view code, std::string message) {
  return json_response(status, json::serialize(json::object{{"code", code}, {"message", std::move(message)}}));
}

// "06-02-2021 17:32:46", as the seed writes createdAt.
std::string flexpay_now() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::array<char, 32> buf{};
  std::strftime(buf.data(), buf.size(), "%d-%m-%Y %H:%M:%S", &tm);
  return buf.data();
}

enum class Outcome { none, pending, succeeded, failed };

// FlexPay writes amounts as "50.0", "50.5", "50.55": written here on its own (not through the adapter)
// so the two implementations check each other.
std::string flexpay_amount_text(std::int64_t minor, int exponent) {
  std::string text = format_decimal_amount(minor, exponent);
  if (exponent <= 0) return text;
  while (text.back() == '0' && text[text.size() - 2] != '.') text.pop_back();
  return text;
}

}  // namespace

struct FlexPaySandbox::Impl {
  struct Order {
    std::string reference;
    std::string order_number;
    std::int64_t minor = 0;
    int exponent = 2;
    std::string currency;
    Scenario scenario = Scenario::approve;
    std::string callback_url;
    Outcome outcome = Outcome::none;
    std::string created_at;
    std::string provider_reference;
    std::string callback_code;
    HttpResponse pay_answer;
  };

  FlexPaySandboxOptions options;
  std::unique_ptr<HttpClient> client = make_http_client();
  mutable std::mutex m;
  std::string base_url;
  std::mt19937_64 random{std::random_device{}()};
  std::unordered_map<std::string, Order> orders;             // by orderNumber
  std::unordered_map<std::string, std::string> by_reference;  // reference -> orderNumber
  std::set<std::string> failed_once;                         // unavailable_once: references answered 503
  std::unordered_map<std::string, std::size_t> delivered;    // callbacks answered 2xx, by reference
  std::unordered_map<std::string, std::size_t> checks;       // by orderNumber
  std::size_t requests = 0;
  std::unique_ptr<TaskQueue> tasks;
  std::unique_ptr<HttpServer> server;

  std::string random_id(std::string_view alphabet, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += alphabet[random() % alphabet.size()];
    return out;
  }

  // Test-only (the crash harness): orders created per reference; a pay request repeating a
  // reference answers the existing order and is not counted.
  HttpResponse charges() {
    std::lock_guard lock(m);
    json::object out;
    for (const auto& [number, order] : orders) {
      auto& n = out[order.reference];
      n = (n.is_int64() ? n.get_int64() : 0) + 1;
    }
    return json_response(200, json::serialize(out));
  }

  void handle(HttpRequest req, Respond respond) {
    std::string_view path = req.target;
    path = path.substr(0, path.find('?'));
    if (path == "/v1/pay") {
      if (req.method != "POST") return respond(answer(405, "1", "use POST"));
      return pay(req, std::move(respond));
    }
    constexpr std::string_view kCheck = "/api/rest/v1/check/";
    if (path.starts_with(kCheck)) {
      if (req.method != "GET") return respond(answer(405, "1", "use GET"));
      return respond(check(req, path.substr(kCheck.size())));
    }
    if (path.starts_with("/pay/") && req.method == "GET") return respond(page(path.substr(5)));
    if (path == "/healthz") return respond(json_response(200, R"({"status":"ok"})"));
    if (path == "/_sandbox/charges" && req.method == "GET") return respond(charges());
    respond(answer(404, "1", "no route " + req.method + " " + std::string(path)));
  }

  // Payment Service (seed): authorization, merchant, reference, amount, currency required.
  void pay(const HttpRequest& req, Respond respond) {
    std::optional<HttpResponse> now;
    std::string order_number;
    bool slow = false;
    {
      std::lock_guard lock(m);
      ++requests;
      now = pay_locked(req, order_number, slow);
    }
    if (slow) {
      auto shared = std::make_shared<Respond>(std::move(respond));
      tasks->at(SteadyClock::now() + options.slow_response, [this, shared, order_number] {
        HttpResponse a;
        {
          std::lock_guard lock(m);
          a = orders.at(order_number).pay_answer;
        }
        (*shared)(std::move(a));
        // The customer only gets the page once the answer is out.
        schedule_customer(order_number);
      });
      return;
    }
    respond(std::move(*now));
    if (!order_number.empty()) schedule_customer(order_number);
  }

  std::optional<HttpResponse> pay_locked(const HttpRequest& req, std::string& created, bool& slow) {
    json::parse_options po;
    po.allow_trailing_commas = true;
    boost::system::error_code ec;
    json::value v = json::parse(req.body, ec, {}, po);
    if (ec || !v.is_object()) return answer(400, "1", "body must be a JSON object");
    const json::object& o = v.get_object();
    auto text = [&](std::string_view f) -> std::string {
      auto it = o.find(f);
      return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string();
    };
    for (std::string_view f : {"authorization", "merchant", "reference", "currency"}) {
      if (text(f).empty()) return answer(400, "1", "field '" + std::string(f) + "' is required (a non-empty string)");
    }
    if (text("authorization") != options.token) return answer(401, "1", "authorization: token invalide");
    if (text("merchant") != options.merchant) return answer(200, "1", "merchant '" + text("merchant") + "' inconnu");
    const std::string currency = text("currency");
    if (currency != "CDF" && currency != "USD") return answer(200, "1", "currency: CDF ou USD");
    const int exponent = *currency_exponent(currency);
    std::string amount_text;
    if (auto it = o.find("amount"); it != o.end()) {
      if (it->value().is_string()) amount_text = std::string(it->value().get_string());
      if (it->value().is_int64()) amount_text = std::to_string(it->value().get_int64());
    }
    auto minor = parse_decimal_amount(amount_text, exponent);
    if (amount_text.empty() || !minor || *minor <= 0) {
      return answer(400, "1", "field 'amount' must be a positive decimal amount (\"100\", \"50.5\")");
    }
    for (std::string_view f : {"description", "callback_url", "approve_url", "cancel_url", "decline_url"}) {
      if (auto it = o.find(f); it != o.end() && !it->value().is_string()) {
        return answer(400, "1", "field '" + std::string(f) + "' must be a string");
      }
    }
    const std::string reference = text("reference");
    const Scenario scenario = scenario_of(*minor);
    if (scenario == Scenario::refused) return answer(200, "1", "Transaction refusée par l'opérateur");
    if (scenario == Scenario::unavailable_once && failed_once.insert(reference).second) {
      return answer(503, "1", "service temporairement indisponible");
    }
    // FlexPay keys a payment on its reference: the same request again gets the same order.
    if (auto it = by_reference.find(reference); it != by_reference.end()) {
      const Order& existing = orders.at(it->second);
      if (existing.minor != *minor || existing.currency != currency) {
        return answer(200, "1", "reference '" + reference + "' déjà utilisée pour un autre montant");
      }
      return existing.pay_answer;
    }
    Order order;
    order.reference = reference;
    order.order_number = random_id("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 12) +
                         random_id("0123456789", 12);
    order.minor = *minor;
    order.exponent = exponent;
    order.currency = currency;
    order.scenario = scenario;
    order.callback_url = text("callback_url");
    order.pay_answer = json_response(
        200, json::serialize(json::object{{"code", "0"},
                                          {"message", "Redirection en cours"},
                                          {"orderNumber", order.order_number},
                                          {"url", base_url + "/pay/" + order.order_number}}));
    created = order.order_number;
    by_reference[reference] = order.order_number;
    HttpResponse a = order.pay_answer;
    orders.emplace(order.order_number, std::move(order));
    if (scenario == Scenario::slow_response) {
      slow = true;
      return std::nullopt;
    }
    return a;
  }

  void schedule_customer(const std::string& order_number) {
    Scenario scenario;
    {
      std::lock_guard lock(m);
      scenario = orders.at(order_number).scenario;
    }
    const auto t0 = SteadyClock::now();
    switch (scenario) {
      case Scenario::expire:
        return;
      case Scenario::late_callback:
        tasks->at(t0 + options.customer_delay, [this, order_number] { submit(order_number); });
        tasks->at(t0 + options.late_callback, [this, order_number] { settle(order_number); });
        return;
      default:
        tasks->at(t0 + options.customer_delay, [this, order_number] { settle(order_number); });
    }
  }

  // The card was submitted; the bank has not answered yet.
  void submit(const std::string& order_number) {
    std::lock_guard lock(m);
    Order& o = orders.at(order_number);
    if (o.outcome != Outcome::none) return;
    o.outcome = Outcome::pending;
    o.created_at = flexpay_now();
  }

  void settle(const std::string& order_number) {
    std::string url;
    std::string body;
    std::string reference;
    int copies = 1;
    {
      std::lock_guard lock(m);
      Order& o = orders.at(order_number);
      if (o.outcome == Outcome::succeeded || o.outcome == Outcome::failed) return;
      if (o.created_at.empty()) o.created_at = flexpay_now();
      json::object cb{{"code", "0"}, {"reference", o.reference}};
      switch (o.scenario) {
        case Scenario::decline:
          o.outcome = Outcome::failed;
          cb["code"] = "1";
          break;
        case Scenario::cancel:
          o.outcome = Outcome::failed;
          cb["code"] = "2";
          break;
        default:
          o.outcome = Outcome::succeeded;
          o.provider_reference = random_id("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", 11);
          cb["provider_reference"] = o.provider_reference;
      }
      cb["orderNumber"] = o.order_number;
      o.callback_code = std::string(cb["code"].get_string());
      if (o.scenario == Scenario::no_callback) return;
      if (o.scenario == Scenario::duplicate_callback) copies = 2;
      url = o.callback_url;
      reference = o.reference;
      body = json::serialize(cb);
    }
    if (url.empty()) return;
    for (int i = 0; i < copies; ++i) deliver(url, reference, body, 1);
  }

  // Posts the unsigned callback; tries again later while corridor does not answer 2xx.
  void deliver(const std::string& url, const std::string& reference, const std::string& body, int attempt) {
    if (post_json(*client, url, body, {}, options.callback_timeout)) {
      std::lock_guard lock(m);
      ++delivered[reference];
      return;
    }
    const auto delay = RetryPolicy{options.callback_attempts, options.callback_retry_delay}.delay_after(attempt);
    if (!delay) return;
    tasks->at(SteadyClock::now() + *delay,
              [this, url, reference, body, attempt] { deliver(url, reference, body, attempt + 1); });
  }

  // Check transaction (seed): Authorization: Bearer <token>.
  HttpResponse check(const HttpRequest& req, std::string_view order_number) {
    std::lock_guard lock(m);
    if (req.header("Authorization") != "Bearer " + options.token) {
      HttpResponse r = answer(401, "1", "Authorization: Bearer <token> invalide");
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return r;
    }
    ++checks[std::string(order_number)];
    auto it = orders.find(std::string(order_number));
    if (it == orders.end() || it->second.outcome == Outcome::none) {
      return json_response(200, R"({"code":"1","message":"Aucune transaction trouvée","transaction":null})");
    }
    const Order& o = it->second;
    std::int64_t scale = 1;
    for (int e = 0; e < o.exponent; ++e) scale *= 10;
    const std::int64_t processed = o.scenario == Scenario::amount_mismatch ? o.minor + scale : o.minor;
    const std::int64_t customer = processed + processed / 50;  // 2 % fees, as amountCustomer 51.0 for 50.0
    const std::string status = o.outcome == Outcome::succeeded ? "0" : o.outcome == Outcome::failed ? "1" : "2";
    std::string t = json::serialize(json::object{{"orderNumber", o.order_number},
                                                 {"reference", o.reference},
                                                 {"amount", flexpay_amount_text(processed, o.exponent)},
                                                 {"amountCustomer", flexpay_amount_text(customer, o.exponent)},
                                                 {"currency", o.currency},
                                                 {"createdAt", o.created_at},
                                                 {"status", status}});
    t.insert(t.size() - 1, ",");  // the seed's example ends the transaction with a trailing comma
    return json_response(200, R"({"code":"0","message":"Une transaction trouvée","transaction":)" + t + "}");
  }

  HttpResponse page(std::string_view order_number) {
    std::lock_guard lock(m);
    auto it = orders.find(std::string(order_number));
    if (it == orders.end()) return answer(404, "1", "commande inconnue");
    const Order& o = it->second;
    HttpResponse r;
    r.headers.emplace_back("Content-Type", "text/html; charset=utf-8");
    r.body = "<!doctype html><title>FlexPay sandbox</title><p>FlexPay sandbox order " + o.order_number + " (" +
             o.reference + "): " + flexpay_amount_text(o.minor, o.exponent) + " " + o.currency +
             ". The simulated customer acts on their own (docs/providers/flexpay.md).</p>";
    return r;
  }
};

FlexPaySandbox::FlexPaySandbox(FlexPaySandboxOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->tasks = std::make_unique<TaskQueue>(2);
}

FlexPaySandbox::~FlexPaySandbox() { stop(); }

void FlexPaySandbox::start(const std::string& host, std::uint16_t port) {
  std::string url = start_server(impl_->server, "flexpay", host, port, 64 * 1024,
                                 [impl = impl_.get()](HttpRequest req, Respond respond) {
                                   impl->handle(std::move(req), std::move(respond));
                                 });
  std::lock_guard lock(impl_->m);
  impl_->base_url = std::move(url);
}

void FlexPaySandbox::stop() {
  if (impl_->server) impl_->server->stop();
  if (impl_->tasks) impl_->tasks->stop();
}

std::uint16_t FlexPaySandbox::port() const { return impl_->server ? impl_->server->port() : 0; }

std::string FlexPaySandbox::base_url() const {
  std::lock_guard lock(impl_->m);
  return impl_->base_url;
}

void FlexPaySandbox::handle(HttpRequest request, Respond respond) { impl_->handle(std::move(request), std::move(respond)); }

std::size_t FlexPaySandbox::orders_created(std::string_view reference) const {
  std::lock_guard lock(impl_->m);
  return impl_->by_reference.count(std::string(reference));
}

std::size_t FlexPaySandbox::pay_requests() const {
  std::lock_guard lock(impl_->m);
  return impl_->requests;
}

std::string FlexPaySandbox::order_of(std::string_view reference) const {
  std::lock_guard lock(impl_->m);
  auto it = impl_->by_reference.find(std::string(reference));
  return it == impl_->by_reference.end() ? std::string() : it->second;
}

std::size_t FlexPaySandbox::callbacks_delivered(std::string_view reference) const {
  std::lock_guard lock(impl_->m);
  auto it = impl_->delivered.find(std::string(reference));
  return it == impl_->delivered.end() ? 0 : it->second;
}

std::size_t FlexPaySandbox::check_requests(std::string_view order_number) const {
  std::lock_guard lock(impl_->m);
  auto it = impl_->checks.find(std::string(order_number));
  return it == impl_->checks.end() ? 0 : it->second;
}

}  // namespace corridor
