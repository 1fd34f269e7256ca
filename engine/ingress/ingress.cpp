// corridor's HTTP routes. One file: the public and the operations listeners share the request
// helpers (paths, card masking, error bodies, health) and the refusals' rate limiter.
#include "engine/ingress/ingress.hpp"
#include "engine/ingress/queries.hpp"

#include <openssl/sha.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <iostream>

#include "adapters/support/wire.hpp"
#include "engine/ingress/commands_api.hpp"
#include "engine/pipeline/errc.hpp"
#include "engine/store/card_vault.hpp"
#include "engine/pipeline/commands.hpp"
#include "engine/pipeline/metric_labels.hpp"
#include "engine/pipeline/record_headers.hpp"
#include "adapters/registry.hpp"
#include "statemachines/timefmt.hpp"

namespace corridor {

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

HttpResponse error_response(int status, std::string_view message, const std::error_code& code) {
  json::object body{{"error", redact_bounded(message, 1024)}};
  if (code) body["code"] = code_text(code);
  return json_response(status, boost::json::serialize(body));
}

namespace {

// A notification's fields as they go on corridor.inputs: a card number in any string or key is
// masked (a provider echoing the card it charged), and nothing else is changed, so identifiers stay
// usable (an identifier that looks like a card number, scheme prefix and Luhn check included, is
// masked too: the flow then relies on its status checks, which carry the identifier it keeps).
void mask_cards_in(json::object& o);

void mask_cards_in(json::value& v) {
  if (v.is_string()) {
    const std::string_view s = v.get_string();
    if (find_card_number(s)) v = mask_found_cards(s);
  } else if (v.is_array()) {
    for (auto& e : v.get_array()) mask_cards_in(e);
  } else if (v.is_object()) {
    mask_cards_in(v.get_object());
  }
}

void mask_cards_in(json::object& o) {
  bool keys = false;
  for (auto& kv : o) {
    mask_cards_in(kv.value());
    keys = keys || find_card_number(kv.key());
  }
  if (!keys) return;
  json::object masked;
  for (auto& kv : o) {
    // Two keys alike but for a card's middle digits stay two keys.
    std::string key = mask_found_cards(kv.key());
    for (int n = 2; masked.contains(key); ++n) key = mask_found_cards(kv.key()) + "#" + std::to_string(n);
    masked[key] = std::move(kv.value());
  }
  o = std::move(masked);
}


std::string body_digest(std::string_view body) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(body.data()), body.size(), d);
  return hex_encode({reinterpret_cast<const char*>(d), 16});
}

// A notification's input id: the provider's event id, or a digest of its body when it has none. A card
// number in either is masked, and a digest is of the redacted body (a plain digest of a card number
// gives it away to whoever tries the million it could be). An event id with a card masked is told from
// another alike but for those digits by the vault's keyed fingerprint of the id (without a vault, by
// the redacted body's digest, which tells them apart unless nothing else differs).
std::string webhook_input_id(std::string_view provider, std::string_view dedupe_id, std::string_view body,
                             const CardVault* vault) {
  std::string id = "webhook:" + std::string(provider) + ":";
  if (dedupe_id.empty()) return id + body_digest(find_card_number(body) ? redact(body) : std::string(body));
  if (!find_card_number(dedupe_id)) return id + std::string(dedupe_id);
  return id + mask_found_cards(dedupe_id) + ":" +
         (vault != nullptr ? vault->fingerprint(dedupe_id).substr(0, 32) : body_digest(redact(body)));
}

// GET /health/live (and /healthz, the same): 200 while every part makes progress, 503 otherwise.
// GET /health/ready: 200 once this process holds its partitions (engine/io/health.hpp). `detail` (the
// operations listener) names the stuck parts, the partitions and their epochs.
std::optional<HttpResponse> health_route(const IngressContext& c, const HttpRequest& req, bool detail) {
  if (req.method != "GET") return std::nullopt;
  const auto parts = split_path(req.target);
  std::optional<Health::Probe> probe;
  if (parts.size() == 1 && parts[0] == "healthz") probe = Health::Probe::live;
  if (parts.size() == 2 && parts[0] == "health" && parts[1] == "live") probe = Health::Probe::live;
  if (parts.size() == 2 && parts[0] == "health" && parts[1] == "ready") probe = Health::Probe::ready;
  if (!probe) return std::nullopt;
  auto answer = c.health.answer(*probe, c.clock.now_ms(), detail);
  return json_response(answer.status, std::move(answer.body));
}

