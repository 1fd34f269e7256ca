#include "engine/cli/demo.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <algorithm>
#include <map>
#include <stdexcept>
#include <tuple>
#include <openssl/rand.h>
#include <cstdlib>

#include "engine/cli/sandboxes.hpp"
#include "engine/io/kafka.hpp"
#include "engine/store/card_vault.hpp"
#include "engine/pipeline/commands.hpp"
#include "engine/runtime/runtime.hpp"
#include "sandbox/sandbox.hpp"
#include "statemachines/timefmt.hpp"

namespace corridor {

namespace {

// One line of a payment's timeline, from its event: when it happened (occurred_at), not when the
// demo read it.
struct TimelineLine {
  std::int64_t at_ms = 0;
  std::string at;      // occurred_at as the event says it
  std::string change;  // "previous → state", or "command.rejected"
  std::string status;  // or the rejection's reason
};

struct Tracked {
  std::string name;
  std::string provider;
  std::string expected;
  std::string status;  // latest
  std::string merchant;
  std::string reference;
  std::vector<DemoFollowUp> follow_ups;  // not yet published, in order
  std::string flow;                      // provider.flow, from its first event
  std::vector<TimelineLine> timeline;
  bool announced = false;  // its "done" line was printed
  bool done() const { return status == expected && follow_ups.empty(); }
};

// "1.204s": how long after the payment's first event `line` happened.
std::string since_first(const Tracked& t, const TimelineLine& line) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3fs", static_cast<double>(line.at_ms - t.timeline.front().at_ms) / 1000.0);
  return buf;
}

// Each scenario's events together, in the order they happened, times from occurred_at.
void print_timelines(const std::vector<const Tracked*>& tracked) {
  for (const Tracked* tp : tracked) {
    const Tracked& t = *tp;
    std::printf("%s · %s · %s\n", t.flow.empty() ? t.provider.c_str() : t.flow.c_str(), t.name.c_str(),
                t.reference.c_str());
    if (t.timeline.empty()) std::printf("    (no event)\n");
    for (const TimelineLine& line : t.timeline) {
      const bool first = &line == &t.timeline.front();
      std::printf("    %-24s +%-9s %-52s %s\n", first ? line.at.c_str() : "", since_first(t, line).c_str(),
                  line.change.c_str(), line.status.c_str());
    }
  }
}

// A throwaway key for the demo's card payments: nothing it seals outlives the demo's folder.
void ensure_demo_card_key() {
  if (std::getenv(CardVault::kKeyVariable) != nullptr) return;
  unsigned char key[32];
  RAND_bytes(key, sizeof key);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : key) {
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 15]);
  }
  setenv(CardVault::kKeyVariable, hex.c_str(), 1);
}

}  // namespace

