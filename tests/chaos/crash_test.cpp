// The crash harness (issue 5, item 2): `corridor kafka`, `corridor sandbox` and `corridor run` as
// processes of their own; 2,000 payments over every provider's demo scenarios; `corridor run` killed
// with SIGKILL at moments drawn from a seed and restarted on the same store, at least ten times.
// Then: every payment at its expected final status, versions 1..n with no gap and one body per
// event_id, no second charge at any sandbox (GET /_sandbox/charges), every timer effective once.
// Replay a run with CORRIDOR_CHAOS_SEED=<seed>; CORRIDOR_CHAOS_PAYMENTS overrides the 2,000.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <csignal>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/pipeline/commands.hpp"
#include "engine/io/http_client.hpp"
#include "engine/io/kafka.hpp"
#include "sandbox/sandbox.hpp"
#include "tests/support/runtime_harness.hpp"

#ifndef CORRIDOR_BINARY
#error "CORRIDOR_BINARY must name the corridor executable (tests/CMakeLists.txt)"
#endif

extern char** environ;

namespace corridor {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

double seconds_since(Clock::time_point t0, Clock::time_point t = Clock::now()) {
  return std::chrono::duration<double>(t - t0).count();
}

// Waits on `cv` until `done` holds or `deadline` passes: the harness's only way to wait.
template <typename Pred>
bool wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, Clock::time_point deadline, Pred done) {
  return cv.wait_until(lock, deadline, done);
}

// A corridor process: stdout read line by line on a thread (waits are on its lines), stderr to a file.
class Child {
 public:
  Child(std::vector<std::string> args, const std::string& stderr_path) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    args.insert(args.begin(), CORRIDOR_BINARY);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, CORRIDOR_BINARY, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) {
      close(fds[0]);
      throw std::runtime_error("cannot start " + std::string(CORRIDOR_BINARY));
    }
    reader_ = std::thread([this, fd = fds[0]] {
      std::string partial;
      char buf[4096];
      for (;;) {
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) break;
        partial.append(buf, static_cast<std::size_t>(n));
        std::size_t nl;
        while ((nl = partial.find('\n')) != std::string::npos) {
          std::lock_guard lock(mu_);
          lines_.push_back(partial.substr(0, nl));
          partial.erase(0, nl + 1);
          cv_.notify_all();
        }
      }
      close(fd);
      std::lock_guard lock(mu_);
      eof_ = true;
      cv_.notify_all();
    });
  }
  ~Child() {
    if (pid_ > 0) stop(SIGTERM);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // The rest of the first stdout line starting with `prefix` (nullopt: exited or deadline passed).
  std::optional<std::string> line_after(std::string_view prefix, milliseconds timeout, std::size_t nth = 0) {
    std::unique_lock lock(mu_);
    std::optional<std::string> found;
    wait_until(lock, cv_, Clock::now() + timeout, [&] {
      std::size_t seen = 0;
      for (const auto& l : lines_)
        if (l.starts_with(prefix) && seen++ == nth) {
          found = l.substr(prefix.size());
          return true;
        }
      return eof_;
    });
    return found;
  }
  std::vector<std::string> lines() {
    std::lock_guard lock(mu_);
    return lines_;
  }

  // Sends `sig` and reaps the process (SIGKILL cannot be ignored; SIGTERM stops corridor cleanly).
  int stop(int sig) {
    if (pid_ <= 0) return 0;
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    if (reader_.joinable()) reader_.join();
    return status;
  }
 private:
  pid_t pid_ = -1;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
  bool eof_ = false;
  std::thread reader_;
};

// A loopback port nobody listens on now: corridor's ingress keeps it across restarts, so the
// webhook URL the sandboxes were given stays valid.
std::uint16_t free_port() {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  close(s);
  return ntohs(a.sin_port);
}

const std::vector<std::string> kProviders = {"cynod", "esipay", "flexpay", "interac", "novasend"};