class Ingress {
 public:
  explicit Ingress(IngressContext c) : c_(c) {}

  void handle(HttpRequest req, Respond respond) {
    const auto parts = split_path(req.target);
    if (req.method == "POST" && parts.size() == 2 && parts[0] == "webhooks")
      return webhook(std::string(parts[1]), std::move(req), std::move(respond));
    // Return URLs and callbacks that carry their own token in the path, by GET or POST.
    if ((req.method == "POST" || req.method == "GET") && parts.size() >= 2 && parts[0] == "callbacks")
      return webhook(std::string(parts[1]), std::move(req), std::move(respond));
    if (auto health = health_route(c_, req, false)) return respond(std::move(*health));
    refuse("", req, 404, "no route for " + req.method + " " + req.target, respond);
  }

 private:
  // Refuses a notification: the provider gets a 4xx, operations get a dead-letter record (within the
  // source's rate).
  void refuse(const std::string& provider, const HttpRequest& req, int status, const std::string& reason,
              const Respond& respond) {
    c_.metrics.webhooks_refused.add({provider_label(*c_.config.registry, provider)});
    std::cerr << "ingress: refused request for " << redact_bounded(provider, 64) << " from " << req.remote_address
              << ": " << redact_bounded(reason, 300) << std::endl;
    c_.refusals.record(req, status, reason, [respond, status, reason] { respond(error_response(status, reason)); });
  }

  void webhook(const std::string& provider, HttpRequest req, Respond respond) {
    if (!c_.ready.load()) return respond(error_response(503, "starting; retry"));
    auto adapter = c_.adapters.find(provider);
    if (adapter == c_.adapters.end()) return refuse(provider, req, 404, "unknown provider", respond);
    // An adapter that throws on what it reads (a bug meeting bytes it did not expect) refuses the
    // notification like any malformed one: the request thread goes on.
    Result<ParsedInput> parsed = fail(adapter_errc::adapter_threw, "");
    try {
      parsed = adapter->second->parse_webhook(req);
    } catch (const std::exception& e) {
      parsed = fail(adapter_errc::adapter_threw, "the notification could not be read: " + std::string(e.what()));
    }
    if (parsed && !finite_numbers(parsed->data))
      parsed = fail(pipeline_errc::number_out_of_range, "the notification holds a number beyond a double's range");
    if (!parsed) {
      return refuse(provider, req, parsed.error().http_status(), parsed.error().message, respond);
    }
    std::optional<Transaction> txn;
    if (!parsed->txn_id.empty()) {
      auto known = c_.store.load(parsed->txn_id);
      if (!known) return respond(error_response(503, "store unavailable; retry"));
      txn = std::move(*known);
    }
    // A notification names a transaction of its own provider, or none: an unsigned callback naming
    // another provider's payment must not reach that payment's flow.
    const bool ours = txn && txn->provider == provider;
    if (parsed->unhandled) return unhandled(provider, std::move(req), std::move(*parsed), ours, std::move(respond));
    if (!ours) return refuse(provider, req, 404, "unknown transaction for provider " + provider, respond);

    Input in;
    in.input_id = webhook_input_id(provider, parsed->dedupe_id, req.body, c_.vault);
    in.txn_id = parsed->txn_id;
    in.kind = InputKind::webhook;
    in.name = parsed->name;
    in.at_ms = c_.clock.now_ms();
    in.data = std::move(parsed->data);
    mask_cards_in(in.data);
    publish(provider, std::move(in), std::move(respond));
  }

