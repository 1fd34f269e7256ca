// corridor: one binary, several commands (DESIGN.md section 3, CLI).
#include <algorithm>
#include <csignal>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <unistd.h>
#include <iostream>
#include <string>
#include <vector>

#include "adapters/registry.hpp"
#include "engine/cli/demo.hpp"
#include "engine/cli/provider_reconcile.hpp"
#include "engine/cli/replay.hpp"
#include "engine/cli/sandboxes.hpp"
#include "engine/config/config.hpp"
#include "engine/io/kafka.hpp"
#include "engine/runtime/runtime.hpp"
#include "sandbox/sandbox.hpp"
#include "statemachines/diagram.hpp"
#include "statemachines/timefmt.hpp"

namespace {

using namespace corridor;

constexpr const char* kUsage = R"(usage: corridor <command> [options]

  run --config FILE [--accept-log-reset]
                           run the engine until SIGINT/SIGTERM
  kafka [--config FILE] [--partitions N]
                           run the embedded Kafka cluster alone (prints its bootstrap address)
  demo [--data-dir DIR]    run the engine on its embedded defaults and show every sandbox scenario
  sandbox --config FILE    run only the sandbox providers (for upstream teams testing against them)
  diagram FLOW             print FLOW's state machine as a Mermaid stateDiagram-v2 (no FLOW: list flows)
  check-config FILE        validate a configuration file
  replay --config FILE [--txn ID] [--from TIME] [--until TIME] [--until-offset N] [--format text|json|csv]
                           read corridor.inputs again into a scratch store and compare with the live
                           store; exit 0 when everything matches, 1 when something differs
  reconcile --config FILE [--provider P] [--since TIME] [--status S,...] [--wait SECONDS]
            [--format text|json|csv]
                           ask the providers, through the running engine, about every transaction
                           not final (or of the given statuses): confirmed, corrected, still pending
                           or unknown to the provider; exit 1 when one needs attention
  reconcile --config FILE --settlement FILE --provider P [--since TIME] [--format text|json|csv]
                           match P's settlement file against the store; exit 1 on a difference
)";

// The providers whose settlement file `reconcile --settlement` reads: "a, b".
std::string settlement_providers() {
  std::string list;
  for (const ProviderPlugin& p : providers().all())
    if (p.capabilities.settlement.available()) list += (list.empty() ? "" : ", ") + std::string(p.name);
  return list.empty() ? "none" : list;
}

std::string option(const std::vector<std::string>& args, const std::string& name, const std::string& fallback = "") {
  for (std::size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == name) return args[i + 1];
  return fallback;
}

Config config_from(const std::vector<std::string>& args) {
  const std::string path = option(args, "--config");
  if (path.empty()) return parse_config(embedded_default_config(), "embedded config/corridor.yaml");
  return load_config_file(path);
}

