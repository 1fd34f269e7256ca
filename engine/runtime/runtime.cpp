#include "engine/runtime/runtime.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <optional>
#include <iostream>
#include <stdexcept>
#include <thread>

#include "engine/pipeline/commands.hpp"
#include "engine/io/http_server.hpp"
#include "engine/ingress/ingress.hpp"
#include "engine/pipeline/executor.hpp"
#include "engine/pipeline/metric_labels.hpp"
#include "engine/pipeline/processor.hpp"
#include "engine/pipeline/relay.hpp"
#include "engine/pipeline/router.hpp"
#include "engine/pipeline/scheduler.hpp"
#include "engine/pipeline/threads.hpp"
#include "engine/store/open_store.hpp"
#include "adapters/registry.hpp"

namespace corridor {

struct Runtime::Impl {
  Config config;
  SystemClock system_clock;
  const Clock* clock;
  Metrics metrics;
  Health health;

  std::optional<CardVault> vault;
  std::unique_ptr<EmbeddedKafka> embedded;
  std::string bootstrap;
  std::unique_ptr<StoreWriterLock> store_lock;  // released after the store closes (declared before it)
  std::unique_ptr<Store> store;
  std::unique_ptr<KafkaProducer> producer;
  std::unique_ptr<HttpClient> http_client;
  std::unique_ptr<HttpServer> http_server;
  std::unique_ptr<HttpServer> operations_server;
  std::unique_ptr<RefusalRecorder> refusals;
  std::string public_url;
  std::shared_ptr<void> sandboxes;  // what options.start_sandboxes returned
  std::shared_ptr<void> backlog_sampler;  // Metrics::add_sampler's handle: the store's gauges
  AdapterMap adapters;
  std::unique_ptr<Ownership> ownership;  // the partitions of corridor.inputs this process owns
  std::unique_ptr<Processor> processor;
  std::unique_ptr<Executor> executor;
  Signal relay_wake, scheduler_wake;

  std::atomic<bool> stop_router{false}, stop_processor{false}, stop_scheduler{false}, stop_relay{false};
  std::thread router, processor_thread, relay, scheduler;
  bool started = false;
  std::atomic<bool> ready{false};

  RuntimeOptions options;

  Impl(Config c, RuntimeOptions o) : config(std::move(c)), clock(o.clock ? o.clock : &system_clock), options(o) {}

