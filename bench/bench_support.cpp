#include "bench/bench_support.hpp"

#include <boost/json/serialize.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <variant>

#include "engine/store/card_vault.hpp"
#include "engine/pipeline/commands.hpp"
#include "sandbox/sandbox.hpp"
#include "statemachines/flow.hpp"
#include "adapters/registry.hpp"

namespace corridor::bench {

TempDir::TempDir() {
  const char* base = std::getenv("CORRIDOR_BENCH_DIR");
  std::string tmpl = std::string(base ? base : "/tmp") + "/corridor-bench-XXXXXX";
  const char* p = mkdtemp(tmpl.data());
  if (p == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = p;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Config bench_config(const std::string& bootstrap, const std::string& dir) {
  setenv(CardVault::kKeyVariable, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 0);
  Config c = parse_config(embedded_default_config(), "embedded");
  c.kafka.bootstrap = bootstrap;
  c.store.path = dir + "/corridor.db";
  c.http.listen = "127.0.0.1:0";
  c.http.public_url.clear();
  c.sandbox.enabled = true;
  for (auto& [provider, settings] : c.providers) {
    if (const SandboxRegistration* reg = find_sandbox(provider))
      for (const auto& [k, v] : reg->demo_settings) settings[k] = v;
  }
  return c;
}

namespace {
double status_kb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string prefix = std::string(field) + ":";
  while (std::getline(in, line))
    if (line.rfind(prefix, 0) == 0) return std::strtod(line.c_str() + prefix.size(), nullptr);
  return 0;
}
}  // namespace

double rss_mb() { return status_kb("VmRSS") / 1024.0; }
double peak_rss_mb() { return status_kb("VmHWM") / 1024.0; }

std::int64_t file_bytes(const std::string& path) {
  std::error_code ec;
  auto n = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<std::int64_t>(n);
}

json::object payin_command(const std::string& reference, const std::string& msisdn) {
  return {{"type", "payment.create"},
          {"command_id", "cmd-" + reference},
          {"merchant", "ZANDO"},
          {"reference", reference},
          {"provider", "novasend"},
          {"flow", "payin"},
          {"amount", {{"value", 300}, {"currency", "XOF"}}},
          {"customer", {{"msisdn", msisdn}, {"name", "John Doe"}, {"country", "CI"}}},
          {"description", "benchmark payin"},
          {"metadata", json::object{}}};
}

std::vector<InputBytes> novasend_payin_inputs(const Config& config, std::int64_t index, std::int64_t at_ms,
                                              bool with_webhook, std::size_t* events, std::size_t* event_bytes) {
  static const Flow& flow = *find_flow("novasend.payin");
  const FlowSettings settings = config.flow_settings("novasend");
  const std::string reference = "BENCH" + std::to_string(index);
  auto routed = route_command(boost::json::serialize(payin_command(reference)), config,
                              "corridor.commands:0:" + std::to_string(index), at_ms);
  if (!std::holds_alternative<RoutedCommand>(routed)) throw std::runtime_error("benchmark command refused");
  const Input create = std::get<RoutedCommand>(routed).input;
  const std::string& txn = create.txn_id;
  const std::string tr = "tr_" + std::string(txn.substr(3, 26));

  std::vector<Input> inputs{create};
  Effects fx;
  Transaction t = start(flow, create, fx);
  (void)step(flow, t, create, settings, fx);
  const std::string session_call = fx.calls.at(0).call_id;

  json::object session{{"type", "payin"},
                       {"fee", 6},
                       {"reference", tr},
                       {"phoneNumber", "+2250700000001"},
                       {"customerName", "John Doe"},
                       {"amount", 300},
                       {"chargedAmount", 306},
                       {"status", "processing"},
                       {"currency", "XOF"},
                       {"customerReference", txn},
                       {"confirmationRequired", true},
                       {"confirmationStatus", "none"},
                       {"paymentUrl", "http://127.0.0.1:40000/link/abcdefghij"},
                       {"createdAt", "2026-11-22T10:00:00.050Z"}};
  inputs.push_back(Input{session_call, txn, InputKind::provider_response, "session.created", at_ms + 50, session});
  (void)step(flow, t, inputs.back(), settings, fx);

  json::object settled = session;
  settled["status"] = "processed";
  settled["confirmationStatus"] = "accepted";
  settled["transaction"] = json::object{{"reference", "tr_core" + std::to_string(index)}, {"status", "completed"},
                                        {"customerName", "John Doe"}, {"processedAt", "2026-11-22T10:00:00.100Z"},
                                        {"phoneNumber", "+2250700000001"}, {"amount", "300.00"}, {"fees", "0.00"},
                                        {"chargedAmount", "306.00"}, {"currency", "XOF"}};
  settled["failure"] = nullptr;

  std::string check_call;
  if (with_webhook) {
    inputs.push_back(Input{"webhook:novasend:evt_" + std::to_string(index), txn, InputKind::webhook, "payin.confirmed",
                           at_ms + 100, settled});
    const std::size_t before = fx.calls.size();
    (void)step(flow, t, inputs.back(), settings, fx);
    check_call = fx.calls.at(before).call_id;
  } else {
    check_call = txn + ":check-now";  // an executor answer to a status poll
  }
  inputs.push_back(Input{check_call, txn, InputKind::provider_response, "status.checked", at_ms + 150, settled});
  (void)step(flow, t, inputs.back(), settings, fx);
  if (t.state != "succeeded") throw std::runtime_error("benchmark payin ends in " + t.state);

  if (events != nullptr) *events += fx.events.size();
  if (event_bytes != nullptr)
    for (const auto& e : fx.events) *event_bytes += serialize(e).size();
  std::vector<InputBytes> out;
  out.reserve(inputs.size());
  for (const Input& in : inputs) out.push_back({txn, boost::json::serialize(to_json(in))});
  return out;
}

}  // namespace corridor::bench