int run_demo(const DemoOptions& options) {
  std::string dir = options.data_dir;
  if (dir.empty()) {
    char tmpl[] = "/tmp/corridor-demo-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("cannot create a folder for the demo's store");
    dir = tmpl;
  }
  std::filesystem::create_directories(dir);

  ensure_demo_card_key();
  Config config = parse_config(embedded_default_config(), "embedded config/corridor.yaml");
  config.store.path = dir + "/corridor.db";
  config.http.listen = "127.0.0.1:0";
  // Served for a person to open: at a fixed address (by default the one the README names).
  config.http.operations_listen = options.serve_until_stopped ? options.operations_listen : "127.0.0.1:0";
  config.http.public_url.clear();
  config.sandbox.enabled = true;
  for (auto& [provider, settings] : config.providers) {
    if (const SandboxRegistration* reg = find_sandbox(provider)) {
      for (const auto& [k, v] : reg->demo_settings) settings[k] = v;
    }
  }

  RuntimeOptions runtime_options;
  runtime_options.start_sandboxes = start_sandboxes;
  Runtime runtime(config, runtime_options);
  runtime.start();
  std::cout << "corridor demo\n  data dir:        " << dir << "\n  kafka bootstrap: " << runtime.bootstrap()
            << "\n  http listening:  " << runtime.http_address()
            << "\n  operations:      " << runtime.operations_address() << "\n\n";

  KafkaConsumer events(runtime.bootstrap(), "corridor-demo", {});
  events.assign_all(config.kafka.events, [](const std::string&, std::int32_t) -> std::int64_t { return -1; });
  KafkaProducer producer(runtime.bootstrap());

  const auto t0 = std::chrono::steady_clock::now();
  const std::string run_id = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count());
  std::map<std::string, Tracked> by_txn;
  std::string demo_merchant, first_provider;
  for (const auto& merchant : config.merchants) {
    demo_merchant = merchant.id;
    for (const auto& provider : merchant.providers) {
      const SandboxRegistration* reg = find_sandbox(provider);
      if (reg == nullptr) continue;
      if (first_provider.empty()) first_provider = provider;
      for (const DemoScenario& s : reg->demo_scenarios()) {
        const std::string reference = "DEMO-" + run_id + "-" + provider + "-" + s.name;
        json::object cmd{{"type", "payment.create"},
                         {"command_id", "demo-" + run_id + "-" + provider + "-" + s.name},
                         {"merchant", merchant.id},
                         {"reference", reference}};
        for (const auto& kv : s.command) cmd[kv.key()] = kv.value();
        const std::string key = merchant.id + ":" + reference;
        by_txn[derive_txn_id(merchant.id, reference)] = {s.name,      provider,  s.expected_status, "",
                                                         merchant.id, reference, s.follow_ups, {}, {}};
        if (auto r = producer.produce_sync(config.kafka.commands, key, boost::json::serialize(cmd)); !r)
          throw std::runtime_error("demo: cannot publish: " + r.error().message);
      }
    }
    break;  // one merchant is enough to show every flow
  }
  // A bad command to the demo merchant's first provider with a sandbox: a fractional amount is refused
  // with command.rejected and a dead letter.
  if (!first_provider.empty()) {
    const std::string bad_reference = "DEMO-" + run_id + "-bad-amount";
    const std::string bad = R"({"type":"payment.create","command_id":"demo-bad","merchant":")" + demo_merchant +
                            R"(","reference":")" + bad_reference + R"(","provider":")" + first_provider +
                            R"(","amount":{"value":12.5,"currency":"XOF"}})";
    by_txn[derive_txn_id(demo_merchant, bad_reference)] = {"bad-amount", first_provider, "rejected", "",
                                                           demo_merchant, bad_reference, {}, {}, {}};
    (void)producer.produce_sync(config.kafka.commands, demo_merchant + ":" + bad_reference, bad);
  }

  std::printf("%zu scenarios sent; each is listed as it reaches its expected status.\n\n", by_txn.size());
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
      Tracked& t = it->second;
      TimelineLine line;
      line.at = get_string(e, "occurred_at");
      line.at_ms = parse_time(line.at).value_or(0);
      if (get_string(e, "type") == "command.rejected") {
        t.status = "rejected";
        line.change = "command.rejected";
        line.status = get_string(e, "reason");
      } else {
        t.status = get_string(e, "status");
        if (t.flow.empty()) t.flow = std::string(get_string(e, "provider")) + "." + std::string(get_string(e, "flow"));
        const std::string_view prev = get_string(e, "previous_state");
        line.change = (prev.empty() ? std::string("·") : std::string(prev)) + " → " + std::string(get_string(e, "state"));
        line.status = t.status;
        // The next follow-up (a refund once captured) goes out when its status is reached.
        if (!t.follow_ups.empty() && t.follow_ups.front().after_status == t.status) {
          json::object cmd{{"command_id", "demo-" + run_id + "-" + t.name + "-" + std::to_string(get_int(e, "version"))},
                           {"merchant", t.merchant},
                           {"reference", t.reference}};
          for (const auto& kv : t.follow_ups.front().command) cmd[kv.key()] = kv.value();
          t.follow_ups.erase(t.follow_ups.begin());
          (void)producer.produce_sync(config.kafka.commands, t.merchant + ":" + t.reference, boost::json::serialize(cmd));
        }
      }
      t.timeline.push_back(std::move(line));
      if (t.done() && !t.announced) {
        t.announced = true;
        std::printf("  done  %-9s %-29s %-19s %zu event(s) over %s\n", t.provider.c_str(), t.name.c_str(),
                    t.status.c_str(), t.timeline.size(), since_first(t, t.timeline.back()).c_str());
      }
    }
    std::fflush(stdout);
  }

  int failures = 0;
  std::vector<const Tracked*> summary;
  for (const auto& [_, t] : by_txn) summary.push_back(&t);
  std::sort(summary.begin(), summary.end(),
            [](const Tracked* a, const Tracked* b) { return std::tie(a->provider, a->name) < std::tie(b->provider, b->name); });
  std::cout << "\nTimelines (times from each event's occurred_at):\n\n";
  print_timelines(summary);
  std::cout << "\nSummary:\n";
  for (const Tracked* tp : summary) {
    const Tracked& t = *tp;
    std::printf("  %-4s %-10s %-29s expected %-19s got %s\n", t.done() ? "ok" : "FAIL", t.provider.c_str(),
                t.name.c_str(), t.expected.c_str(), t.status.empty() ? "(no event)" : t.status.c_str());
    if (!t.done()) ++failures;
  }
  const std::string store = config.store.path;
  const std::string ops = "http://" + runtime.operations_address();
  if (failures > 0) {
    std::cout << "\ndemo: " << failures << " of " << summary.size() << " scenario(s) did not reach their expected status\n";
  } else {
    std::cout << "\ndemo: all " << summary.size() << " scenarios reached their expected status (store: " << store << ")\n"
              << "\nWhat to try next:\n"
              << "  " << ops << "/console   the payments above, their timelines and the flows\n"
              << "  corridor demo --serve            keep the engine up after the scenarios, to browse them there\n"
              << "  corridor diagram                 the flows; corridor diagram novasend.payin draws one as Mermaid\n"
              << "  corridor run                     the engine on these defaults; send a command with\n"
              << "                                   POST /v1/payments on the operations listener, or publish it to\n"
              << "                                   corridor.commands (README, \"Worked example\")\n"
              << "  corridor demo --data-dir DIR     keep the store in DIR\n"
              << "  docs/commands.md                 every command and its fields; docs/operations.md: configuration,\n"
              << "                                   routes and exit codes\n";
  }
  if (options.serve_until_stopped) {
    std::cout << "\nServing until Ctrl-C. The console: " << ops << "/console\n"
              << "A payment by HTTP: curl -X POST " << ops << "/v1/payments -H 'Idempotency-Key: try-1' -d "
              << "'{\"merchant\":\"ZANDO\",\"reference\":\"TRY-1\",\"provider\":\"novasend\",\"flow\":\"payin\","
              << "\"amount\":{\"value\":300,\"currency\":\"XOF\"},\"customer\":{\"msisdn\":\"+2250700000001\"}}'\n"
              << std::flush;
    options.serve_until_stopped();
    std::cout << "demo: stopping" << std::endl;
  }
  runtime.stop();
  return failures > 0 ? 1 : 0;
}

}  // namespace corridor
