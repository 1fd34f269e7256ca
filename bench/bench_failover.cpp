// Failover measured (issue 15, item 5): three `corridor run` on one PostgreSQL store in one Kafka group
// (kafka.assignment: group) behind a balancer, the sandboxes as a process of their own, NovaSend
// payins published at a steady rate; once the group has settled and the load runs, the engine that
// owns the most partitions of corridor.inputs is killed with SIGKILL. failover_s runs from the kill
// until every partition it owned has made progress elsewhere: claimed by another process (its epoch
// in the store raised), then its offset in the store moved past where it stood at that claim;
// settled_s until the two left are ready and own and route every partition. The payins published
// meanwhile give their p99 (publication to the `succeeded` event), beside the p99 of those published
// before the kill. Measured with corridor's consumer settings (session.timeout.ms 10000, librdkafka's
// heartbeat.interval.ms 3000) and with tuned ones through kafka.properties (3000, 500), at the rate
// asked and at one this machine sustains.
// Then pipeline inputs/s: one burst of payins through 1, 2 and 3 engines on PostgreSQL and one
// engine on SQLite, in the same run. JSON lines ({"name", "value", "unit", ...}); asserts nothing.
// CORRIDOR_FAILOVER_RATE (500 payins/s), CORRIDOR_FAILOVER_SUSTAINED_RATE (50; 0 skips it),
// CORRIDOR_FAILOVER_SECONDS (40 s of load, the kill at 15 s) and CORRIDOR_FAILOVER_BURST (3,000
// payins; 0 skips the inputs/s) change the sizes.
#include <algorithm>
#include <atomic>
#include <boost/json/serialize.hpp>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_support.hpp"
#include "engine/pipeline/commands.hpp"
#include "engine/store/open_store.hpp"
#include "tests/chaos/chaos_processes.hpp"
#include "tests/support/postgres.hpp"

#ifndef CORRIDOR_BINARY
#error "CORRIDOR_BINARY must name the corridor executable (bench/CMakeLists.txt)"
#endif

namespace corridor {
namespace {

using namespace chaos;
using chaos::Clock;  // not corridor::Clock, the runtime's seam
constexpr int kPartitions = 12;

void pause_until(Clock::time_point at) {
  std::mutex mu;
  std::condition_variable never;
  std::unique_lock lock(mu);
  wait_until(lock, never, at, [] { return false; });
}

// `engines` corridor processes on one store (a fresh PostgreSQL database, or a SQLite file for one),
// their own `corridor kafka` and `corridor sandbox`, behind a balancer.
class Cluster {
 public:
  Cluster(int engines, const std::string& store_kind, const std::map<std::string, std::string>& kafka_properties)
      : log_(dir_.path() + "/stderr.log") {
    kafka_ = start_kafka(CORRIDOR_BINARY, dir_.path(), kPartitions, log_);
    balancer_ = std::make_unique<Balancer>([this] {
      std::lock_guard lock(mu_);
      std::vector<std::uint16_t> up;
      for (std::size_t i = 0; i < children_.size(); ++i)
        if (children_[i] && children_[i]->running()) up.push_back(ports_[i]);
      return up;
    });
    sandboxes_ = start_sandboxes(CORRIDOR_BINARY, dir_.path(), kafka_.bootstrap, balancer_->port(), log_);
    store_.kind = store_kind;
    if (store_kind == "postgres") {
      store_.url = testing::PostgresServer::shared({.durable = true}).fresh_database();
    } else {
      store_.path = dir_.path() + "/corridor.db";
    }
    for (int i = 0; i < engines; ++i) {
      EngineConfig c;
      c.bootstrap = kafka_.bootstrap;
      c.partitions = kPartitions;
      c.store_kind = store_kind;
      c.store = store_kind == "postgres" ? store_.url : store_.path;
      c.port = free_port();
      c.public_url = "http://127.0.0.1:" + std::to_string(balancer_->port());
      if (store_kind == "postgres") c.assignment = "group";
      c.kafka_properties = kafka_properties;
      c.base_urls = sandboxes_.base_urls;
      const std::string config = dir_.path() + "/corridor-" + std::to_string(i) + ".yaml";
      write_file(config, config_yaml(c));
      auto child = std::make_unique<Child>(CORRIDOR_BINARY, std::vector<std::string>{"run", "--config", config},
                                           dir_.path() + "/engine-" + std::to_string(i) + ".log");
      std::lock_guard lock(mu_);
      ports_.push_back(c.port);
      children_.push_back(std::move(child));
    }
    for (auto& c : children_) {
      if (!c->line_after("http listening: ", std::chrono::seconds(60)))
        throw std::runtime_error("corridor run did not start; see " + dir_.path());
      operations_.push_back(c->line_after("operations listening: ", std::chrono::seconds(5)).value_or(""));
    }
    auto opened = open_store(store_);
    if (!opened) throw std::runtime_error("bench_failover: " + opened.error().message);
    reader_ = std::move(*opened);
  }
  ~Cluster() {
    balancer_.reset();  // before the engines it reads
    reader_.reset();
    std::lock_guard lock(mu_);
    for (auto& c : children_)
      if (c) c->stop(SIGTERM);
  }