  // An authenticated notification of a type corridor does not act on: acknowledged so that the
  // provider stops redelivering it, kept (on its transaction's log, where its flow records it as an
  // input with no row, or as a dead letter), and ignored.
  void unhandled(const std::string& provider, HttpRequest req, ParsedInput parsed, bool ours, Respond respond) {
    if (ours) {
      Input in;
      in.input_id = webhook_input_id(provider, parsed.dedupe_id, req.body, c_.vault);
      in.txn_id = parsed.txn_id;
      in.kind = InputKind::webhook;
      in.name = "unhandled." + bounded(mask_found_cards(parsed.name), 128);
      in.at_ms = c_.clock.now_ms();
      in.data = std::move(parsed.data);
      mask_cards_in(in.data);
      return publish(provider, std::move(in), std::move(respond));
    }
    const std::string why = "event type '" + parsed.name + "' is not handled: acknowledged and ignored";
    json::object ctx{{"provider", provider}, {"remote_address", req.remote_address}, {"http_status", 200}};
    const std::int64_t at_ms = c_.clock.now_ms();
    const std::string record = boost::json::serialize(deadletter_record(
        "ingress", why, req.body, at_ms, static_cast<std::size_t>(c_.config.limits.deadletter_payload_bytes),
        std::move(ctx)));
    const RecordHeaders headers = deadletter_headers("ingress", record, format_time(at_ms), "",
                                                     valid_traceparent(req.header("traceparent")).value_or(""));
    c_.producer.produce(c_.config.kafka.deadletter, provider, record, headers,
                        [respond, &metrics = c_.metrics](const DeliveryReport& report) {
                          if (!report.ok()) return respond(error_response(503, "not stored; retry"));
                          metrics.deadletters_published++;
                          respond(json_response(200, R"({"status":"ignored"})"));
                        });
  }

  void publish(const std::string& provider, Input in, Respond respond) {
    const std::string_view label = provider_label(*c_.config.registry, provider);
    Metrics& metrics = c_.metrics;
    Health& health = c_.health;
    const Clock& clock = c_.clock;
    // 2xx only once Kafka holds the notification (acks=all): a provider that got 200 may forget it.
    c_.producer.produce(c_.config.kafka.inputs, in.txn_id, boost::json::serialize(to_json(in)),
                        [respond, &metrics, &health, &clock, label](const DeliveryReport& report) {
                          if (!report.ok()) {
                            if (!report.permanent)
                              health.stalled(Health::Part::ingress, "Kafka does not take webhooks: " + report.error,
                                             clock.now_ms());
                            return respond(error_response(503, "not stored; retry"));
                          }
                          health.progressed(Health::Part::ingress);
                          metrics.webhooks_accepted.add({label});
                          respond(json_response(200, R"({"status":"accepted"})"));
                        });
  }

  IngressContext c_;
};

class Operations {
 public:
  explicit Operations(IngressContext c) : c_(c) {
    for (const auto& t : c.config.auth.operator_tokens) tokens_ += !t.empty();
    for (const auto& m : c.config.merchants) tokens_ += m.tokens.size();
  }

  void handle(HttpRequest req, Respond respond) {
    const auto parts = split_path(req.target);
    if (auto health = health_route(c_, req, true)) return respond(std::move(*health));
    // The console's files hold no data: served to a browser, which cannot send a token with them.
    if (auto console = handle_console(req)) return respond(std::move(*console));
    auto caller = authenticate(req);
    if (!caller) {
      c_.metrics.webhooks_refused.add({kNoLabel});
      return c_.refusals.record(
          req, 401, "missing or unknown bearer token",
          [respond] {
            HttpResponse r = error_response(401, "a bearer token is required");
            r.headers.emplace_back("WWW-Authenticate", "Bearer");
            respond(std::move(r));
          },
          true);
    }
    if (is_command_route(req)) return handle_command(c_, *caller, std::move(req), std::move(respond));
    if (req.method == "GET" && parts.size() == 3 && parts[0] == "v1" && parts[1] == "transactions")
      return respond(transaction(std::string(parts[2]), *caller));
    if (req.method == "GET" && parts.size() == 4 && parts[0] == "v1" && parts[1] == "merchants" &&
        parts[3] == "payment-methods")
      return respond(payment_methods(parts[2], *caller));
    if (auto read = handle_query({c_.config, c_.store}, req, {caller->operator_, caller->merchant}))
      return respond(std::move(*read));
    if (req.method == "GET" && parts.size() == 1 && parts[0] == "metrics") {
      if (!caller->operator_) return respond(error_response(403, "metrics are for operators"));
      HttpResponse r{200,
                     {{"Content-Type", "text/plain; version=0.0.4"}},
                     c_.metrics.prometheus() + c_.health.prometheus(c_.clock.now_ms())};
      return respond(std::move(r));
    }
    c_.metrics.webhooks_refused.add({kNoLabel});
    const std::string reason = "no route for " + req.method + " " + req.target;
    c_.refusals.record(req, 404, reason, [respond, reason] { respond(error_response(404, reason)); }, true);
  }

