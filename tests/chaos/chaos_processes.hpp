#pragma once
// What the chaos tests and the failover benchmark share: corridor's processes started and signalled
// (`corridor kafka`, `corridor sandbox`, `corridor run`, `corridor replay`), their configuration, a
// balancer in front of several engines' ingress ports, the payments drawn from the sandboxes' demo
// scenarios and a reader of corridor.events. No GoogleTest here: the benchmark links it too.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "statemachines/domain.hpp"
#include "engine/io/kafka.hpp"
#include "sandbox/sandbox.hpp"

namespace corridor::chaos {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

double seconds_since(Clock::time_point t0, Clock::time_point t = Clock::now());

// Waits on `cv` until `done` holds or `deadline` passes: the harness's only way to wait.
template <typename Pred>
bool wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, Clock::time_point deadline, Pred done) {
  return cv.wait_until(lock, deadline, done);
}

// A corridor process (`binary` + args): stdout read line by line on a thread (waits are on its
// lines), stderr appended to a file.
class Child {
 public:
  Child(const std::string& binary, std::vector<std::string> args, const std::string& stderr_path);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // The rest of the `nth` stdout line starting with `prefix` (nullopt: exited or timeout passed).
  std::optional<std::string> line_after(std::string_view prefix, milliseconds timeout, std::size_t nth = 0);
  std::vector<std::string> lines();
  // Sends `sig` and reaps the process (SIGKILL cannot be ignored; SIGTERM stops corridor cleanly).
  int stop(int sig);
  // Waits for the process to exit on its own (nullopt: still running after `timeout`, then killed).
  std::optional<int> wait_exit(milliseconds timeout);
  // SIGSTOP / SIGCONT: the process stays ours, unreaped.
  void signal(int sig);
  bool running() const { return pid_ > 0; }

 private:
  std::atomic<pid_t> pid_{-1};  // read by other threads (a balancer asking which engines run)
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
  bool eof_ = false;
  std::thread reader_;
};

// A loopback port nobody listens on now: corridor's ingress keeps it across restarts, so the
// webhook URL the sandboxes were given stays valid.
std::uint16_t free_port();

void write_file(const std::string& path, const std::string& text);
std::string read_file(const std::string& path);

extern const std::vector<std::string> kProviders;

// One `corridor` configuration: the providers' credentials as in config/corridor.yaml, the demo's
// short polls, TTLs long enough to outlive a restart, and each provider's base_url (the sandbox
// process's, or a placeholder when the file is the sandbox process's own).
struct EngineConfig {
  std::string bootstrap = "embedded";
  int partitions = 4;
  std::string store_kind = "sqlite";
  std::string store = "unused.db";  // the SQLite path, or the PostgreSQL URL
  std::uint16_t port = 1;           // http.listen
  std::string public_url;           // empty: the listen address
  std::string assignment;           // kafka.assignment; empty: the store's default
  std::map<std::string, std::string> kafka_properties;
  std::map<std::string, std::string> base_urls;
  // The Interac handle's, the FlexPay page's and the Cynod wallet's TTL.
  int ttl_seconds = 10;
};
std::string config_yaml(const EngineConfig& c);

// `corridor kafka` with `partitions`; its bootstrap address, or an exception.
struct KafkaProcess {
  std::unique_ptr<Child> child;
  std::string bootstrap;
};
KafkaProcess start_kafka(const std::string& binary, const std::string& dir, int partitions, const std::string& log);

// `corridor sandbox` on the ports its configuration gives, its webhooks sent to `public_url`; the
// base URL of each provider's sandbox.
struct SandboxProcess {
  std::unique_ptr<Child> child;
  std::map<std::string, std::string> base_urls;
};
SandboxProcess start_sandboxes(const std::string& binary, const std::string& dir, const std::string& bootstrap,
                               std::uint16_t public_port, const std::string& log, int ttl_seconds = 10);

// GET /_sandbox/charges of every sandbox: provider -> charge key -> count (nullopt: one did not answer).
std::optional<std::map<std::string, std::map<std::string, std::int64_t>>> read_charges(
    const std::map<std::string, std::string>& base_urls);

// A TCP balancer on a loopback port of its own, in front of several engines' ingress ports, as a load
// balancer is in front of replicas: each connection goes to the next port `live` gives that accepts
// it. The sandboxes send webhooks and the esipay return URL to it, so a killed or paused engine does
// not take them with it (a connection opened to an engine that is then paused waits as a real
// client would, and the sandbox tries again).
class Balancer {
 public:
  explicit Balancer(std::function<std::vector<std::uint16_t>()> live);
  ~Balancer();
  Balancer(const Balancer&) = delete;
  Balancer& operator=(const Balancer&) = delete;
  std::uint16_t port() const { return port_; }
  // Closes every connection open to `backend`, as a load balancer ejects a replica that stopped
  // answering: a client's pooled keep-alive connection would otherwise stay pinned to a paused engine.
  void drop(std::uint16_t backend);

