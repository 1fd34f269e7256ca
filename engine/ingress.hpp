#pragma once
// corridor's HTTP routes, as one handler request -> response (tested without a socket):
//   POST /webhooks/{provider}                   provider notifications -> corridor.inputs (2xx once acked)
//   GET|POST /callbacks/{provider}/...          return URLs and callbacks (esipay's token is in the path)
//   GET  /v1/transactions/{txn_id}              a transaction, its status and its events
//   GET  /v1/merchants/{merchant}/payment-methods  the providers a merchant may use (Cynod steps 1-2)
//   GET  /healthz, GET /metrics
#include "engine/components.hpp"
#include "engine/http.hpp"

namespace corridor {

struct IngressContext {
  const Config& config;
  Store& store;
  KafkaProducer& producer;
  const AdapterMap& adapters;
  const Clock& clock;
  Metrics& metrics;
  const std::atomic<bool>& ready;  // false until the adapters exist: webhooks get 503 and are retried
};

HttpHandler make_ingress_handler(IngressContext context);

// The JSON of GET /v1/transactions/{txn_id}.
json::object transaction_view(const Transaction& txn, const std::vector<json::object>& events);

}  // namespace corridor