 private:
  // No token configured: the listener is open (it binds loopback then; the runtime refuses otherwise).
  std::optional<Caller> authenticate(const HttpRequest& req) const {
    if (tokens_ == 0) return Caller{true, {}};
    std::string_view header = req.header("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (header.size() <= kBearer.size() || header.substr(0, kBearer.size()) != kBearer) return std::nullopt;
    const std::string_view token = header.substr(kBearer.size());
    // Every token is compared, in time independent of where a match is.
    std::optional<Caller> found;
    for (const auto& t : c_.config.auth.operator_tokens)
      if (!t.empty() && constant_time_equal(token, t)) found = Caller{true, {}};
    for (const auto& m : c_.config.merchants)
      for (const auto& t : m.tokens)
        if (constant_time_equal(token, t) && !found) found = Caller{false, m.id};
    return found;
  }

  HttpResponse transaction(const std::string& txn_id, const Caller& caller) {
    auto txn = c_.store.load(txn_id);
    if (!txn) return error_response(503, txn.error().message);
    // Another merchant's transaction is as unknown as one that does not exist.
    if (!*txn || (!caller.operator_ && (*txn)->merchant != caller.merchant))
      return error_response(404, "unknown transaction " + redact_bounded(txn_id, 64));
    auto events = c_.store.events_of(txn_id);
    if (!events) return error_response(503, events.error().message);
    return json_response(200, boost::json::serialize(transaction_view(**txn, *events, *c_.config.registry)));
  }

  HttpResponse payment_methods(std::string_view merchant_id, const Caller& caller) {
    const MerchantConfig* m = c_.config.merchant(merchant_id);
    if (m == nullptr || !m->enabled || (!caller.operator_ && caller.merchant != merchant_id))
      return error_response(404, "unknown merchant '" + redact_bounded(merchant_id, 64) + "'");
    json::array methods;
    for (const auto& provider : m->providers) {
      json::array flows;
      for (const Flow* f : c_.config.registry->flows())
        if (f->provider == provider) flows.push_back(json::value(f->name));
      methods.push_back(json::object{{"provider", provider}, {"flows", std::move(flows)}});
    }
    return json_response(200, boost::json::serialize(json::object{{"merchant", m->id}, {"payment_methods", methods}}));
  }

  IngressContext c_;
  std::size_t tokens_ = 0;
};

}  // namespace

