// corridor's processes for the chaos tests and the failover benchmark (chaos_processes.hpp).
#include "tests/chaos/chaos_processes.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "engine/io/http_client.hpp"
#include "engine/pipeline/commands.hpp"

extern char** environ;

namespace corridor::chaos {

double seconds_since(Clock::time_point t0, Clock::time_point t) { return std::chrono::duration<double>(t - t0).count(); }

Child::Child(const std::string& binary, std::vector<std::string> args, const std::string& stderr_path) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  args.insert(args.begin(), binary);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
  pid_ = pid;
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    pid_ = -1;
    throw std::runtime_error("cannot start " + binary);
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

Child::~Child() {
  if (pid_ > 0) {
    kill(pid_, SIGCONT);  // a paused process cannot stop cleanly
    stop(SIGTERM);
  }
  if (reader_.joinable()) reader_.join();
}

std::optional<std::string> Child::line_after(std::string_view prefix, milliseconds timeout, std::size_t nth) {
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

std::vector<std::string> Child::lines() {
  std::lock_guard lock(mu_);
  return lines_;
}

int Child::stop(int sig) {
  if (pid_ <= 0) return 0;
  kill(pid_, sig);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  if (reader_.joinable()) reader_.join();
  return status;
}

std::optional<int> Child::wait_exit(milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  // The reader sees end of file when the process exits (its stdout closes): a bounded wait on that.
  {
    std::unique_lock lock(mu_);
    wait_until(lock, cv_, Clock::now() + timeout, [&] { return eof_; });
    if (!eof_) {
      lock.unlock();
      stop(SIGKILL);
      return std::nullopt;
    }
  }
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  if (reader_.joinable()) reader_.join();
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void Child::signal(int sig) {
  if (pid_ > 0) kill(pid_, sig);
}

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

void write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

const std::vector<std::string> kProviders = {"cynod", "esipay", "flexpay", "interac", "novasend"};

std::string config_yaml(const EngineConfig& c) {
  std::map<std::string, std::map<std::string, std::string>> p = {
      {"flexpay", {{"merchant", "ZANDO"}, {"token", "sandbox-token"}}},
      {"novasend",
       {{"api_key", "sandbox-key"}, {"api_client", "sandbox-client"}, {"account_id", "merchant_9923lkdz"},
        {"webhook_secret", "sandbox-webhook-secret"}}},
      {"cynod", {{"api_key", "sandbox-cynod-key"}, {"webhook_secret", "sandbox-cynod-webhook-secret"}}},
      {"esipay", {{"uuid", "sandbox-esipay-merchant-uuid"}, {"callback_token", "sandbox-esipay-return-token-0001"}}},
      {"interac", {{"api_key", "sandbox-user:sandbox-password"}, {"webhook_hmac_key", "sandbox-webhook-hmac-key"}}},
  };
  const std::string public_url = c.public_url.empty() ? "http://127.0.0.1:" + std::to_string(c.port) : c.public_url;
  std::ostringstream y;
  y << "kafka:\n  bootstrap: \"" << c.bootstrap << "\"\n  partitions: " << c.partitions << "\n  group: corridor\n";
  if (!c.assignment.empty()) y << "  assignment: " << c.assignment << "\n";
  if (!c.kafka_properties.empty()) {
    y << "  properties:\n";
    for (const auto& [k, v] : c.kafka_properties) y << "    " << k << ": \"" << v << "\"\n";
  }
  y << "store:\n  kind: " << c.store_kind << "\n"
    << (c.store_kind == "sqlite" ? "  path: \"" : "  url: \"") << c.store << "\"\n"
    << "http:\n  listen: \"127.0.0.1:" << c.port << "\"\n  public_url: \"" << public_url << "\"\n"
    << "  operations_listen: \"127.0.0.1:0\"\n"
    << "sandbox:\n  enabled: false\n"
    << "executor:\n  initial_backoff_ms: 20\n  max_backoff_ms: 200\n"
    << "merchants:\n  - id: ZANDO\n    providers: [novasend, cynod, esipay, flexpay, interac]\n"
    << "providers:\n";
  for (auto& [provider, settings] : p) {
    if (const SandboxRegistration* reg = find_sandbox(provider))
      for (const auto& [k, v] : reg->demo_settings) settings[k] = v;
    // The TTLs run from the command's publication, and here a command can wait for the first burst
    // and two kills back to back: with the demo's 2 s Interac handle, 3 s FlexPay page and 5 s Cynod
    // wallet they run out before corridor hands the page out (the flows then rightly say expired, and
    // the sandboxes' customers still pay). Long enough to outlive that, still short.
    if (provider == "interac") settings["handle_ttl_seconds"] = std::to_string(c.ttl_seconds);
    if (provider == "flexpay") settings["payment_ttl_ms"] = std::to_string(c.ttl_seconds * 1000);
    if (provider == "cynod") settings["confirmation_ttl_ms"] = std::to_string(c.ttl_seconds * 1000);
    auto url = c.base_urls.find(provider);
    settings["base_url"] = url == c.base_urls.end() ? "http://127.0.0.1:9" : url->second;
    y << "  " << provider << ":\n";
    for (const auto& [k, v] : settings) y << "    " << k << ": \"" << v << "\"\n";
    if (provider == "esipay") y << "    allowed_sources: [127.0.0.1]\n";
  }
  return y.str();
}

KafkaProcess start_kafka(const std::string& binary, const std::string& dir, int partitions, const std::string& log) {
  EngineConfig c;
  c.partitions = partitions;
  c.store = dir + "/unused.db";
  write_file(dir + "/kafka.yaml", config_yaml(c));
  KafkaProcess k;
  k.child = std::make_unique<Child>(
      binary, std::vector<std::string>{"kafka", "--config", dir + "/kafka.yaml", "--partitions", std::to_string(partitions)},
      log);
  const auto bootstrap = k.child->line_after("kafka bootstrap: ", std::chrono::seconds(60));
  if (!bootstrap) throw std::runtime_error("corridor kafka printed no bootstrap; see " + log);
  k.bootstrap = *bootstrap;
  return k;
}

SandboxProcess start_sandboxes(const std::string& binary, const std::string& dir, const std::string& bootstrap,
                               std::uint16_t public_port, const std::string& log, int ttl_seconds) {
  EngineConfig c;
  c.bootstrap = bootstrap;
  c.ttl_seconds = ttl_seconds;
  c.store = dir + "/unused.db";
  c.port = public_port;
  write_file(dir + "/sandbox.yaml", config_yaml(c));
  SandboxProcess s;
  s.child = std::make_unique<Child>(binary, std::vector<std::string>{"sandbox", "--config", dir + "/sandbox.yaml"}, log);
  for (std::size_t i = 0; i < kProviders.size(); ++i)
    if (!s.child->line_after("", std::chrono::seconds(60), i))
      throw std::runtime_error("corridor sandbox stopped early; see " + log);
  for (const auto& l : s.child->lines()) {
    const auto at = l.find(" sandbox: ");
    if (at != std::string::npos) s.base_urls[l.substr(0, at)] = l.substr(at + 10);
  }
  if (s.base_urls.size() != kProviders.size()) throw std::runtime_error("corridor sandbox did not name every sandbox");
  return s;
}

std::optional<std::map<std::string, std::map<std::string, std::int64_t>>> read_charges(
    const std::map<std::string, std::string>& base_urls) {
  auto http = make_http_client();
  std::map<std::string, std::map<std::string, std::int64_t>> charges;
  for (const auto& [provider, url] : base_urls) {
    HttpRequest req;
    req.method = "GET";
    req.target = url + "/_sandbox/charges";
    auto r = http->send(req, std::chrono::seconds(10));
    if (!r || r->status != 200) return std::nullopt;
    boost::system::error_code ec;
    auto v = boost::json::parse(r->body, ec);
    if (ec || !v.is_object()) return std::nullopt;
    for (const auto& kv : v.get_object())
      charges[provider][std::string(kv.key())] = kv.value().to_number<std::int64_t>();
  }
  return charges;
}

Balancer::Balancer(std::function<std::vector<std::uint16_t>()> live) : live_(std::move(live)) {
  listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(listener_, 128) != 0)
    throw std::runtime_error("balancer: cannot listen");
  socklen_t len = sizeof a;
  getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

Balancer::~Balancer() {
  stop_ = true;
  shutdown(listener_, SHUT_RDWR);
  acceptor_.join();
  close(listener_);
  {
    std::lock_guard lock(mu_);
    for (int fd : open_) shutdown(fd, SHUT_RDWR);
  }
  // Each pump sees its sockets shut down within one poll and ends.
  std::unique_lock lock(mu_);
  done_.wait(lock, [this] { return active_ == 0; });
}

void Balancer::accept_loop() {
  while (!stop_.load()) {
    pollfd p{listener_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    const int client = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    std::lock_guard lock(mu_);
    if (stop_.load()) {
      close(client);
      break;
    }
    open_.push_back(client);
    ++active_;
    std::thread([this, client] { pump(client); }).detach();
  }
}

void Balancer::pump(int client) {
  int backend = -1;
  std::uint16_t backend_port = 0;
  const auto ports = live_();
  for (std::size_t i = 0; i < ports.size() && backend < 0; ++i) {
    const std::uint16_t port = ports[(next_++) % ports.size()];
    backend_port = port;
    const int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      backend = s;
    } else {
      close(s);
    }
  }
  if (backend >= 0) {
    {
      std::lock_guard lock(mu_);
      open_.push_back(backend);
      pumping_.emplace(backend_port, std::pair{client, backend});
    }
    pollfd fds[2] = {{client, POLLIN, 0}, {backend, POLLIN, 0}};
    char buf[16384];
    bool open = true;
    while (open && !stop_.load()) {
      if (poll(fds, 2, 200) < 0) break;
      for (int i = 0; i < 2 && open; ++i) {
        if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        const ssize_t n = read(fds[i].fd, buf, sizeof buf);
        if (n <= 0) {
          open = false;
          break;
        }
        for (ssize_t off = 0; off < n;) {
          const ssize_t w = write(fds[1 - i].fd, buf + off, static_cast<std::size_t>(n - off));
          if (w <= 0) {
            open = false;
            break;
          }
          off += w;
        }
      }
    }
  }
  std::lock_guard lock(mu_);
  for (auto it = pumping_.begin(); it != pumping_.end();)
    it = it->second.first == client ? pumping_.erase(it) : std::next(it);
  for (int fd : {client, backend}) {
    if (fd < 0) continue;
    open_.erase(std::remove(open_.begin(), open_.end(), fd), open_.end());
    close(fd);
  }
  --active_;
  done_.notify_all();
}

void Balancer::drop(std::uint16_t backend) {
  std::lock_guard lock(mu_);
  const auto [from, to] = pumping_.equal_range(backend);
  for (auto it = from; it != to; ++it) {
    shutdown(it->second.first, SHUT_RDWR);
    shutdown(it->second.second, SHUT_RDWR);
  }
}

std::string run_id_of(std::uint64_t seed) {
  std::string id;
  do {
    id.push_back(static_cast<char>('a' + seed % 26));
    seed /= 26;
  } while (seed != 0);
  return id;
}

Workload make_workload(std::uint64_t seed, int count, std::mt19937_64& rng) {
  const std::string run_id = run_id_of(seed);
  struct Kind {
    std::string provider;
    DemoScenario scenario;
  };
  std::vector<Kind> kinds;
  for (const auto& provider : kProviders)
    for (auto& s : find_sandbox(provider)->demo_scenarios()) kinds.push_back({provider, std::move(s)});
  Workload w;
  w.scenarios = kinds.size();
  for (int i = 0; i < count; ++i) {
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
    w.commands.emplace_back("ZANDO:" + p.reference, boost::json::serialize(cmd));
    w.payments.emplace(p.txn_id, std::move(p));
  }
  std::shuffle(w.commands.begin(), w.commands.end(), rng);
  return w;
}

EventLog::EventLog(const std::string& bootstrap, std::map<std::string, Payment>& payments, KafkaProducer& producer)
    : consumer_(bootstrap, "chaos-collector"), inputs_(bootstrap, "chaos-inputs"), payments_(payments), producer_(producer) {
  consumer_.assign_all("corridor.events", [](const std::string&, std::int32_t) -> std::int64_t { return -1; });
  inputs_.assign_all("corridor.inputs", [](const std::string&, std::int32_t) -> std::int64_t { return -1; });
  thread_ = std::thread([this] { loop(); });
  inputs_thread_ = std::thread([this] { read_inputs(); });
}

EventLog::~EventLog() {
  stop_ = true;
  thread_.join();
  inputs_thread_.join();
}

void EventLog::read_inputs() {
  while (!stop_.load()) {
    for (const auto& m : inputs_.poll(500, milliseconds(50))) {
      if (!m.error().empty()) continue;
      std::lock_guard lock(mu);
      auto it = payments_.find(std::string(m.key()));  // an input's key is its transaction
      if (it == payments_.end() || it->second.routed) continue;
      it->second.routed = Clock::now();
      it->second.input_partition = m.partition();
    }
  }
}

void EventLog::loop() {
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
        Latest& l = latest[txn];
        if (get_int(e, "version") > l.version) {
          l.version = get_int(e, "version");
          l.status = get_string(e, "status");
          l.reason = get_string(e, "reason");
        }
        follow_up(txn, std::string(get_string(e, "status")), get_int(e, "version"));
      }
      events.push_back({std::string(m.value()), std::move(v.get_object()), Clock::now()});
      cv_.notify_all();
    }
  }
}