// The providers' credentials as in config/corridor.yaml, the demo's short TTLs and polls, and each
// provider's base_url (the sandbox process's, or a placeholder for the sandbox process itself).
std::string config_yaml(const std::string& bootstrap, const std::string& store, std::uint16_t port,
                        const std::map<std::string, std::string>& base_urls) {
  std::map<std::string, std::map<std::string, std::string>> p = {
      {"flexpay", {{"merchant", "ZANDO"}, {"token", "sandbox-token"}}},
      {"novasend",
       {{"api_key", "sandbox-key"}, {"api_client", "sandbox-client"}, {"account_id", "merchant_9923lkdz"},
        {"webhook_secret", "sandbox-webhook-secret"}}},
      {"cynod", {{"api_key", "sandbox-cynod-key"}, {"webhook_secret", "sandbox-cynod-webhook-secret"}}},
      {"esipay", {{"uuid", "sandbox-esipay-merchant-uuid"}, {"callback_token", "sandbox-esipay-return-token-0001"}}},
      {"interac", {{"api_key", "sandbox-user:sandbox-password"}, {"webhook_hmac_key", "sandbox-webhook-hmac-key"}}},
  };
  std::ostringstream y;
  y << "kafka:\n  bootstrap: \"" << bootstrap << "\"\n  partitions: 4\n  group: corridor\n"
    << "store:\n  kind: sqlite\n  path: \"" << store << "\"\n"
    << "http:\n  listen: \"127.0.0.1:" << port << "\"\n  public_url: \"http://127.0.0.1:" << port << "\"\n"
    << "  operations_listen: \"127.0.0.1:0\"\n"
    << "sandbox:\n  enabled: false\n"
    << "executor:\n  initial_backoff_ms: 20\n  max_backoff_ms: 200\n"
    << "merchants:\n  - id: ZANDO\n    providers: [novasend, cynod, esipay, flexpay, interac]\n"
    << "providers:\n";
  for (auto& [provider, settings] : p) {
    if (const SandboxRegistration* reg = find_sandbox(provider))
      for (const auto& [k, v] : reg->demo_settings) settings[k] = v;
    // The TTLs run from the command's publication, and here a command can wait for the first burst
    // and two kills back to back: with the demo's 2 s Interac handle, 3 s FlexPay page and 5 s Cynod wallet they run
    // out before corridor hands the page out (the flows then rightly say expired, and the sandboxes'
    // customers still pay). Long enough to outlive that, still short.
    if (provider == "interac") settings["handle_ttl_seconds"] = "10";
    if (provider == "flexpay") settings["payment_ttl_ms"] = "10000";
    if (provider == "cynod") settings["confirmation_ttl_ms"] = "10000";  // the same for the wallet's 5 s
    auto url = base_urls.find(provider);
    settings["base_url"] = url == base_urls.end() ? "http://127.0.0.1:9" : url->second;
    y << "  " << provider << ":\n";
    for (const auto& [k, v] : settings) y << "    " << k << ": \"" << v << "\"\n";
    if (provider == "esipay") y << "    allowed_sources: [127.0.0.1]\n";
  }
  return y.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
}

struct Payment {
  std::string provider;
  std::string scenario;
  std::string reference;
  std::string txn_id;
  std::string expected;
  std::vector<DemoFollowUp> follow_ups;  // in order
  std::size_t next_follow_up = 0;
  std::vector<Clock::time_point> follow_up_sent;
  Clock::time_point published{};
};

struct Event {
  std::string raw;
  json::object body;
  Clock::time_point seen;
};

// Everything on corridor.events, with when the harness saw it; publishes the esipay refunds as
// their payment reaches the status they wait for (as `corridor demo` does).
class EventLog {
 public:
  EventLog(const std::string& bootstrap, std::map<std::string, Payment>& payments, KafkaProducer& producer)
      : consumer_(bootstrap, "chaos-collector"), payments_(payments), producer_(producer) {
    consumer_.assign_all("corridor.events", [](const std::string&, std::int32_t) -> std::int64_t { return -1; });
    thread_ = std::thread([this] { loop(); });
  }
  ~EventLog() {
    stop_ = true;
    thread_.join();
  }
  // Waits until every payment has a final status event that matches or `deadline` passes.
  template <typename Pred>
  bool wait(Clock::time_point deadline, Pred done) {
    std::unique_lock lock(mu);
    return wait_until(lock, cv_, deadline, [&] { return done(); });
  }
  std::mutex mu;  // guards events, latest and the payments' follow-ups
  std::vector<Event> events;
  std::map<std::string, std::pair<std::int64_t, std::string>> latest;  // txn -> (version, status)

