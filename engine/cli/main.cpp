// corridor: one binary, several commands (DESIGN.md section 3, CLI).
#include <algorithm>
#include <climits>
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
#include "engine/cli/args.hpp"
#include "engine/cli/demo.hpp"
#include "engine/cli/provider_reconcile.hpp"
#include "engine/cli/replay.hpp"
#include "engine/cli/sandboxes.hpp"
#include "engine/config/config.hpp"
#include "engine/io/kafka.hpp"
#include "engine/runtime/runtime.hpp"
#include "engine/store/open_store.hpp"
#include "sandbox/sandbox.hpp"
#include "statemachines/diagram.hpp"
#include "statemachines/timefmt.hpp"

namespace {

using namespace corridor;

constexpr std::string_view kRunUsage = R"(usage: corridor run [--config FILE] [--accept-log-reset]
  Runs the engine until SIGINT or SIGTERM. Without --config, on the embedded defaults (embedded Kafka,
  sandboxes, var/corridor.db); the embedded log lives in memory, so each start reads a new log from its
  start and keeps the store.
  --accept-log-reset   with a real cluster: read corridor.inputs from its start when the store has
                       applied offsets past its end (the topic was re-created)
)";
constexpr std::string_view kKafkaUsage = R"(usage: corridor kafka [--config FILE] [--partitions N]
  Runs the embedded Kafka cluster alone and prints its bootstrap address, so that an engine can be
  stopped while the log lives on. --partitions: 1 to 1024 (default: the config's kafka.partitions).
)";
constexpr std::string_view kDemoUsage = R"(usage: corridor demo [--data-dir DIR] [--timeout SECONDS] [--serve [--operations HOST:PORT]]
  Runs the engine on its embedded defaults and plays every sandbox scenario of every provider.
  --data-dir   where the store goes (default: a fresh temporary folder)
  --timeout    seconds to wait for every scenario to end, 1 to 3600 (default 90)
  --serve      then keep the engine up until SIGINT/SIGTERM, its operations listener (the console,
               commands over HTTP) on --operations (default 127.0.0.1:8081, the embedded default's)
)";
constexpr std::string_view kSandboxUsage = R"(usage: corridor sandbox [--config FILE]
  Runs only the sandbox providers of the configuration, for upstream teams testing against them.
)";
constexpr std::string_view kDiagramUsage = R"(usage: corridor diagram [FLOW]
  Prints FLOW's state machine as a Mermaid stateDiagram-v2; without FLOW, lists the flows.
)";
constexpr std::string_view kCheckConfigUsage = R"(usage: corridor check-config FILE
  Validates a configuration file; exit 0 when it is valid, 2 when not.
)";
constexpr std::string_view kReplayUsage = R"(usage: corridor replay --config FILE [--txn ID] [--from TIME] [--until TIME]
                      [--until-offset N] [--format text|json|csv]
  Reads corridor.inputs again into a scratch store and compares with the live store.
  Exit 0 when everything matches, 1 when something differs.
)";
constexpr std::string_view kReconcileUsage = R"(usage: corridor reconcile --config FILE [--provider P] [--since TIME] [--status S,...]
                         [--wait SECONDS] [--format text|json|csv]
       corridor reconcile --config FILE --settlement FILE --provider P [--since TIME]
                         [--format text|json|csv]
  Asks the providers, through the running engine, about every transaction not final (or of the
  given statuses): confirmed, corrected, still pending or unknown to the provider. With
  --settlement, matches P's settlement file against the store instead. --wait: 1 to 86400 (default
  60). Exit 1 when a transaction needs attention or the file differs.
)";

constexpr std::string_view kExitCodes = R"(
exit codes: 0 done, 1 differences found (replay, reconcile) or a demo scenario missed,
            2 usage or configuration error, 3 could not run (a file, the store or Kafka unavailable)
)";