void EventLog::follow_up(const std::string& txn, const std::string& status, std::int64_t version) {
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
  p.follow_up_version = version;
  producer_.produce("corridor.commands", "ZANDO:" + p.reference, boost::json::serialize(cmd), [txn](const std::string& error) {
    if (!error.empty()) std::fprintf(stderr, "chaos: follow-up for %s not published: %s\n", txn.c_str(), error.c_str());
  });
}

std::thread publish_paced(Workload& workload, EventLog& log, KafkaProducer& producer, std::atomic<std::size_t>& published,
                          milliseconds every) {
  return std::thread([&workload, &log, &producer, &published, every] {
    std::mutex pace_mu;
    std::condition_variable pace_cv;
    const auto start = Clock::now();
    for (std::size_t i = 0; i < workload.commands.size(); ++i) {
      const auto& [key, body] = workload.commands[i];
      if (i % 25 == 0) {
        std::unique_lock lock(pace_mu);
        wait_until(lock, pace_cv, start + every * static_cast<std::int64_t>(i / 25), [] { return false; });
      }
      {
        std::lock_guard lock(log.mu);
        workload.payments[derive_txn_id("ZANDO", key.substr(6))].published = Clock::now();
      }
      producer.produce("corridor.commands", key, body, [](const std::string& error) {
        if (!error.empty()) std::fprintf(stderr, "chaos: publish failed: %s\n", error.c_str());
      });
      ++published;
    }
  });
}