 private:
  void loop() {
    while (!stop_.load()) {
      for (const auto& m : consumer_.poll(500, milliseconds(50))) {
        if (!m.error().empty()) continue;
        boost::system::error_code ec;
        auto v = boost::json::parse(m.value(), ec);
        if (ec || !v.is_object()) continue;
        std::lock_guard lock(mu);
        const json::object& e = v.get_object();
        const std::string txn(get_string(e, "txn_id"));
        if (get_string(e, "type") == "transaction.state_changed") {
          auto& [version, status] = latest[txn];
          if (get_int(e, "version") > version) {
            version = get_int(e, "version");
            status = get_string(e, "status");
          }
          follow_up(txn, std::string(get_string(e, "status")));
        }
        events.push_back({std::string(m.value()), std::move(v.get_object()), Clock::now()});
        cv_.notify_all();
      }
    }
  }
  void follow_up(const std::string& txn, const std::string& status) {
    auto it = payments_.find(txn);
    if (it == payments_.end()) return;
    Payment& p = it->second;
    if (p.next_follow_up >= p.follow_ups.size() || p.follow_ups[p.next_follow_up].after_status != status) return;
    json::object cmd{{"command_id", "cmd-" + p.reference + "-f" + std::to_string(p.next_follow_up)},
                     {"merchant", "ZANDO"},
                     {"reference", p.reference}};
    for (const auto& kv : p.follow_ups[p.next_follow_up].command) cmd[kv.key()] = kv.value();
    ++p.next_follow_up;
    p.follow_up_sent.push_back(Clock::now());
    producer_.produce("corridor.commands", "ZANDO:" + p.reference, boost::json::serialize(cmd), [](const std::string&) {});
  }