// Blocks SIGINT and SIGTERM in every thread (call before starting any), then waits for one.
sigset_t block_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int wait_for_signal(const sigset_t& set) {
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

bool flag(const std::vector<std::string>& args, const std::string& name) {
  return std::find(args.begin(), args.end(), name) != args.end();
}

int run(const std::vector<std::string>& args) {
  const sigset_t signals = block_signals();
  RuntimeOptions options;
  options.accept_log_reset = flag(args, "--accept-log-reset");
  options.start_sandboxes = start_sandboxes;
  Runtime runtime(config_from(args), options);
  runtime.start();
  std::cout << "kafka bootstrap: " << runtime.bootstrap() << "\n"
            << "http listening: " << runtime.http_address() << "\n"
            << "operations listening: " << runtime.operations_address() << std::endl;
  const int sig = wait_for_signal(signals);
  std::cout << "corridor: " << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ", stopping" << std::endl;
  runtime.stop();
  std::cout << "corridor: stopped" << std::endl;
  return 0;
}

// The embedded cluster as a process of its own, so that an engine can be killed while the log lives
// on, as it does with a real broker.
int kafka(const std::vector<std::string>& args) {
  const sigset_t signals = block_signals();
  Config config = config_from(args);
  const int partitions = std::stoi(option(args, "--partitions", std::to_string(config.kafka.partitions)));
  EmbeddedKafka cluster;
  for (const auto& topic : {config.kafka.commands, config.kafka.inputs, config.kafka.events, config.kafka.deadletter})
    cluster.create_topic(topic, partitions);
  std::cout << "kafka bootstrap: " << cluster.bootstrap() << std::endl;
  wait_for_signal(signals);
  return 0;
}

int sandbox(const std::vector<std::string>& args) {
  const sigset_t signals = block_signals();
  Config config = config_from(args);
  std::string corridor_url = config.http.public_url;
  if (corridor_url.empty()) corridor_url = "http://" + config.http.listen;
  std::vector<std::unique_ptr<SandboxServer>> servers;
  for (const auto& [provider, settings] : config.providers) {
    const SandboxRegistration* reg = find_sandbox(provider);
    if (reg == nullptr) continue;
    servers.push_back(reg->start(SandboxContext{"127.0.0.1", corridor_url, settings}));
    std::cout << provider << " sandbox: " << servers.back()->base_url() << std::endl;
  }
  wait_for_signal(signals);
  return 0;
}

int diagram(const std::vector<std::string>& args) {
  if (args.empty()) {
    for (const Flow* f : all_flows()) std::cout << f->id << "\n";
    return 0;
  }
  const Flow* flow = find_flow(args[0]);
  if (flow == nullptr) {
    std::cerr << "corridor: unknown flow '" << args[0] << "' (corridor diagram lists them)\n";
    return 2;
  }
  std::cout << mermaid_diagram(*flow);
  return 0;
}

std::optional<std::int64_t> time_option(const std::vector<std::string>& args, const std::string& name) {
  const std::string text = option(args, name);
  if (text.empty()) return std::nullopt;
  auto ms = parse_time(text);
  if (!ms) throw ConfigError(name + " must be an RFC 3339 time such as 2026-11-22T10:00:00Z, got '" + text + "'");
  return ms;
}

int replay_command(const std::vector<std::string>& args) {
  Config config = config_from(args);
  if (config.kafka.bootstrap == "embedded")
    throw ConfigError("replay reads the log corridor used: set kafka.bootstrap to that cluster (corridor kafka prints "
                      "its address), not 'embedded'");
  ReplayOptions options;
  options.txn_id = option(args, "--txn");
  options.from_ms = time_option(args, "--from");
  options.until_ms = time_option(args, "--until");
  if (auto o = option(args, "--until-offset"); !o.empty()) options.until_offset = std::stoll(o);
  if (isatty(STDERR_FILENO)) options.progress = &std::cerr;
  const std::string format = option(args, "--format", "text");
  if (format != "text" && format != "json" && format != "csv") throw ConfigError("--format must be text, json or csv");
  auto live = open_sqlite_store(config.store.path);
  char tmpl[] = "/tmp/corridor-replay-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("cannot create a scratch folder");
  const std::string scratch_dir = tmpl;
  ReplayReport report = replay(config, *live, config.kafka.bootstrap, scratch_dir + "/scratch.db", options);
  std::filesystem::remove_all(scratch_dir);
  print_replay_report(report, format, std::cout);
  return report.matches() ? 0 : 1;
}

int reconcile_command(const std::vector<std::string>& args) {
  Config config = config_from(args);
  ReconcileOptions options;
  options.provider = option(args, "--provider");
  options.since_ms = time_option(args, "--since");
  const std::string statuses = option(args, "--status");
  for (std::string_view rest = statuses; !rest.empty();) {
    const std::size_t comma = rest.find(',');
    options.statuses.emplace_back(rest.substr(0, comma));
    bool known = false;
    for (int s = 0; s <= static_cast<int>(Status::unknown); ++s)
      known = known || to_string(static_cast<Status>(s)) == options.statuses.back();
    if (!known) throw ConfigError("--status '" + options.statuses.back() + "' is not a status (pending, succeeded, unknown, ...)");
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  options.wait = std::chrono::seconds(std::stoi(option(args, "--wait", "60")));
  const std::string format = option(args, "--format", "text");
  if (format != "text" && format != "json" && format != "csv") throw ConfigError("--format must be text, json or csv");
  if (!options.provider.empty() && !config.providers.contains(options.provider))
    throw ConfigError("--provider '" + options.provider + "' is not configured");
  auto live = open_sqlite_store(config.store.path);

  if (const std::string file = option(args, "--settlement"); !file.empty()) {
    const ProviderPlugin* provider = options.provider.empty() ? nullptr : providers().find(options.provider);
    if (provider == nullptr || !provider->capabilities.settlement.available())
      throw ConfigError("--settlement reads the settlement file of the provider --provider names; " +
                        (options.provider.empty() ? std::string("none is named")
                                                  : "'" + options.provider + "' has none corridor reads") +
                        " (providers with one: " + settlement_providers() + ")");
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + file);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto settlement = parse_settlement(options.provider, text);
    if (!settlement) throw std::runtime_error(file + ": " + settlement.error().message);
    SettlementReport report = reconcile_settlement(*live, *settlement, options);
    // What the file settles (an unknown refund or charge) reaches the flows through corridor.inputs,
    // like any answer of the provider's; without a running engine's cluster it is reported, not sent.
    if (!report.outcomes.empty() && config.kafka.bootstrap != "embedded") {
      KafkaProducer producer(config.kafka.bootstrap, config.kafka.properties);
      publish_settlement_outcomes(config, producer, report, SystemClock{}.now_ms());
    }
    print_settlement_report(report, format, std::cout);
    return report.matches() ? 0 : 1;
  }

  if (config.kafka.bootstrap == "embedded")
    throw ConfigError("reconcile asks through the running engine: set kafka.bootstrap to its cluster (corridor kafka "
                      "prints its address), not 'embedded'");
  options.run_id = std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  KafkaProducer producer(config.kafka.bootstrap, config.kafka.properties);
  ReconcileReport report = reconcile(config, *live, producer, options);
  print_reconcile_report(report, format, std::cout);
  return report.needs_attention() ? 1 : 0;
}

int check_config(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  load_config_file(args[0]);
  std::cout << args[0] << ": ok\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  try {
    if (command == "run") return run(args);
    if (command == "demo") {
      DemoOptions options;
      options.data_dir = option(args, "--data-dir");
      options.timeout_s = std::stoi(option(args, "--timeout", "90"));
      return run_demo(options);
    }
    if (command == "sandbox") return sandbox(args);
    if (command == "kafka") return kafka(args);
    if (command == "replay") return replay_command(args);
    if (command == "reconcile") return reconcile_command(args);
    if (command == "diagram") return diagram(args);
    if (command == "check-config") return check_config(args);
  } catch (const ConfigError& e) {
    std::cerr << "corridor: configuration error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "corridor: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "corridor: unknown command '" << command << "'\n" << kUsage;
  return 2;
}