  const std::string& bootstrap() const { return kafka_.bootstrap; }
  std::size_t size() const { return children_.size(); }
  void kill(std::size_t i) {
    children_[i]->stop(SIGKILL);
    std::lock_guard lock(mu_);
    children_[i].reset();
  }
  // What engine `i` answers at /health/ready (nullopt: killed, or no answer).
  std::optional<Readiness> readiness(std::size_t i) {
    if (!children_[i]) return std::nullopt;
    return read_readiness(operations_[i]);
  }
  // The engines that run are ready and own every partition between them.
  bool settled() {
    std::vector<std::string> running;
    for (std::size_t i = 0; i < children_.size(); ++i)
      if (children_[i]) running.push_back(operations_[i]);
    return group_settled(running, kPartitions);
  }
  // Each partition's owner epoch in the store (empty when it cannot be read).
  std::map<std::int32_t, std::int64_t> epochs() {
    auto e = reader_->partition_epochs("corridor.inputs");
    return e ? *e : std::map<std::int32_t, std::int64_t>{};
  }
  // The store's next offset of each partition of corridor.inputs (empty when it cannot be read).
  std::map<std::int32_t, std::int64_t> offsets() {
    auto o = reader_->offsets("corridor.inputs");
    return o ? *o : std::map<std::int32_t, std::int64_t>{};
  }