  // Refuses a store that is ahead of the log: carrying on would skip every input up to the stored
  // offsets in the new log.
  void check_log_not_reset() {
    auto stored = store->offsets(config.kafka.inputs);
    if (!stored) throw std::runtime_error(stored.error().message);
    if (stored->empty()) return;
    KafkaConsumer probe(bootstrap, config.kafka.group + ".probe", config.kafka.properties);
    for (const auto& [partition, next] : *stored) {
      auto end = probe.high_watermark(config.kafka.inputs, partition);
      if (!end) throw std::runtime_error("cannot read the end of " + config.kafka.inputs + ": " + end.error().message);
      if (next <= *end) continue;
      // The in-process embedded log ends with the process while the store lives on: a log behind the
      // store is what every start on it finds, never a mistake.
      if (options.accept_log_reset || embedded) {
        std::cerr << "corridor: " << config.kafka.inputs << " was reset; reading the new log from its start" << std::endl;
        if (auto r = store->reset_offsets(config.kafka.inputs); !r) throw std::runtime_error(r.error().message);
        return;
      }
      throw std::runtime_error(
          "the store has applied " + config.kafka.inputs + " partition " + std::to_string(partition) +
          " up to offset " + std::to_string(next) + " but the log ends at " + std::to_string(*end) +
          ": the log was reset (an embedded Kafka restarted, or the topic was re-created). Refusing to carry on "
          "inconsistently. Point corridor at the log it used, or start with --accept-log-reset to read the new "
          "log from its start (processed input ids still prevent double application).");
    }
  }
};

Runtime::Runtime(Config config, RuntimeOptions options)
    : impl_(std::make_unique<Impl>(std::move(config), options)) {}

Runtime::~Runtime() { stop(); }

void Runtime::start() {
  Impl& m = *impl_;
  Config& cfg = m.config;

  // Card traffic without a key is refused at start, never handled in clear.
  m.vault = CardVault::from_environment();
  for (const auto& merchant : cfg.merchants) {
    for (const auto& provider : merchant.providers) {
      for (const Flow* f : cfg.registry->flows()) {
        const bool takes_card = std::find(f->required_fields.begin(), f->required_fields.end(), "card.number") !=
                                f->required_fields.end();
        if (f->provider == provider && takes_card && !m.vault)
          throw std::runtime_error(std::string(CardVault::kKeyVariable) + " is not set, but merchant " + merchant.id +
                                   " uses " + provider + ", which takes card numbers: set it to 64 hex characters "
                                   "(openssl rand -hex 32)");
      }
    }
  }

  if (cfg.kafka.bootstrap == "embedded") {
    m.embedded = std::make_unique<EmbeddedKafka>();
    for (const auto& topic : {cfg.kafka.commands, cfg.kafka.inputs, cfg.kafka.events, cfg.kafka.deadletter})
      m.embedded->create_topic(topic, cfg.kafka.partitions);
    m.bootstrap = m.embedded->bootstrap();
    for (const auto& [key, value] : EmbeddedKafka::client_properties()) cfg.kafka.properties.try_emplace(key, value);
  } else {
    m.bootstrap = cfg.kafka.bootstrap;
  }
  if (cfg.store.kind == "sqlite") {
    auto lock = lock_sqlite_writer(cfg.store.path);
    if (!lock) throw std::runtime_error(lock.error().message);
    m.store_lock = std::move(*lock);
  }
  auto store = open_store(cfg.store);
  if (!store) throw std::runtime_error(store.error().message);
  m.store = std::move(*store);
  if (cfg.store.max_bytes > 0) {
    if (auto r = m.store->limit_size(cfg.store.max_bytes); !r) throw std::runtime_error(r.error().message);
  }
  m.check_log_not_reset();
  // Transactions stored before the list's columns existed get them (store.hpp list_unlisted).
  if (auto r = m.store->list_unlisted([&cfg](const Transaction& t) {
        const Flow* f = cfg.registry->find_flow(t.flow_id());
        const StateInfo* s = f != nullptr ? f->state(t.state) : nullptr;
        return std::string(s != nullptr ? to_string(s->status) : "unknown");
      });
      !r)
    throw std::runtime_error(r.error().message);
  m.producer = std::make_unique<KafkaProducer>(m.bootstrap, cfg.kafka.properties);
  m.http_client = make_http_client();

  // Credentials never appear in what corridor writes: each is replaced wherever it would.
  for (const auto& [provider, settings] : cfg.providers)
    for (const auto& [key, value] : settings)
      if (is_secret_setting(key)) register_secret("providers." + provider + "." + key, value);
  for (const auto& t : cfg.auth.operator_tokens) register_secret("auth.operator_tokens", t);
  for (const auto& merchant : cfg.merchants)
    for (const auto& t : merchant.tokens) register_secret("merchants." + merchant.id + ".tokens", t);

  // The ingress first: the sandboxes need its address for their webhooks.
  auto split = [](const std::string& address) {
    const auto colon = address.rfind(':');
    return std::pair{address.substr(0, colon), static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1)))};
  };
  const auto [host, port] = split(cfg.http.listen);
  const auto [ops_host, ops_port] = split(cfg.http.operations_listen);
  const bool any_token = !cfg.auth.operator_tokens.empty() ||
                         std::any_of(cfg.merchants.begin(), cfg.merchants.end(), [](const auto& mc) { return !mc.tokens.empty(); });
  if (!loopback_host(ops_host) && !any_token)
    throw std::runtime_error("http.operations_listen " + cfg.http.operations_listen +
                             " is not a loopback address: set auth.operator_tokens (or merchants[].tokens), or "
                             "listen on 127.0.0.1");
  std::vector<std::pair<std::string_view, std::string_view>> flows;
  for (const Flow* f : cfg.registry->flows()) flows.emplace_back(f->provider, f->name);
  m.metrics.declare_flows(flows);
  m.refusals = std::make_unique<RefusalRecorder>(cfg, *m.producer, *m.clock, m.metrics);
  HttpServerOptions http_options;
  http_options.max_body_bytes = static_cast<std::size_t>(cfg.limits.webhook_bytes);
  http_options.threads = 2;
  // Refused before any handler (oversized or malformed): still a dead letter (within the source's
  // rate), without the body.
  http_options.on_refused = [&m](const HttpRequest& req, int status, const std::string& reason) {
    m.metrics.webhooks_refused.add({provider_of_target(*m.config.registry, req.target)});
    m.refusals->record(req, status, reason, [] {});
  };
  const IngressContext context{cfg,      *m.store,      *m.producer, m.adapters,
                               *m.clock, m.metrics,     m.health,    *m.refusals,
                               m.ready,  m.vault ? &*m.vault : nullptr};
  m.http_server = std::make_unique<HttpServer>(host, port, make_ingress_handler(context), http_options);
  HttpServerOptions ops_options = http_options;
  ops_options.threads = 1;
  m.operations_server = std::make_unique<HttpServer>(ops_host, ops_port, make_operations_handler(context), ops_options);
  m.public_url = cfg.http.public_url.empty() || port == 0 ? "http://" + m.http_server->address() : cfg.http.public_url;

  for (auto& [provider, settings] : cfg.providers) settings["public_url"] = m.public_url;
  if (cfg.sandbox.enabled) {
    if (!m.options.start_sandboxes)
      throw std::runtime_error("sandbox.enabled is true, but this program carries no sandboxes: set sandbox.enabled "
                               "to false and give each provider's base_url");
    // Built-in sandboxes stay on loopback even when the ingress listens on every address.
    const std::string sandbox_host = host.empty() || host == "0.0.0.0" ? "127.0.0.1" : host;
    m.sandboxes = m.options.start_sandboxes(sandbox_host, m.public_url, cfg.providers);
  }
  for (const auto& [provider, settings] : cfg.providers) {
    const AdapterRegistration* reg = cfg.registry->find_adapter(provider);
    if (reg == nullptr) throw std::runtime_error("no adapter for provider " + provider);
    m.adapters.emplace(provider, reg->make(settings));
  }
  m.ready = true;

  const CardVault* vault = m.vault ? &*m.vault : nullptr;
  m.ownership = std::make_unique<Ownership>(cfg.kafka.inputs, cfg.kafka.assignment != "group");
  m.executor =
      std::make_unique<Executor>(cfg, *m.store, *m.producer, *m.http_client, m.adapters, *m.clock, vault, m.metrics,
                                 &m.health, m.ownership.get());
  m.processor = std::make_unique<Processor>(
      *m.store, cfg,
      Processor::Hooks{[&m] {
                         m.metrics.batches_committed++;
                         m.health.progressed(Health::Part::processor);
                         m.relay_wake.notify();
                         m.scheduler_wake.notify();
                       },
                       [&m](const BatchStats& s) {
                         m.metrics.inputs_applied += static_cast<std::int64_t>(s.applied);
                         m.metrics.inputs_duplicate += static_cast<std::int64_t>(s.duplicates);
                         m.metrics.inputs_rejected += static_cast<std::int64_t>(s.rejected);
                         count_batch(m.metrics, s);
                       },
                       [&m] {
                         m.metrics.store_commit_failures++;
                         m.health.stalled(Health::Part::processor, "the store refuses the batch's commit",
                                          m.clock->now_ms());
                       },
                       [&m](const StoreBatch& batch) { m.executor->applied(batch); },
                       {},
                       [&m](KafkaConsumer& consumer) {
                         return m.metrics.add_sampler([&m, &consumer] {
                           if (auto lag = consumer.lag()) m.metrics.consumer_lag.set({m.config.kafka.inputs}, *lag);
                         });
                       },
                       [&m](std::int32_t, std::int64_t) {
                         m.metrics.partitions_owned.set({}, static_cast<std::int64_t>(m.ownership->count()));
                         m.executor->notify();  // the partition's pending calls are this process's now
                         m.relay_wake.notify();
                         m.scheduler_wake.notify();
                       },
                       [&m](const std::vector<std::int32_t>&) {
                         m.metrics.partitions_owned.set({}, static_cast<std::int64_t>(m.ownership->count()));
                       },
                       [&m](std::int32_t, std::int64_t) { m.metrics.commits_fenced++; }},
      m.ownership.get());
  m.executor->start();
  // The gauges that read the store, at a scrape (at most once a second).
  m.backlog_sampler = m.metrics.add_sampler([&m] {
    constexpr std::int64_t kCap = 1'000'000;
    auto b = m.store->backlog(m.clock->now_ms(), kCap);
    if (!b) return;
    m.metrics.outbox_depth.set({}, b->outbox);
    m.metrics.pending_calls.set({}, b->pending_calls);
    m.metrics.timers_due.set({}, b->timers_due);
  });
  m.relay = std::thread([&m] {
    run_relay(m.config, *m.store, *m.producer, m.relay_wake, *m.clock, m.metrics, m.health, m.stop_relay,
              m.ownership.get());
  });
  m.scheduler = std::thread([&m] {
    run_scheduler(m.config, *m.store, *m.producer, *m.clock, m.scheduler_wake, m.metrics, m.health, m.stop_scheduler,
                  m.ownership.get());
  });
  m.processor_thread = std::thread([&m] {
    name_thread("corridor-proc");
    m.processor->run(m.bootstrap, m.stop_processor);
  });
  m.router = std::thread([&m, vault] {
    run_router(m.config, m.bootstrap, *m.producer, *m.clock, vault, m.metrics, m.health, m.stop_router);
  });
  m.started = true;
}

