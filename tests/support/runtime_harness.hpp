#pragma once
// Integration-test support: an embedded Kafka cluster that outlives the engine (so the engine can
// be stopped and started again on the same log), a temporary store folder, a collector of everything
// corridor writes to corridor.events and corridor.deadletter, and bounded waits on conditions. What the
// collectors read and the commands the engine is given are checked against corridor's published
// contracts when the test binary ends (tests/support/contracts.hpp).
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/config/config.hpp"
#include "engine/io/kafka.hpp"
#include "engine/runtime/runtime.hpp"
#include "tests/support/contracts.hpp"
#include "tests/support/eventually.hpp"

namespace corridor::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Reads a topic from the beginning on its own thread and keeps every record.
class TopicCollector {
 public:
  // `check_contracts` false: the records are the test's own making (outbox rows it wrote), not
  // corridor's, and are left out of the contract check.
  TopicCollector(const std::string& bootstrap, const std::string& topic, bool check_contracts = true);
  ~TopicCollector();
  std::vector<json::object> records() const;
  // Each record with its Kafka headers, in the order read.
  std::vector<std::pair<json::object, KafkaHeaders>> records_with_headers() const;
  // Waits until `done(records)` holds, at most `timeout`; returns whether it held.
  bool wait_until(const std::function<bool(const std::vector<json::object>&)>& done,
                  std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<json::object> records_;
  std::vector<KafkaHeaders> headers_;  // records_[i]'s
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The latest status of a transaction among collected events ("" when none).
std::string latest_status(const std::vector<json::object>& events, std::string_view txn_id);
std::vector<json::object> events_of(const std::vector<json::object>& events, std::string_view txn_id);
// Whether a transaction's command was rejected or the transaction failed: what a command the provider
// would refuse must come to, never unknown.
bool rejected_or_failed(const std::vector<json::object>& events, std::string_view txn_id);

struct Cluster {
  Cluster();
  std::unique_ptr<EmbeddedKafka> kafka;
  std::string bootstrap;
};

// A configuration for tests: the given cluster, a store in `dir`, an ingress on an OS port, the
// sandboxes on, merchant ZANDO on every registered provider, fast polls.
Config test_config(const Cluster& cluster, const std::string& dir);
// The same for any bootstrap address (one that is never dialled, for what runs without Kafka).
Config test_config_for(const std::string& bootstrap, const std::string& dir);
// `config` as one of several processes in a consumer group (kafka.assignment: group) with `partitions`
// partitions, under a short session: the embedded cluster holds a rebalance of a non-empty group open
// for the session timeout less a second, so a 3 s session keeps a hand-over to a few seconds.
void join_group_quickly(Config& config, int partitions);

// A started Runtime and a producer of commands. Without options.start_sandboxes, the built-in
// sandboxes (engine/cli/sandboxes.hpp), as `corridor run` has.
class Engine {
 public:
  Engine(const Cluster& cluster, const std::string& dir);
  explicit Engine(Config config, RuntimeOptions options = {});
  ~Engine();
  Runtime& runtime() { return *runtime_; }
  // Both record the command for the contract check (tests/support/contracts.hpp).
  void publish_command(const json::object& command, const KafkaHeaders& headers = {});
  void publish_raw(std::string_view key, std::string_view value, const KafkaHeaders& headers = {});
  const Config& config() const { return runtime_->config(); }

 private:
  std::unique_ptr<Runtime> runtime_;
  std::unique_ptr<KafkaProducer> producer_;
};

json::object payin_command(std::string reference, std::string msisdn, std::int64_t amount = 300);

}  // namespace corridor::testing