const std::vector<cli::CommandSpec>& commands() {
  static const std::vector<cli::CommandSpec> specs{
      {"run", kRunUsage, {{"--config", "FILE"}, {"--accept-log-reset", ""}}},
      {"kafka", kKafkaUsage, {{"--config", "FILE"}, {"--partitions", "N"}}},
      {"demo", kDemoUsage, {{"--data-dir", "DIR"}, {"--timeout", "SECONDS"}, {"--serve", ""}, {"--operations", "HOST:PORT"}}},
      {"sandbox", kSandboxUsage, {{"--config", "FILE"}}},
      {"diagram", kDiagramUsage, {}, 0, 1},
      {"check-config", kCheckConfigUsage, {}, 1, 1},
      {"replay",
       kReplayUsage,
       {{"--config", "FILE"}, {"--txn", "ID"}, {"--from", "TIME"}, {"--until", "TIME"}, {"--until-offset", "N"},
        {"--format", "FORMAT"}}},
      {"reconcile",
       kReconcileUsage,
       {{"--config", "FILE"},
        {"--provider", "P"},
        {"--since", "TIME"},
        {"--status", "S,..."},
        {"--wait", "SECONDS"},
        {"--format", "FORMAT"},
        {"--settlement", "FILE"}}},
  };
  return specs;
}

std::string usage() {
  std::string out = "usage: corridor <command> [options]   (corridor <command> --help for its options)\n\n";
  out += "  run           run the engine until SIGINT/SIGTERM\n";
  out += "  kafka         run the embedded Kafka cluster alone\n";
  out += "  demo          run the engine on its embedded defaults and show every sandbox scenario\n";
  out += "  sandbox       run only the sandbox providers\n";
  out += "  diagram       print a flow's state machine as Mermaid\n";
  out += "  check-config  validate a configuration file\n";
  out += "  replay        read corridor.inputs again and compare with the store\n";
  out += "  reconcile     ask the providers, or match a settlement file, about transactions\n";
  out += kExitCodes;
  return out;
}

const std::vector<std::string_view> kFormats{"text", "json", "csv"};

// The providers whose settlement file `reconcile --settlement` reads: "a, b".
std::string settlement_providers() {
  std::string list;
  for (const ProviderPlugin& p : providers().all())
    if (p.capabilities.settlement.available()) list += (list.empty() ? "" : ", ") + std::string(p.name);
  return list.empty() ? "none" : list;
}