 private:
  void accept_loop();
  void pump(int client);
  std::function<std::vector<std::uint16_t>()> live_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> next_{0};
  std::mutex mu_;
  std::vector<int> open_;  // client and backend sockets, shut down at the end
  std::multimap<std::uint16_t, std::pair<int, int>> pumping_;  // backend port -> (client, backend socket)
  std::size_t active_ = 0;  // connections being pumped, each on a thread of its own
  std::condition_variable done_;
  std::thread acceptor_;
};

struct Payment {
  std::string provider;
  std::string scenario;
  std::string reference;
  std::string txn_id;
  std::string expected;
  std::vector<DemoFollowUp> follow_ups;  // in order
  std::size_t next_follow_up = 0;
  std::vector<Clock::time_point> follow_up_sent;
  // The version whose status sent the last follow-up: a later version answers it (an esipay refund's
  // result, or its outcome announced unknown).
  std::int64_t follow_up_version = 0;
  Clock::time_point published{};
  // When its first input (the command, routed) was seen on corridor.inputs, and on which partition.
  std::optional<Clock::time_point> routed;
  std::int32_t input_partition = -1;
};

// `count` payments over every provider's demo scenarios, round robin, their commands shuffled by `rng`.
// References carry the run's seed written in letters (run_id_of): written in digits, a seed of 13 to 19
// digits that passes the Luhn check reads as a card number, and the router rightly refuses every
// command of the run.
struct Workload {
  std::size_t scenarios = 0;
  std::map<std::string, Payment> payments;                    // by txn
  std::vector<std::pair<std::string, std::string>> commands;  // key, body
};
Workload make_workload(std::uint64_t seed, int count, std::mt19937_64& rng);
// The seed in base 26, 'a' to 'z', least significant first: no digit in it.
std::string run_id_of(std::uint64_t seed);

struct Event {
  std::string raw;
  json::object body;
  Clock::time_point seen;
};

// Everything on corridor.events, with when the harness saw it; publishes a payment's follow-ups (the
// esipay refunds) as it reaches the status they wait for, as `corridor demo` does. It also reads
// corridor.inputs, to say when and where each payment's command was routed (Payment::routed): a
// payment late to its first event was held up either by the router or by its partition's owner.
class EventLog {
 public:
  EventLog(const std::string& bootstrap, std::map<std::string, Payment>& payments, KafkaProducer& producer);
  ~EventLog();
  template <typename Pred>
  bool wait(Clock::time_point deadline, Pred done) {
    std::unique_lock lock(mu);
    return wait_until(lock, cv_, deadline, [&] { return done(); });
  }
  std::mutex mu;  // guards events, latest and the payments' follow-ups
  std::vector<Event> events;
  struct Latest {
    std::int64_t version = 0;
    std::string status;
    std::string reason;
  };
  std::map<std::string, Latest> latest;  // txn -> its highest version seen

 private:
  void loop();
  void read_inputs();
  void follow_up(const std::string& txn, const std::string& status, std::int64_t version);

  KafkaConsumer consumer_;
  KafkaConsumer inputs_;
  std::map<std::string, Payment>& payments_;
  KafkaProducer& producer_;
  std::condition_variable cv_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::thread inputs_thread_;
};

// Publishes `workload`'s commands on corridor.commands in slices of 25 every `every` (300 ms: 2,000 in
// 24 s), stamping each payment's publication; `published` counts them.
std::thread publish_paced(Workload& workload, EventLog& log, KafkaProducer& producer, std::atomic<std::size_t>& published,
                          milliseconds every = milliseconds(300));

// What an engine's operations listener (`host:port`, printed as "operations listening: ") answers at
// GET /health/ready: whether the engine is ready, the partitions of corridor.inputs it owns (claimed,
// not fenced) and those of corridor.commands its router reads. nullopt: no answer within a second.
struct Readiness {
  bool ready = false;
  std::vector<std::int32_t> owned;
  std::vector<std::int32_t> routed;
};
std::optional<Readiness> read_readiness(const std::string& operations_address);
// Whether the engines at these operations listeners (every engine of the group that runs) have
// settled: each answers ready, and together they own each of `partitions` partitions of
// corridor.inputs exactly once and route each of corridor.commands' exactly once.
bool group_settled(const std::vector<std::string>& operations_addresses, int partitions);
// What each of them answers, one line each (for a settling that takes long).
std::string describe_group(const std::vector<std::string>& operations_addresses);

std::uint64_t seed_from_env();
int int_from_env(const char* name, int fallback);

}  // namespace corridor::chaos