std::optional<Readiness> read_readiness(const std::string& operations_address) {
  auto http = make_http_client();
  HttpRequest req;
  req.method = "GET";
  req.target = "http://" + operations_address + "/health/ready";
  auto r = http->send(req, std::chrono::seconds(1));
  if (!r || (r->status != 200 && r->status != 503)) return std::nullopt;
  boost::system::error_code ec;
  auto v = boost::json::parse(r->body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  Readiness out;
  out.ready = r->status == 200;
  if (const auto* held = v.get_object().if_contains("partitions"); held != nullptr && held->is_array())
    for (const auto& p : held->get_array())
      if (p.is_object() && get_string(p.get_object(), "state") == "owned")
        out.owned.push_back(static_cast<std::int32_t>(p.get_object().at("partition").to_number<std::int64_t>()));
  if (const auto* routed = v.get_object().if_contains("commands_partitions"); routed != nullptr && routed->is_array())
    for (const auto& p : routed->get_array())
      if (p.is_int64()) out.routed.push_back(static_cast<std::int32_t>(p.as_int64()));
  return out;
}

bool group_settled(const std::vector<std::string>& operations_addresses, int partitions) {
  std::vector<int> owners(static_cast<std::size_t>(partitions), 0), routers(owners);
  for (const auto& address : operations_addresses) {
    const auto r = read_readiness(address);
    if (!r || !r->ready) return false;
    for (const auto p : r->owned)
      if (p >= 0 && p < partitions) ++owners[static_cast<std::size_t>(p)];
    for (const auto p : r->routed)
      if (p >= 0 && p < partitions) ++routers[static_cast<std::size_t>(p)];
  }
  auto once = [](const std::vector<int>& counts) {
    return std::all_of(counts.begin(), counts.end(), [](int n) { return n == 1; });
  };
  return once(owners) && once(routers);
}

std::string describe_group(const std::vector<std::string>& operations_addresses) {
  auto list = [](const std::vector<std::int32_t>& ps) {
    std::string out;
    for (const auto p : ps) out += (out.empty() ? "" : ",") + std::to_string(p);
    return "[" + out + "]";
  };
  std::string out;
  for (const auto& address : operations_addresses) {
    const auto r = read_readiness(address);
    out += "    " + address + ": ";
    out += r ? std::string(r->ready ? "ready" : "not ready") + ", inputs " + list(r->owned) + ", commands " + list(r->routed)
             : "no answer";
    out += "\n";
  }
  return out;
}

std::uint64_t seed_from_env() {
  if (const char* s = std::getenv("CORRIDOR_CHAOS_SEED"); s != nullptr && *s != '\0') return std::stoull(s);
  return std::random_device{}() ^ (static_cast<std::uint64_t>(std::random_device{}()) << 32);
}

int int_from_env(const char* name, int fallback) {
  const char* s = std::getenv(name);
  return s != nullptr && *s != '\0' ? std::stoi(s) : fallback;
}

}  // namespace corridor::chaos