 private:
  bench::TempDir dir_;
  std::string log_;
  KafkaProcess kafka_;
  std::unique_ptr<Balancer> balancer_;
  SandboxProcess sandboxes_;
  Config::Store store_;
  std::mutex mu_;
  std::vector<std::uint16_t> ports_;
  std::vector<std::unique_ptr<Child>> children_;
  std::vector<std::string> operations_;  // each engine's operations listener
  std::unique_ptr<Store> reader_;
};

// `count` NovaSend payins (the sandbox's success path): each ends `succeeded`.
Workload payins(const std::string& run, int count) {
  Workload w;
  w.scenarios = 1;
  for (int i = 0; i < count; ++i) {
    Payment p;
    p.provider = "novasend";
    p.scenario = "payin";
    p.reference = "FAILOVER-" + run + "-" + std::to_string(i);
    p.expected = "succeeded";
    p.txn_id = derive_txn_id("ZANDO", p.reference);
    json::object cmd = bench::payin_command(p.reference);
    w.commands.emplace_back("ZANDO:" + p.reference, boost::json::serialize(cmd));
    w.payments.emplace(p.txn_id, std::move(p));
  }
  return w;
}

// When each transaction first reached `succeeded`, from the events seen (call with log.mu held).
std::map<std::string, Clock::time_point> succeeded_at(const EventLog& log) {
  std::map<std::string, Clock::time_point> at;
  for (const auto& e : log.events)
    if (get_string(e.body, "status") == "succeeded") at.emplace(std::string(get_string(e.body, "txn_id")), e.seen);
  return at;
}

double p99_ms(std::vector<double> ms) {
  if (ms.empty()) return -1;
  std::sort(ms.begin(), ms.end());
  return ms[std::min(ms.size() - 1, static_cast<std::size_t>(static_cast<double>(ms.size()) * 0.99))];
}

bool all_succeeded(EventLog& log, const Workload& w, Clock::time_point deadline) {
  return log.wait(deadline, [&] {
    for (const auto& [txn, p] : w.payments) {
      auto it = log.latest.find(txn);
      if (it == log.latest.end() || it->second.status != "succeeded") return false;
    }
    return true;
  });
}

// Polls `done` every 20 ms until it holds or `bound` passes; the time it took (nullopt: it did not).
template <typename Pred>
std::optional<double> seconds_until(Pred done, std::chrono::seconds bound) {
  const auto from = Clock::now();
  for (;;) {
    if (done()) return seconds_since(from);
    if (Clock::now() >= from + bound) return std::nullopt;
    pause_until(Clock::now() + milliseconds(20));
  }
}

void failover(const std::string& setting, const std::map<std::string, std::string>& properties, int session_ms,
              int heartbeat_ms, int rate) {
  const int seconds = int_from_env("CORRIDOR_FAILOVER_SECONDS", 40);
  const auto kill_after = std::chrono::seconds(15);
  Cluster cluster(3, "postgres", properties);
  if (!seconds_until([&] { return cluster.settled(); }, std::chrono::seconds(120)))
    throw std::runtime_error("the three engines did not settle into one group");
  Workload w = payins(setting + std::to_string(rate), rate * seconds);
  KafkaProducer producer(cluster.bootstrap());
  EventLog log(cluster.bootstrap(), w.payments, producer);

  // A steady rate: a slice every 20 ms.
  const int per_slice = std::max(1, rate / 50);
  const auto start = Clock::now();
  std::thread publisher([&] {
    for (std::size_t i = 0; i < w.commands.size(); ++i) {
      if (i % static_cast<std::size_t>(per_slice) == 0) pause_until(start + milliseconds(20 * (i / per_slice)));
      const auto& [key, body] = w.commands[i];
      {
        std::lock_guard lock(log.mu);
        w.payments[derive_txn_id("ZANDO", key.substr(6))].published = Clock::now();
      }
      producer.produce("corridor.commands", key, body, [](const std::string&) {});
    }
  });

  // The engine that owns the most partitions, and where they stood.
  pause_until(start + kill_after);
  std::size_t victim = 0;
  std::vector<std::int32_t> owned;
  for (std::size_t i = 0; i < cluster.size(); ++i)
    if (auto r = cluster.readiness(i); r && r->owned.size() > owned.size()) {
      victim = i;
      owned = r->owned;
    }
  const auto epochs_before = cluster.epochs();
  const auto killed = Clock::now();
  cluster.kill(victim);
  // Its partitions claimed by another process (their epochs raised), then moved on by it: a commit the
  // killed process sent just before it died can still land, so only offsets past those seen after
  // the new claims count.
  std::map<std::int32_t, std::int64_t> claimed_at;
  const auto moved = seconds_until(
      [&] {
        if (owned.empty()) return false;
        if (claimed_at.empty()) {
          auto epochs = cluster.epochs();
          for (const auto p : owned) {
            auto was = epochs_before.find(p);
            if (epochs[p] <= (was == epochs_before.end() ? 0 : was->second)) return false;
          }
          claimed_at = cluster.offsets();
          return false;
        }
        auto now = cluster.offsets();
        for (const auto p : owned)
          if (now[p] <= claimed_at[p]) return false;
        return true;
      },
      std::chrono::seconds(120));
  const auto recovered = Clock::now();
  const auto settled = seconds_until([&] { return cluster.settled(); }, std::chrono::seconds(60));
  publisher.join();
  const bool done = all_succeeded(log, w, Clock::now() + std::chrono::seconds(180));

  std::lock_guard lock(log.mu);
  const auto at = succeeded_at(log);
  std::vector<double> steady, during;
  std::size_t unfinished = 0;
  for (const auto& [txn, p] : w.payments) {
    auto it = at.find(txn);
    if (it == at.end()) {
      ++unfinished;
      continue;
    }
    const double ms = std::chrono::duration<double, std::milli>(it->second - p.published).count();
    if (p.published >= killed && p.published <= recovered) during.push_back(ms);
    if (p.published >= start + std::chrono::seconds(5) && p.published < killed) steady.push_back(ms);
  }
  std::printf("{\"name\":\"failover_s\",\"setting\":\"%s\",\"session_timeout_ms\":%d,\"heartbeat_interval_ms\":%d,"
              "\"value\":%.2f,\"unit\":\"s\",\"instances\":3,\"store\":\"postgres\",\"payins_per_s\":%d,"
              "\"partitions_of_killed\":%zu,\"moved\":%s,\"settled_s\":%.2f}\n",
              setting.c_str(), session_ms, heartbeat_ms, moved.value_or(-1), rate, owned.size(),
              moved ? "true" : "false", settled.value_or(-1));
  std::printf("{\"name\":\"payin_p99_during_failover_ms\",\"setting\":\"%s\",\"payins_per_s\":%d,\"value\":%.0f,"
              "\"unit\":\"ms\",\"payins\":%zu,\"steady_p99_ms\":%.0f,\"steady_payins\":%zu,\"unfinished\":%zu,"
              "\"all_succeeded\":%s}\n",
              setting.c_str(), rate, p99_ms(during), during.size(), p99_ms(steady), steady.size(), unfinished,
              done ? "true" : "false");
  std::fflush(stdout);
}

void throughput(const std::string& store_kind, int engines) {
  const int burst = int_from_env("CORRIDOR_FAILOVER_BURST", 3000);
  Cluster cluster(engines, store_kind, {});
  // In a group, the burst starts once the engines own every partition between them.
  if (store_kind == "postgres" && !seconds_until([&] { return cluster.settled(); }, std::chrono::seconds(120)))
    throw std::runtime_error("the engines did not settle into one group");
  Workload w = payins(store_kind + std::to_string(engines), burst);
  KafkaProducer producer(cluster.bootstrap());
  EventLog log(cluster.bootstrap(), w.payments, producer);
  const auto start = Clock::now();
  for (const auto& [key, body] : w.commands) producer.produce("corridor.commands", key, body, [](const std::string&) {});
  producer.flush(std::chrono::seconds(30));
  const bool done = all_succeeded(log, w, Clock::now() + std::chrono::seconds(300));
  const double elapsed = seconds_since(start);
  std::int64_t inputs = 0;
  for (const auto& [partition, offset] : cluster.offsets()) inputs += offset;
  std::printf("{\"name\":\"pipeline_inputs_per_s\",\"store\":\"%s\",\"instances\":%d,\"value\":%.0f,\"unit\":\"inputs/s\","
              "\"inputs\":%lld,\"payins\":%d,\"seconds\":%.2f,\"all_succeeded\":%s}\n",
              store_kind.c_str(), engines, static_cast<double>(inputs) / elapsed, static_cast<long long>(inputs), burst,
              elapsed, done ? "true" : "false");
  std::fflush(stdout);
}

}  // namespace
}  // namespace corridor

int main() {
  using namespace corridor;
  setenv("CORRIDOR_CARD_KEY", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 0);
  try {
    const std::map<std::string, std::string> tuned{{"session.timeout.ms", "3000"}, {"heartbeat.interval.ms", "500"}};
    for (const int rate :
         {int_from_env("CORRIDOR_FAILOVER_RATE", 500), int_from_env("CORRIDOR_FAILOVER_SUSTAINED_RATE", 50)}) {
      if (rate <= 0) continue;
      failover("default", {}, 10000, 3000, rate);
      failover("tuned", tuned, 3000, 500, rate);
    }
    if (int_from_env("CORRIDOR_FAILOVER_BURST", 3000) > 0) {
      throughput("sqlite", 1);
      for (int n = 1; n <= 3; ++n) throughput("postgres", n);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_failover: %s\n", e.what());
    return 1;
  }
  return 0;
}