bool RateLimiter::take_from(Bucket& b, double capacity, std::int64_t now_ms) {
  b.tokens = std::min(capacity, b.tokens + capacity * static_cast<double>(std::max<std::int64_t>(now_ms - b.at_ms, 0)) / 60000.0);
  b.at_ms = now_ms;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

bool RateLimiter::take(const std::string& key, std::int64_t now_ms) {
  if (per_minute_ <= 0) return false;
  std::lock_guard lock(mu_);
  if (!started_) {
    all_ = Bucket{10 * per_minute_, now_ms};
    started_ = true;
  }
  if (buckets_.size() > 10000 && !buckets_.contains(key)) buckets_.clear();
  auto it = buckets_.try_emplace(key, Bucket{per_minute_, now_ms}).first;
  // The key's own limit first: a source over it takes nothing from the others' share.
  if (!take_from(it->second, per_minute_, now_ms)) return false;
  if (take_from(all_, 10 * per_minute_, now_ms)) return true;
  it->second.tokens += 1;  // not taken after all
  return false;
}

RefusalRecorder::RefusalRecorder(const Config& config, KafkaProducer& producer, const Clock& clock, Metrics& metrics)
    : config_(config), producer_(producer), clock_(clock), metrics_(metrics), rate_(config.limits.refusals_per_minute) {}

void RefusalRecorder::record(const HttpRequest& request, int status, const std::string& reason,
                             std::function<void()> done, bool command_body) {
  if (!rate_.take(request.remote_address, clock_.now_ms())) {
    metrics_.refusals_unrecorded++;
    return done();
  }
  json::object ctx{{"method", redact_bounded(request.method, 16)},
                   {"target", redact_bounded(request.target, 512)},
                   {"remote_address", request.remote_address},
                   {"http_status", status},
                   {"content_length", redact_bounded(request.header("Content-Length"), 32)}};
  const std::optional<std::string> hidden =
      command_body ? shown_payload(request.body, *config_.registry) : std::nullopt;
  const std::int64_t at_ms = clock_.now_ms();
  const std::string record = boost::json::serialize(deadletter_record(
      "ingress", reason, request.body, at_ms, static_cast<std::size_t>(config_.limits.deadletter_payload_bytes),
      std::move(ctx), hidden ? std::optional<std::string_view>(*hidden) : std::nullopt));
  // A refused request names no transaction corridor holds: no ce_subject. Its caller's trace, if valid.
  const RecordHeaders headers = deadletter_headers("ingress", record, format_time(at_ms), "",
                                                   valid_traceparent(request.header("traceparent")).value_or(""));
  // The answer waits for the dead letter: nothing refused within the rate goes unrecorded.
  producer_.produce(config_.kafka.deadletter, "", record, headers,
                    [&metrics = metrics_, done = std::move(done)](const DeliveryReport& report) {
                      if (report.ok()) metrics.deadletters_published++;
                      done();
                    });
}

HttpHandler make_ingress_handler(IngressContext context) {
  auto ingress = std::make_shared<Ingress>(context);
  return [ingress](HttpRequest req, Respond respond) { ingress->handle(std::move(req), std::move(respond)); };
}

HttpHandler make_operations_handler(IngressContext context) {
  auto ops = std::make_shared<Operations>(context);
  return [ops](HttpRequest req, Respond respond) { ops->handle(std::move(req), std::move(respond)); };
}

bool loopback_host(std::string_view host) {
  return host.starts_with("127.") || host == "::1" || host == "[::1]" || host == "localhost";
}

json::object transaction_view(const Transaction& txn, const std::vector<json::object>& events,
                              const ProviderRegistry& registry) {
  json::object o;
  o["txn_id"] = txn.txn_id;
  o["merchant"] = txn.merchant;
  o["reference"] = txn.reference;
  o["provider"] = txn.provider;
  o["flow"] = txn.flow;
  o["amount"] = {{"value", txn.amount.value}, {"currency", txn.amount.currency}};
  if (txn.refunded_amount) o["amount_refunded"] = {{"value", *txn.refunded_amount}, {"currency", txn.amount.currency}};
  if (txn.provider_amount)
    o["provider_amount"] = {{"value", txn.provider_amount->value}, {"currency", txn.provider_amount->currency}};
  o["state"] = txn.state;
  o["status"] = nullptr;
  if (const Flow* f = registry.find_flow(txn.flow_id()); f != nullptr) {
    if (const StateInfo* s = f->state(txn.state); s != nullptr) o["status"] = to_string(s->status);
  }
  o["version"] = txn.version;
  o["provider_refs"] = to_json(txn.provider_refs);
  o["next_action"] = fields::to_value(txn.next_action);
  o["reason"] = fields::to_value(txn.reason);
  o["attention"] = nullptr;
  if (txn.attention) o["attention"] = json::parse(fields::text(*txn.attention));
  o["created_at"] = format_time(txn.created_at_ms);
  o["updated_at"] = format_time(txn.updated_at_ms);
  o["rejected_inputs"] = txn.rejected_inputs;
  json::array history;
  for (const auto& e : events) history.push_back(e);
  o["events"] = std::move(history);
  return o;
}

}  // namespace corridor