void Runtime::stop() {
  Impl& m = *impl_;
  if (!m.started) return;
  m.started = false;
  // Upstream first, so that each stage drains what the one before it produced.
  m.stop_router = true;
  if (m.router.joinable()) m.router.join();
  m.stop_processor = true;
  if (m.processor_thread.joinable()) m.processor_thread.join();
  m.stop_scheduler = true;
  m.scheduler_wake.notify();
  if (m.scheduler.joinable()) m.scheduler.join();
  m.executor->stop();
  m.stop_relay = true;
  m.relay_wake.notify();
  if (m.relay.joinable()) m.relay.join();
  m.http_server->stop();
  m.operations_server->stop();
  m.sandboxes.reset();
  m.backlog_sampler.reset();
  m.producer->flush(std::chrono::seconds(10));
}

std::string Runtime::bootstrap() const { return impl_->bootstrap; }
std::string Runtime::http_address() const { return impl_->http_server ? impl_->http_server->address() : ""; }
std::string Runtime::operations_address() const {
  return impl_->operations_server ? impl_->operations_server->address() : "";
}
std::string Runtime::public_url() const { return impl_->public_url; }
const Config& Runtime::config() const { return impl_->config; }
Store& Runtime::store() { return *impl_->store; }
Metrics& Runtime::metrics() { return impl_->metrics; }
Health& Runtime::health() { return impl_->health; }
EmbeddedKafka* Runtime::embedded_kafka() { return impl_->embedded.get(); }

}  // namespace corridor