  KafkaConsumer consumer_;
  std::map<std::string, Payment>& payments_;
  KafkaProducer& producer_;
  std::condition_variable cv_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::uint64_t seed_from_env() {
  if (const char* s = std::getenv("CORRIDOR_CHAOS_SEED"); s != nullptr && *s != '\0') return std::stoull(s);
  return std::random_device{}() ^ (static_cast<std::uint64_t>(std::random_device{}()) << 32);
}

int int_from_env(const char* name, int fallback) {
  const char* s = std::getenv(name);
  return s != nullptr && *s != '\0' ? std::stoi(s) : fallback;
}

// A refund command published before a kill is applied and sent within this, engine up or restarted.
constexpr milliseconds kRefundInFlight{5000};
constexpr std::string_view kCallInFlight = "corridor stopped while the call was in flight";
const std::set<std::string> kTerminal = {"failed", "declined", "expired", "cancelled", "refunded"};

TEST(Chaos, KilledEngineLosesNothingAndDoesNothingTwice) {
  const std::uint64_t seed = seed_from_env();
  const int kPayments = int_from_env("CORRIDOR_CHAOS_PAYMENTS", 2000);
  const int kKills = int_from_env("CORRIDOR_CHAOS_KILLS", 12);
  std::printf("chaos: seed %llu (replay: CORRIDOR_CHAOS_SEED=%llu), %d payments, %d kills\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed), kPayments, kKills);
  std::fflush(stdout);
  std::mt19937_64 rng(seed);
  setenv("CORRIDOR_CARD_KEY", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 0);

  testing::TempDir dir;
  const std::string log = dir.path() + "/stderr.log";
  const auto t0 = Clock::now();

  // 1. The log, then the providers, then the engine.
  write_file(dir.path() + "/kafka.yaml", config_yaml("embedded", dir.path() + "/unused.db", 1, {}));
  Child kafka({"kafka", "--config", dir.path() + "/kafka.yaml", "--partitions", "4"}, log);
  const auto bootstrap = kafka.line_after("kafka bootstrap: ", std::chrono::seconds(60));
  ASSERT_TRUE(bootstrap) << "corridor kafka printed no bootstrap";

  const std::uint16_t port = free_port();
  write_file(dir.path() + "/sandbox.yaml", config_yaml(*bootstrap, dir.path() + "/unused.db", port, {}));
  Child sandboxes({"sandbox", "--config", dir.path() + "/sandbox.yaml"}, log);
  std::map<std::string, std::string> base_urls;
  for (std::size_t i = 0; i < kProviders.size(); ++i) {
    ASSERT_TRUE(sandboxes.line_after("", std::chrono::seconds(60), i)) << "corridor sandbox stopped early";
  }
  for (const auto& l : sandboxes.lines()) {
    const auto at = l.find(" sandbox: ");
    if (at != std::string::npos) base_urls[l.substr(0, at)] = l.substr(at + 10);
  }
  ASSERT_EQ(base_urls.size(), kProviders.size());
  const std::string run_config = dir.path() + "/corridor.yaml";
  write_file(run_config, config_yaml(*bootstrap, dir.path() + "/corridor.db", port, base_urls));

  std::unique_ptr<Child> engine;
  std::vector<double> ready_after;  // seconds from spawn to "http listening", each start
  auto start_engine = [&] {
    const auto spawned = Clock::now();
    engine = std::make_unique<Child>(std::vector<std::string>{"run", "--config", run_config}, log);
    const auto listening = engine->line_after("http listening: ", std::chrono::seconds(60));
    if (listening) ready_after.push_back(seconds_since(spawned));
    return listening.has_value();
  };
  ASSERT_TRUE(start_engine()) << "corridor run did not start; see " << log;

  // 2. The payments: every provider's demo scenarios, round robin in an order drawn from the seed.
  struct Kind {
    std::string provider;
    DemoScenario scenario;
  };
  std::vector<Kind> kinds;
  for (const auto& provider : kProviders)
    for (auto& s : find_sandbox(provider)->demo_scenarios()) kinds.push_back({provider, std::move(s)});
  std::map<std::string, Payment> payments;  // by txn
  std::vector<std::pair<std::string, std::string>> commands;  // key, body
  const std::string run_id = std::to_string(seed);
  for (int i = 0; i < kPayments; ++i) {
    const Kind& k = kinds[static_cast<std::size_t>(i) % kinds.size()];
    Payment p;
    p.provider = k.provider;
    p.scenario = k.scenario.name;
    p.reference = "CHAOS-" + run_id + "-" + std::to_string(i) + "-" + k.provider + "-" + k.scenario.name;
    p.expected = k.scenario.expected_status;
    p.follow_ups = k.scenario.follow_ups;
    p.txn_id = derive_txn_id("ZANDO", p.reference);
    json::object cmd{{"type", "payment.create"}, {"command_id", "cmd-" + p.reference}, {"merchant", "ZANDO"}, {"reference", p.reference}};
    for (const auto& kv : k.scenario.command) cmd[kv.key()] = kv.value();
    commands.emplace_back("ZANDO:" + p.reference, boost::json::serialize(cmd));
    payments.emplace(p.txn_id, std::move(p));
  }
  std::shuffle(commands.begin(), commands.end(), rng);

  KafkaProducer producer(*bootstrap);
  EventLog log_of_events(*bootstrap, payments, producer);

  // Published in slices of 25 every 300 ms (2,000 in 24 s), so that kills find payments at every stage.
  std::atomic<std::size_t> published{0};
  std::mutex pace_mu;
  std::condition_variable pace_cv;
  std::thread publisher([&] {
    const auto start = Clock::now();
    for (std::size_t i = 0; i < commands.size(); ++i) {
      if (i % 25 == 0) {
        std::unique_lock lock(pace_mu);
        wait_until(lock, pace_cv, start + milliseconds(300 * (i / 25)), [] { return false; });
      }
      {
        std::lock_guard lock(log_of_events.mu);
        payments[derive_txn_id("ZANDO", commands[i].first.substr(6))].published = Clock::now();
      }
      producer.produce("corridor.commands", commands[i].first, commands[i].second, [](const std::string& error) {
        if (!error.empty()) std::fprintf(stderr, "chaos: publish failed: %s\n", error.c_str());
      });
      ++published;
    }
  });

  // 3. The kills: each engine lives a time drawn from the seed (0.3 to 4.5 s after its start was
  // asked for: some die while recovering, some in full flow), then SIGKILL and a restart.
  std::uniform_int_distribution<int> lifetime_ms(300, 4500);
  std::vector<double> kill_at;  // seconds since t0
  std::vector<int> lifetimes;
  for (int i = 0; i < kKills; ++i) lifetimes.push_back(lifetime_ms(rng));
  std::mutex kill_mu;
  std::condition_variable kill_cv;
  bool start_failed = false;
  auto spawned_at = Clock::now();
  int killed_listening = 0;  // the others died while starting or recovering
  for (int i = 0; i < kKills; ++i) {
    {
      std::unique_lock lock(kill_mu);
      wait_until(lock, kill_cv, spawned_at + milliseconds(lifetimes[static_cast<std::size_t>(i)]), [] { return false; });
    }
    kill_at.push_back(seconds_since(t0));
    if (engine->line_after("http listening: ", milliseconds(0))) ++killed_listening;
    engine->stop(SIGKILL);
    std::printf("chaos: kill %2d at %6.2fs (engine lived %d ms), %zu payments published\n", i + 1, kill_at.back(),
                lifetimes[static_cast<std::size_t>(i)], published.load());
    std::fflush(stdout);
    spawned_at = Clock::now();
    // Started without waiting for it to listen: the next kill may catch it recovering.
    engine = std::make_unique<Child>(std::vector<std::string>{"run", "--config", run_config}, log);
  }
  {
    const auto listening = engine->line_after("http listening: ", std::chrono::seconds(60));
    start_failed = !listening;
  }
  publisher.join();
  const double chaos_end = seconds_since(t0);
  std::printf("chaos: %d kills and restarts done at %.2fs; all %zu payments published; waiting for final statuses\n",
              kKills, chaos_end, published.load());
  std::fflush(stdout);
  ASSERT_FALSE(start_failed) << "corridor run did not start after the last kill; see " << log;

  // 4. Final statuses. An esipay charge (or refund) in flight at a kill legitimately ends unknown.
  auto kill_between = [&](Clock::time_point from, Clock::time_point to) {
    for (double k : kill_at) {
      const auto at = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(k));
      if (at >= from && at <= to) return true;
    }
    return false;
  };
  // Settled: at a status nothing more will come after (the judging is done below), its esipay
  // refunds all sent or the last one caught by a kill.
  const std::set<std::string> kFinal = {"succeeded", "failed", "declined", "expired", "cancelled", "refunded", "unknown"};
  auto settled = [&](const Payment& p, const std::pair<std::int64_t, std::string>* latest) {
    if (latest == nullptr) return false;
    const std::string& status = latest->second;
    if (status == p.expected && p.next_follow_up == p.follow_ups.size()) return true;
    if (!p.follow_up_sent.empty() && kill_between(p.follow_up_sent.back(), p.follow_up_sent.back() + kRefundInFlight) &&
        Clock::now() > p.follow_up_sent.back() + kRefundInFlight)
      return true;
    return kFinal.contains(status) && (p.follow_ups.empty() || status != p.follow_ups[p.next_follow_up < p.follow_ups.size() ? p.next_follow_up : 0].after_status);
  };
  const auto final_deadline = Clock::now() + std::chrono::seconds(int_from_env("CORRIDOR_CHAOS_SETTLE_S", 150));
  const bool all_settled = log_of_events.wait(final_deadline, [&] {
    for (const auto& [txn, p] : payments) {
      auto it = log_of_events.latest.find(txn);
      if (!settled(p, it == log_of_events.latest.end() ? nullptr : &it->second)) return false;
    }
    return true;
  });
  const double settled_at = seconds_since(t0);
  std::printf("chaos: %s at %.2fs\n", all_settled ? "every payment settled" : "deadline passed", settled_at);

  // The sandboxes' charge counts, read once everything has settled.
  auto http = make_http_client();
  std::map<std::string, std::map<std::string, std::int64_t>> charges;  // provider -> key -> count
  for (const auto& [provider, url] : base_urls) {
    HttpRequest req;
    req.method = "GET";
    req.target = url + "/_sandbox/charges";
    auto r = http->send(req, std::chrono::seconds(10));
    ASSERT_TRUE(r && r->status == 200) << provider << ": GET /_sandbox/charges failed";
    auto v = boost::json::parse(r->body);
    for (const auto& kv : v.as_object()) charges[provider][std::string(kv.key())] = kv.value().to_number<std::int64_t>();
  }
  engine->stop(SIGTERM);

  std::lock_guard lock(log_of_events.mu);
  const std::vector<Event>& events = log_of_events.events;

  // Distinct events per transaction; one body per event_id.
  std::map<std::string, std::string> body_of;                          // event_id -> raw
  std::map<std::string, std::map<std::int64_t, const Event*>> by_txn;  // txn -> version -> event
  std::size_t duplicates = 0, two_bodies = 0;
  for (const auto& e : events) {
    const std::string id(get_string(e.body, "event_id"));
    auto [it, inserted] = body_of.emplace(id, e.raw);
    if (!inserted) {
      ++duplicates;
      if (it->second != e.raw) {
        ++two_bodies;
        ADD_FAILURE() << "event " << id << " published with two bodies:\n  " << it->second << "\n  " << e.raw;
      }
      continue;
    }
    if (get_string(e.body, "type") != "transaction.state_changed") continue;
    by_txn[std::string(get_string(e.body, "txn_id"))][get_int(e.body, "version")] = &e;
  }

  std::map<std::string, int> wrong_status;  // scenario -> count
  std::map<std::string, int> wrong_shown_of;  // scenario -> shown
  std::size_t ok = 0, esipay_charge_unknown = 0, esipay_refund_unknown = 0, version_gaps = 0;
  std::size_t timer_transitions = 0, inputs_applied_twice = 0, timers_after_terminal = 0;
  std::map<std::string, std::size_t> timer_by_name;
  for (const auto& [txn, p] : payments) {
    const auto& versions = by_txn[txn];
    const std::string status = versions.empty() ? "" : std::string(get_string(versions.rbegin()->second->body, "status"));
    const std::string reason = versions.empty() ? "" : std::string(get_string(versions.rbegin()->second->body, "reason"));
    bool accepted = status == p.expected && p.next_follow_up == p.follow_ups.size();
    if (!accepted && p.provider == "esipay" && status == "unknown" && reason.find(kCallInFlight) != std::string::npos &&
        kill_between(p.published, versions.rbegin()->second->seen)) {
      accepted = true;
      ++esipay_charge_unknown;
    } else if (!accepted && p.provider == "esipay" && !p.follow_up_sent.empty() &&
               (status == "succeeded" || status == "partially_refunded") &&
               kill_between(p.follow_up_sent.back(), p.follow_up_sent.back() + kRefundInFlight)) {
      // The refund sent last was caught by a kill: marked unknown inside the transaction (esipay has
      // no key, it is not sent again), the payment stays where it was, and no event says so (the
      // refund_unknown rows announce nothing), hence the inference from the kill times.
      accepted = true;
      ++esipay_refund_unknown;
    }
    if (accepted) {
      ++ok;
    } else {
      ++wrong_status[p.provider + "/" + p.scenario + ": expected " + p.expected + ", got " +
                     (status.empty() ? "(no event)" : status)];
      if (++wrong_shown_of[p.provider + p.scenario] <= 2) {
        std::printf("chaos: WRONG %s %s/%s expected %s got %s; published at %.2fs; its events:\n", txn.c_str(),
                    p.provider.c_str(), p.scenario.c_str(), p.expected.c_str(), status.c_str(), seconds_since(t0, p.published));
        for (const auto& [version, e] : versions) {
          const json::object* cause = get_object(e->body, "cause");
          std::printf("    v%lld seen %.2fs %s -> %s (%s) cause %s %s reason %s\n", static_cast<long long>(version),
                      seconds_since(t0, e->seen), std::string(get_string(e->body, "previous_state")).c_str(),
                      std::string(get_string(e->body, "state")).c_str(), std::string(get_string(e->body, "status")).c_str(),
                      cause ? std::string(get_string(*cause, "kind")).c_str() : "", cause ? std::string(get_string(*cause, "input_id")).c_str() : "",
                      std::string(get_string(e->body, "reason")).c_str());
        }
      }
    }
    // Versions 1..n, no gap.
    std::int64_t n = 0;
    for (const auto& [version, _] : versions)
      if (version != ++n) {
        ++version_gaps;
        ADD_FAILURE() << txn << ": versions are not 1..n (found " << version << " where " << n << " was due)";
        break;
      }
    // Each input (a timer above all) is applied at most once: its id causes one version at most,
    // and no timer moves a transaction once it has reached a terminal status.
    std::map<std::string, std::int64_t> version_of_input;
    bool terminal = false;
    for (const auto& [version, e] : versions) {
      const json::object* cause = get_object(e->body, "cause");
      const std::string input_id = cause == nullptr ? "" : std::string(get_string(*cause, "input_id"));
      const bool by_timer = cause != nullptr && get_string(*cause, "kind") == "timer";
      if (by_timer) {
        ++timer_transitions;
        const auto colon = input_id.rfind(':');
        ++timer_by_name[colon == std::string::npos ? input_id : input_id.substr(colon + 1)];
        if (terminal) {
          ++timers_after_terminal;
          ADD_FAILURE() << txn << ": timer " << input_id << " moved it after a terminal status (version " << version << ")";
        }
      }
      // The creating command makes version 1 (created) and, in the same step, its first change.
      auto [it, inserted] = version == 1 ? std::pair{version_of_input.end(), true} : version_of_input.emplace(input_id, version);
      if (!inserted && !input_id.empty()) {
        ++inputs_applied_twice;
        ADD_FAILURE() << txn << ": input " << input_id << " (" << (by_timer ? "timer" : "not a timer")
                      << ") caused versions " << it->second << " and " << version;
      }
      if (kTerminal.contains(std::string(get_string(e->body, "status")))) terminal = true;
    }
  }

  // No second charge: every count at most one, and every key one of this run's transactions.
  std::size_t charged = 0, charged_twice = 0, unknown_keys = 0;
  for (const auto& [provider, counts] : charges)
    for (const auto& [key, count] : counts) {
      auto it = payments.find(key);
      if (it == payments.end()) {
        ++unknown_keys;
        ADD_FAILURE() << provider << " sandbox: a charge under '" << key << "', not one of this run's transactions";
        continue;
      }
      ++charged;
      if (count > 1) {
        ++charged_twice;
        ADD_FAILURE() << provider << " sandbox: " << count << " charges for " << key << " (" << it->second.scenario << ")";
      }
    }

  std::printf("chaos: ---- what it did ----\n");
  std::printf("  seed %llu; %d payments over %zu scenarios of %zu providers; %d SIGKILLs and restarts\n",
              static_cast<unsigned long long>(seed), kPayments, kinds.size(), kProviders.size(), kKills);
  std::printf("  kill times (s):");
  for (double k : kill_at) std::printf(" %.2f", k);
  std::printf("\n  %d engines killed after listening, %d while starting or recovering; first start listened after %.2fs\n",
              killed_listening, kKills - killed_listening, ready_after.empty() ? -1.0 : ready_after.front());
  std::printf("  events read %zu (distinct %zu, duplicates %zu); chaos ended %.1fs, settled %.1fs, total %.1fs\n",
              events.size(), body_of.size(), duplicates, chaos_end, settled_at, seconds_since(t0));
  std::printf("chaos: ---- what it found ----\n");
  std::printf("  at expected final status: %zu / %zu (esipay charge in flight at a kill -> unknown: %zu; "
              "esipay refund in flight at a kill -> left unknown: %zu)\n",
              ok, payments.size(), esipay_charge_unknown, esipay_refund_unknown);
  for (const auto& [what, count] : wrong_status) std::printf("  WRONG %5d  %s\n", count, what.c_str());
  std::printf("  versions 1..n: %zu transaction(s) with a gap; event_ids with two bodies: %zu\n", version_gaps, two_bodies);
  std::printf("  sandbox charges: %zu transactions charged, %zu charged twice, %zu unknown keys\n", charged,
              charged_twice, unknown_keys);
  std::printf("  timers: %zu timer-caused transitions (", timer_transitions);
  for (const auto& [name, count] : timer_by_name) std::printf(" %s=%zu", name.c_str(), count);
  std::printf(" ); inputs applied twice: %zu; timers firing after a terminal status: %zu\n", inputs_applied_twice,
              timers_after_terminal);
  std::fflush(stdout);

  EXPECT_TRUE(all_settled);
  EXPECT_EQ(ok, payments.size());
  EXPECT_GE(static_cast<int>(kill_at.size()), 10);
}

}  // namespace
}  // namespace corridor