Config config_from(const cli::Args& args) {
  const std::string path = args.value("--config");
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

int run(const cli::Args& args) {
  const sigset_t signals = block_signals();
  RuntimeOptions options;
  options.accept_log_reset = args.flag("--accept-log-reset");
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
int kafka(const cli::Args& args) {
  Config config = config_from(args);
  const int partitions = static_cast<int>(args.integer("--partitions", 1, 1024, config.kafka.partitions));
  const sigset_t signals = block_signals();
  EmbeddedKafka cluster;
  for (const auto& topic : {config.kafka.commands, config.kafka.inputs, config.kafka.events, config.kafka.deadletter})
    cluster.create_topic(topic, partitions);
  std::cout << "kafka bootstrap: " << cluster.bootstrap() << std::endl;
  wait_for_signal(signals);
  return 0;
}

int sandbox(const cli::Args& args) {
  Config config = config_from(args);
  const sigset_t signals = block_signals();
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

int diagram(const cli::Args& args) {
  if (args.positional().empty()) {
    for (const Flow* f : all_flows()) std::cout << f->id << "\n";
    return 0;
  }
  const std::string& id = args.positional()[0];
  const Flow* flow = find_flow(id);
  if (flow == nullptr) throw cli::UsageError("unknown flow '" + id + "' (corridor diagram lists them)");
  std::cout << mermaid_diagram(*flow);
  return 0;
}

int replay_command(const cli::Args& args) {
  ReplayOptions options;
  options.txn_id = args.value("--txn");
  options.from_ms = args.time("--from");
  options.until_ms = args.time("--until");
  options.until_offset = args.integer("--until-offset", 0, INT64_MAX);
  const std::string format = args.choice("--format", kFormats, "text");
  Config config = config_from(args);
  if (config.kafka.bootstrap == "embedded")
    throw ConfigError("replay reads the log corridor used: set kafka.bootstrap to that cluster (corridor kafka prints "
                      "its address), not 'embedded'");
  if (isatty(STDERR_FILENO)) options.progress = &std::cerr;
  auto opened = open_store(config.store);
  if (!opened) throw std::runtime_error(opened.error().message);
  std::unique_ptr<Store> live = std::move(*opened);
  char tmpl[] = "/tmp/corridor-replay-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("cannot create a scratch folder");
  const std::string scratch_dir = tmpl;
  ReplayReport report = replay(config, *live, config.kafka.bootstrap, scratch_dir + "/scratch.db", options);
  std::filesystem::remove_all(scratch_dir);
  if (report.txn_unknown)
    throw cli::UsageError("--txn " + options.txn_id + ": neither the log nor the store holds that transaction");
  print_replay_report(report, format, std::cout);
  return report.matches() ? cli::kExitOk : cli::kExitDifferences;
}

int reconcile_command(const cli::Args& args) {
  ReconcileOptions options;
  options.provider = args.value("--provider");
  options.since_ms = args.time("--since");
  const std::string statuses = args.value("--status");
  for (std::string_view rest = statuses; !rest.empty();) {
    const std::size_t comma = rest.find(',');
    options.statuses.emplace_back(rest.substr(0, comma));
    bool known = false;
    for (int s = 0; s <= static_cast<int>(Status::unknown); ++s)
      known = known || to_string(static_cast<Status>(s)) == options.statuses.back();
    if (!known)
      throw cli::UsageError("--status '" + options.statuses.back() + "' is not a status (pending, succeeded, unknown, ...)");
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  options.wait = std::chrono::seconds(args.integer("--wait", 1, 86400, 60));
  const std::string format = args.choice("--format", kFormats, "text");
  Config config = config_from(args);
  if (!options.provider.empty() && !config.providers.contains(options.provider))
    throw ConfigError("--provider '" + options.provider + "' is not configured");
  auto opened = open_store(config.store);
  if (!opened) throw std::runtime_error(opened.error().message);
  std::unique_ptr<Store> live = std::move(*opened);

  if (const std::string file = args.value("--settlement"); !file.empty()) {
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
    return report.matches() ? cli::kExitOk : cli::kExitDifferences;
  }

  if (config.kafka.bootstrap == "embedded")
    throw ConfigError("reconcile asks through the running engine: set kafka.bootstrap to its cluster (corridor kafka "
                      "prints its address), not 'embedded'");
  options.run_id = std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  KafkaProducer producer(config.kafka.bootstrap, config.kafka.properties);
  ReconcileReport report = reconcile(config, *live, producer, options);
  print_reconcile_report(report, format, std::cout);
  return report.needs_attention() ? cli::kExitDifferences : cli::kExitOk;
}

int check_config(const cli::Args& args) {
  const std::string& path = args.positional()[0];
  load_config_file(path);
  std::cout << path << ": ok\n";
  return 0;
}

int demo(const cli::Args& args) {
  DemoOptions options;
  options.data_dir = args.value("--data-dir");
  options.timeout_s = static_cast<int>(args.integer("--timeout", 1, 3600, 90));
  if (!args.flag("--serve")) {
    if (args.has("--operations")) throw cli::UsageError("--operations goes with --serve");
    return run_demo(options);
  }
  options.operations_listen = args.address("--operations", "127.0.0.1:8081");
  const sigset_t signals = block_signals();
  options.serve_until_stopped = [&signals] { wait_for_signal(signals); };
  return run_demo(options);
}

int dispatch(std::string_view command, const cli::Args& args) {
  if (command == "run") return run(args);
  if (command == "demo") return demo(args);
  if (command == "sandbox") return sandbox(args);
  if (command == "kafka") return kafka(args);
  if (command == "replay") return replay_command(args);
  if (command == "reconcile") return reconcile_command(args);
  if (command == "diagram") return diagram(args);
  return check_config(args);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << usage();
    return cli::kExitUsage;
  }
  if (args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::cout << usage();
    return cli::kExitOk;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  const auto& specs = commands();
  auto spec = std::find_if(specs.begin(), specs.end(), [&](const cli::CommandSpec& s) { return s.name == command; });
  if (spec == specs.end()) {
    std::cerr << "corridor: unknown command '" << command << "'\n" << usage();
    return cli::kExitUsage;
  }
  try {
    const cli::Args parsed = cli::parse_args(*spec, args);
    if (parsed.help) {
      std::cout << spec->usage << kExitCodes;
      return cli::kExitOk;
    }
    return dispatch(command, parsed);
  } catch (const cli::UsageError& e) {
    std::cerr << "corridor " << command << ": " << e.what() << "\n" << spec->usage;
    return cli::kExitUsage;
  } catch (const ConfigError& e) {
    std::cerr << "corridor: configuration error: " << e.what() << "\n";
    return cli::kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "corridor: " << e.what() << "\n";
    return cli::kExitCouldNotRun;
  }
}
