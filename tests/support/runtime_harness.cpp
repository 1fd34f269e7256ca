#include "tests/support/runtime_harness.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>

#include "adapters/adapter.hpp"
#include "engine/cli/sandboxes.hpp"
#include "engine/store/card_vault.hpp"
#include "sandbox/sandbox.hpp"
#include "tests/support/contracts.hpp"

namespace corridor::testing {

TempDir::TempDir() {
  char tmpl[] = "/tmp/corridor-test-XXXXXX";
  path_ = mkdtemp(tmpl);
}
TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

TopicCollector::TopicCollector(const std::string& bootstrap, const std::string& topic, bool check_contracts) {
  static std::atomic<int> n{0};
  auto consumer = std::make_shared<KafkaConsumer>(bootstrap, "collector-" + std::to_string(++n) + "-" + topic);
  consumer->assign_all(topic, [](const std::string&, std::int32_t) -> std::int64_t { return -1; });
  thread_ = std::thread([this, consumer, check_contracts] {
    while (!stop_.load()) {
      for (const auto& m : consumer->poll(500, std::chrono::milliseconds(50))) {
        if (!m.error().empty()) continue;
        KafkaHeaders headers = m.headers();
        if (check_contracts) record_topic_record(m.topic(), m.key(), m.value(), headers);
        boost::system::error_code ec;
        auto v = boost::json::parse(m.value(), ec);
        if (ec || !v.is_object()) continue;
        std::lock_guard lock(mu_);
        records_.push_back(std::move(v.get_object()));
        headers_.push_back(std::move(headers));
        cv_.notify_all();
      }
    }
  });
}

TopicCollector::~TopicCollector() {
  stop_ = true;
  thread_.join();
}

std::vector<json::object> TopicCollector::records() const {
  std::lock_guard lock(mu_);
  return records_;
}

std::vector<std::pair<json::object, KafkaHeaders>> TopicCollector::records_with_headers() const {
  std::lock_guard lock(mu_);
  std::vector<std::pair<json::object, KafkaHeaders>> out;
  out.reserve(records_.size());
  for (std::size_t i = 0; i < records_.size(); ++i) out.emplace_back(records_[i], headers_[i]);
  return out;
}

bool TopicCollector::wait_until(const std::function<bool(const std::vector<json::object>&)>& done,
                                std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return done(records_); });
}

std::string latest_status(const std::vector<json::object>& events, std::string_view txn_id) {
  std::string status;
  std::int64_t version = 0;
  for (const auto& e : events) {
    if (get_string(e, "txn_id") != txn_id || get_string(e, "type") != "transaction.state_changed") continue;
    if (get_int(e, "version") >= version) {
      version = get_int(e, "version");
      status = get_string(e, "status");
    }
  }
  return status;
}

std::vector<json::object> events_of(const std::vector<json::object>& events, std::string_view txn_id) {
  std::vector<json::object> out;
  for (const auto& e : events)
    if (get_string(e, "txn_id") == txn_id) out.push_back(e);
  return out;
}

bool rejected_or_failed(const std::vector<json::object>& events, std::string_view txn_id) {
  for (const auto& e : events_of(events, txn_id))
    if (get_string(e, "type") == "command.rejected" || get_string(e, "status") == "failed") return true;
  return false;
}

Cluster::Cluster() : kafka(std::make_unique<EmbeddedKafka>(3)), bootstrap(kafka->bootstrap()) {
  for (const char* topic : {"corridor.commands", "corridor.inputs", "corridor.events", "corridor.deadletter"})
    kafka->create_topic(topic, 4);
}

Config test_config(const Cluster& cluster, const std::string& dir) { return test_config_for(cluster.bootstrap, dir); }

void join_group_quickly(Config& config, int partitions) {
  config.kafka.partitions = partitions;
  config.kafka.assignment = "group";
  config.kafka.properties["session.timeout.ms"] = "3000";
  config.kafka.properties["heartbeat.interval.ms"] = "500";
}

Config test_config_for(const std::string& bootstrap, const std::string& dir) {
  // A fixed test key: card payments need one, and tests never see production data.
  setenv(CardVault::kKeyVariable, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 0);
  Config c = parse_config(embedded_default_config(), "embedded");
  c.kafka.bootstrap = bootstrap;
  c.kafka.partitions = 4;
  c.store.path = dir + "/corridor.db";
  c.http.listen = "127.0.0.1:0";
  c.http.operations_listen = "127.0.0.1:0";
  c.http.public_url.clear();
  c.sandbox.enabled = true;
  c.executor.initial_backoff_ms = 20;
  c.executor.max_backoff_ms = 200;
  for (auto& [provider, settings] : c.providers) {
    if (const SandboxRegistration* reg = find_sandbox(provider))
      for (const auto& [k, v] : reg->demo_settings) settings[k] = v;
  }
  return c;
}

Engine::Engine(const Cluster& cluster, const std::string& dir) : Engine(test_config(cluster, dir)) {}

Engine::Engine(Config config, RuntimeOptions options) {
  if (!options.start_sandboxes) options.start_sandboxes = start_sandboxes;
  runtime_ = std::make_unique<Runtime>(std::move(config), options);
  runtime_->start();
  register_corridor_listener(runtime_->http_address(), "public");
  register_corridor_listener(runtime_->operations_address(), "operations");
  producer_ = std::make_unique<KafkaProducer>(runtime_->bootstrap());
}

Engine::~Engine() {
  producer_.reset();
  runtime_->stop();
}

void Engine::publish_command(const json::object& command, const KafkaHeaders& headers) {
  const std::string key = std::string(get_string(command, "merchant")) + ":" + std::string(get_string(command, "reference"));
  publish_raw(key, boost::json::serialize(command), headers);
}

void Engine::publish_raw(std::string_view key, std::string_view value, const KafkaHeaders& headers) {
  record_command(value, headers);
  auto r = producer_->produce_sync(runtime_->config().kafka.commands, key, value, headers);
  if (!r) throw std::runtime_error(r.error().message);
}

json::object payin_command(std::string reference, std::string msisdn, std::int64_t amount) {
  return {{"type", "payment.create"},
          {"command_id", "cmd-" + reference},
          {"merchant", "ZANDO"},
          {"reference", reference},
          {"provider", "novasend"},
          {"flow", "payin"},
          {"amount", {{"value", amount}, {"currency", "XOF"}}},
          {"customer", {{"msisdn", msisdn}, {"name", "John Doe"}, {"country", "CI"}}},
          {"description", "integration test"},
          {"metadata", json::object{}}};
}

}  // namespace corridor::testing
