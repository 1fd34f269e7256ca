#pragma once
// corridor's HTTP routes, as handlers request -> response (tested without a socket), on two listeners.
//
// Public (http.listen): what providers call. Anyone can reach it; each provider's adapter
// authenticates its own requests.
//   POST /webhooks/{provider}                   provider notifications -> corridor.inputs (2xx once acked)
//   GET|POST /callbacks/{provider}/...          return URLs and callbacks (a secret token may be in the path)
//   GET  /health/live, /healthz                 {"status": "ok"} or 503 {"status": "unavailable"}: parts stuck
//   GET  /health/ready                          the same: this process holds its partitions (engine/io/health.hpp)
//
// Operations (http.operations_listen, loopback by default): what people and services of the
// merchant's side read. With tokens configured (auth.operator_tokens, merchants[].tokens) every
// request needs `Authorization: Bearer <token>`; a merchant's token sees only that merchant.
//   POST /v1/payments, /v1/payouts, /v1/payments/{txn_id}/{cancel,refunds,reconcile}
//                                               commands (engine/ingress/commands_api.hpp)
//   GET  /v1/transactions/{txn_id}              a transaction (an explicit list of fields) and its events
//   GET  /v1/merchants/{merchant}/payment-methods  the providers a merchant may use, with their flows
//   GET  /metrics                               Prometheus text (operators only)
//   GET  /health/live, /healthz, /health/ready  as above, naming each part of the runtime that is stuck, the
//                                               partitions held with their epochs, the fenced commits
#include <map>
#include <mutex>

#include "core/http.hpp"
#include "engine/config/config.hpp"
#include "engine/io/health.hpp"
#include "engine/io/kafka.hpp"
#include "engine/io/metrics.hpp"
#include "engine/pipeline/clock.hpp"
#include "engine/pipeline/executor.hpp"
#include "engine/store/store.hpp"

namespace corridor {

class CardVault;

// Token buckets: each key may take `per_minute` (a burst of as many, refilled evenly), and all keys
// together ten times that, so a flood from many sources is bounded as one from a single source is.
// The table of keys is bounded: beyond 10,000 it starts over.
class RateLimiter {
 public:
  explicit RateLimiter(std::int64_t per_minute) : per_minute_(static_cast<double>(per_minute)) {}
  bool take(const std::string& key, std::int64_t now_ms);

 private:
  struct Bucket {
    double tokens = 0;
    std::int64_t at_ms = 0;
  };
  static bool take_from(Bucket& b, double capacity, std::int64_t now_ms);
  double per_minute_;
  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;
  Bucket all_;
  bool started_ = false;
};

// Dead letters of refused requests, bounded: at most limits.refusals_per_minute a minute from one
// address and ten times that from all (RateLimiter); beyond that a refusal is only counted, so a flood
// of bad requests cannot fill Kafka.
class RefusalRecorder {
 public:
  RefusalRecorder(const Config& config, KafkaProducer& producer, const Clock& clock, Metrics& metrics);
  // Counts the refusal and, within the source's rate, dead-letters it (the body bounded to
  // limits.deadletter_payload_bytes, redacted). `done` runs once the record is acknowledged, or at once
  // when none is written: a refusal is answered only after it is recorded. A body that may be a
  // command (`command_body`, the operations listener's) shows its sensitive fields hidden
  // (shown_payload), as a refused command on corridor.commands does.
  void record(const HttpRequest& request, int status, const std::string& reason, std::function<void()> done,
              bool command_body = false);

 private:
  const Config& config_;
  KafkaProducer& producer_;
  const Clock& clock_;
  Metrics& metrics_;
  RateLimiter rate_;
};

struct IngressContext {
  const Config& config;
  Store& store;
  KafkaProducer& producer;
  const AdapterMap& adapters;
  const Clock& clock;
  Metrics& metrics;
  Health& health;
  RefusalRecorder& refusals;
  const std::atomic<bool>& ready;  // false until the adapters exist: webhooks get 503 and are retried
  const CardVault* vault = nullptr;  // keys the ids of notifications that echo a card number
};

// Who is asking on the operations listener.
struct Caller {
  bool operator_ = false;
  std::string merchant;  // a merchant's token: that merchant only
};

// A request target's path segments ("/v1/payments/tx_1?x=1" -> v1, payments, tx_1).
std::vector<std::string_view> split_path(std::string_view target);

// An error answer: {"error": message (redacted, bounded), "code": "module.name" when there is one}.
HttpResponse error_response(int status, std::string_view message, const std::error_code& code = {});

// The public listener's routes.
HttpHandler make_ingress_handler(IngressContext context);
// The operations listener's routes.
HttpHandler make_operations_handler(IngressContext context);

// Whether a host is loopback ("127.x.x.x", "::1", "localhost"): an operations listener elsewhere needs tokens.
bool loopback_host(std::string_view host);

// The JSON of GET /v1/transactions/{txn_id}: these fields and no others (the flow's own data stays in
// the store): txn_id, merchant, reference, provider, flow, amount, amount_refunded, provider_amount,
// state, status, version, provider_refs, next_action, reason, attention, created_at, updated_at,
// rejected_inputs, events. The status is the state's in its flow, found in `registry`.
json::object transaction_view(const Transaction& txn, const std::vector<json::object>& events,
                              const ProviderRegistry& registry);

}  // namespace corridor
