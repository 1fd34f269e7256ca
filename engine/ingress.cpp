#include "engine/ingress.hpp"

#include <openssl/sha.h>

#include <boost/json/serialize.hpp>
#include <iostream>

#include "engine/commands.hpp"
#include "statemachines/registry.hpp"

namespace corridor {

namespace {

std::vector<std::string_view> split_path(std::string_view target) {
  if (auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
  std::vector<std::string_view> parts;
  while (!target.empty()) {
    if (target.front() == '/') {
      target.remove_prefix(1);
      continue;
    }
    auto slash = target.find('/');
    parts.push_back(target.substr(0, slash));
    if (slash == std::string_view::npos) break;
    target.remove_prefix(slash);
  }
  return parts;
}

HttpResponse error_response(int status, std::string_view message) {
  return json_response(status, boost::json::serialize(json::object{{"error", message}}));
}

std::string body_digest(std::string_view body) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(body.data()), body.size(), d);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    out.push_back(kHex[d[i] >> 4]);
    out.push_back(kHex[d[i] & 15]);
  }
  return out;
}

class Ingress {
 public:
  explicit Ingress(IngressContext c) : c_(c) {}

  void handle(HttpRequest req, Respond respond) {
    const auto parts = split_path(req.target);
    if (req.method == "POST" && parts.size() == 2 && parts[0] == "webhooks")
      return webhook(std::string(parts[1]), std::move(req), std::move(respond));
    // Return URLs and callbacks that carry their own token (esipay), by GET or POST.
    if ((req.method == "POST" || req.method == "GET") && parts.size() >= 2 && parts[0] == "callbacks")
      return webhook(std::string(parts[1]), std::move(req), std::move(respond));
    if (req.method == "GET" && parts.size() == 3 && parts[0] == "v1" && parts[1] == "transactions")
      return respond(transaction(std::string(parts[2])));
    if (req.method == "GET" && parts.size() == 4 && parts[0] == "v1" && parts[1] == "merchants" &&
        parts[3] == "payment-methods")
      return respond(payment_methods(parts[2]));
    if (req.method == "GET" && parts.size() == 1 && parts[0] == "healthz")
      return respond(json_response(200, R"({"status":"ok"})"));
    if (req.method == "GET" && parts.size() == 1 && parts[0] == "metrics") {
      HttpResponse r{200, {{"Content-Type", "text/plain; version=0.0.4"}}, c_.metrics.prometheus()};
      return respond(std::move(r));
    }
    respond(error_response(404, "no route for " + req.method + " " + req.target));
  }

 private:
  // Refuses a notification: the provider gets a 4xx, operations get a dead-letter record.
  void refuse(const std::string& provider, const HttpRequest& req, int status, const std::string& reason,
              const Respond& respond) {
    c_.metrics.webhooks_refused++;
    std::cerr << "ingress: refused webhook for " << provider << " from " << req.remote_address << ": " << reason
              << std::endl;
    json::object ctx{{"provider", provider}, {"remote_address", req.remote_address}, {"http_status", status}};
    const std::string record =
        boost::json::serialize(deadletter_record("ingress", reason, req.body, c_.clock.now_ms(), ctx));
    // The 4xx waits for the dead letter: nothing refused goes unrecorded.
    c_.producer.produce(c_.config.kafka.deadletter, provider, record,
                        [respond, status, reason](const std::string&) { respond(error_response(status, reason)); });
  }

  void webhook(const std::string& provider, HttpRequest req, Respond respond) {
    if (!c_.ready.load()) return respond(error_response(503, "starting; retry"));
    auto adapter = c_.adapters.find(provider);
    if (adapter == c_.adapters.end()) return refuse(provider, req, 404, "unknown provider '" + provider + "'", respond);
    auto parsed = adapter->second->parse_webhook(req);
    if (!parsed) {
      const int status = parsed.error().http_status ? parsed.error().http_status : 400;
      return refuse(provider, req, status, parsed.error().message, respond);
    }
    auto known = c_.store.transaction_exists(parsed->txn_id);
    if (!known) return respond(error_response(503, "store unavailable; retry"));
    if (!*known) return refuse(provider, req, 404, "unknown transaction " + parsed->txn_id, respond);

    Input in;
    in.input_id = "webhook:" + provider + ":" + (parsed->dedupe_id.empty() ? body_digest(req.body) : parsed->dedupe_id);
    in.txn_id = parsed->txn_id;
    in.kind = InputKind::webhook;
    in.name = parsed->name;
    in.at_ms = c_.clock.now_ms();
    in.data = std::move(parsed->data);
    Metrics& metrics = c_.metrics;
    // 2xx only once Kafka holds the notification (acks=all): a provider that got 200 may forget it.
    c_.producer.produce(c_.config.kafka.inputs, in.txn_id, boost::json::serialize(to_json(in)),
                        [respond, &metrics](const std::string& error) {
                          if (!error.empty()) return respond(error_response(503, "not stored: " + error));
                          metrics.webhooks_accepted++;
                          respond(json_response(200, R"({"status":"accepted"})"));
                        });
  }

  HttpResponse transaction(const std::string& txn_id) {
    auto txn = c_.store.load(txn_id);
    if (!txn) return error_response(503, txn.error().message);
    if (!*txn) return error_response(404, "unknown transaction " + txn_id);
    auto events = c_.store.events_of(txn_id);
    if (!events) return error_response(503, events.error().message);
    return json_response(200, boost::json::serialize(transaction_view(**txn, *events)));
  }

  HttpResponse payment_methods(std::string_view merchant_id) {
    const MerchantConfig* m = c_.config.merchant(merchant_id);
    if (m == nullptr || !m->enabled) return error_response(404, "unknown merchant '" + std::string(merchant_id) + "'");
    json::array methods;
    for (const auto& provider : m->providers) {
      json::array flows;
      for (const Flow* f : all_flows())
        if (f->provider == provider) flows.push_back(json::value(f->name));
      methods.push_back(json::object{{"provider", provider}, {"flows", std::move(flows)}});
    }
    return json_response(200, boost::json::serialize(json::object{{"merchant", m->id}, {"payment_methods", methods}}));
  }

  IngressContext c_;
};

}  // namespace

json::object transaction_view(const Transaction& txn, const std::vector<json::object>& events) {
  json::object o = to_json(txn);
  o.erase("seq");
  if (const Flow* f = find_flow(txn.flow_id()); f != nullptr) {
    if (const StateInfo* s = f->state(txn.state); s != nullptr) o["status"] = to_string(s->status);
  }
  json::array history;
  for (const auto& e : events) history.push_back(e);
  o["events"] = std::move(history);
  return o;
}

HttpHandler make_ingress_handler(IngressContext context) {
  auto ingress = std::make_shared<Ingress>(context);
  return [ingress](HttpRequest req, Respond respond) { ingress->handle(std::move(req), std::move(respond)); };
}

}  // namespace corridor
