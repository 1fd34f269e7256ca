#include "engine/demo.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>

#include "engine/commands.hpp"
#include "engine/runtime.hpp"
#include "sandbox/sandbox.hpp"

namespace corridor {

namespace {

struct Tracked {
  std::string name;
  std::string provider;
  std::string expected;
  std::string status;  // latest
  bool done() const { return status == expected; }
};

}  // namespace

int run_demo(const DemoOptions& options) {
  std::string dir = options.data_dir;
  if (dir.empty()) {
    char tmpl[] = "/tmp/corridor-demo-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    dir = tmpl;
  }
  std::filesystem::create_directories(dir);

  Config config = parse_config(embedded_default_config(), "embedded config/corridor.yaml");
  config.store.path = dir + "/corridor.db";
  config.http.listen = "127.0.0.1:0";
  config.http.public_url.clear();
  config.sandbox.enabled = true;
  for (auto& [provider, settings] : config.providers) {
    if (const SandboxRegistration* reg = find_sandbox(provider)) {
      for (const auto& [k, v] : reg->demo_settings) settings[k] = v;
    }
  }

  Runtime runtime(config);
  runtime.start();
  std::cout << "corridor demo\n  data dir:        " << dir << "\n  kafka bootstrap: " << runtime.bootstrap()
            << "\n  http listening:  " << runtime.http_address() << "\n\n";

  KafkaConsumer events(runtime.bootstrap(), "corridor-demo", {});
  events.assign_all(config.kafka.events, [](const std::string&, std::int32_t) -> std::int64_t { return -1; });
  KafkaProducer producer(runtime.bootstrap());

  const auto t0 = std::chrono::steady_clock::now();
  const std::string run_id = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count());
  std::map<std::string, Tracked> by_txn;
  for (const auto& merchant : config.merchants) {
    for (const auto& provider : merchant.providers) {
      const SandboxRegistration* reg = find_sandbox(provider);
      if (reg == nullptr) continue;
      for (const DemoScenario& s : reg->demo_scenarios()) {
        json::object cmd{{"type", "payment.create"},
                         {"command_id", "demo-" + run_id + "-" + provider + "-" + s.name},
                         {"merchant", merchant.id},
                         {"reference", "DEMO-" + run_id + "-" + s.name}};
        for (const auto& kv : s.command) cmd[kv.key()] = kv.value();
        if (auto* type = s.command.if_contains("type")) cmd["type"] = *type;
        const std::string key = merchant.id + ":" + std::string(get_string(cmd, "reference"));
        by_txn[derive_txn_id(merchant.id, get_string(cmd, "reference"))] = {s.name, provider, s.expected_status, ""};
        if (auto r = producer.produce_sync(config.kafka.commands, key, boost::json::serialize(cmd)); !r) {
          std::cerr << "demo: cannot publish: " << r.error().message << std::endl;
          return 1;
        }
      }
    }
    break;  // one merchant is enough to show every flow
  }
  // A bad command: a fractional amount is refused with command.rejected and a dead letter.
  const std::string bad_reference = "DEMO-" + run_id + "-bad-amount";
  const std::string bad = R"({"type":"payment.create","command_id":"demo-bad","merchant":"ZANDO","reference":")" +
                          bad_reference + R"(","provider":"novasend","amount":{"value":12.5,"currency":"XOF"}})";
  by_txn[derive_txn_id("ZANDO", bad_reference)] = {"bad-amount", "novasend", "rejected", ""};
  (void)producer.produce_sync(config.kafka.commands, "ZANDO:" + bad_reference, bad);

  std::printf("%-9s %-16s %-22s %-30s %-48s %s\n", "time", "flow", "scenario", "txn", "previous → state", "status");
  const auto deadline = t0 + std::chrono::seconds(options.timeout_s);
  auto all_done = [&] {
    for (const auto& [_, t] : by_txn)
      if (!t.done()) return false;
    return true;
  };
  while (!all_done() && std::chrono::steady_clock::now() < deadline) {
    for (const auto& m : events.poll(100, std::chrono::milliseconds(200))) {
      if (!m.error().empty()) continue;
      boost::system::error_code ec;
      json::value v = boost::json::parse(m.value(), ec);
      if (ec || !v.is_object()) continue;
      const json::object& e = v.get_object();
      auto it = by_txn.find(std::string(get_string(e, "txn_id")));
      if (it == by_txn.end()) continue;
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (get_string(e, "type") == "command.rejected") {
        it->second.status = "rejected";
        std::printf("%7.3fs  %-16s %-22s %-30s %-48s %s\n", secs, "-", it->second.name.c_str(),
                    std::string(get_string(e, "txn_id")).c_str(), "command.rejected", std::string(get_string(e, "reason")).c_str());
        continue;
      }
      it->second.status = get_string(e, "status");
      const std::string flow = std::string(get_string(e, "provider")) + "." + std::string(get_string(e, "flow"));
      std::string_view prev = get_string(e, "previous_state");
      const std::string change = (prev.empty() ? std::string("·") : std::string(prev)) + " → " +
                                 std::string(get_string(e, "state"));
      std::printf("%7.3fs  %-16s %-22s %-30s %-48s %s\n", secs, flow.c_str(), it->second.name.c_str(),
                  std::string(get_string(e, "txn_id")).c_str(), change.c_str(), it->second.status.c_str());
    }
    std::fflush(stdout);
  }

  std::cout << "\n";
  int failures = 0;
  for (const auto& [txn, t] : by_txn) {
    std::printf("  %-4s %-10s %-22s expected %-12s got %s\n", t.done() ? "ok" : "FAIL", t.provider.c_str(),
                t.name.c_str(), t.expected.c_str(), t.status.empty() ? "(no event)" : t.status.c_str());
    if (!t.done()) ++failures;
  }
  runtime.stop();
  if (failures > 0) {
    std::cout << "\ndemo: " << failures << " scenario(s) did not reach their expected status\n";
    return 1;
  }
  std::cout << "\ndemo: every scenario reached its expected status\n";
  return 0;
}

}  // namespace corridor
