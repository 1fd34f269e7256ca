// step_per_s: state-machine steps per second on one core, for novasend.payin's happy path
// (create, session.created, payin.confirmed, status.checked: four steps and five events per payment).
// Prints JSON lines; asserts nothing.
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>

#include "statemachines/novasend_payin.hpp"

using namespace corridor;

namespace {

Input input(std::string txn, std::string name, InputKind kind, json::object data, std::int64_t at) {
  return Input{txn + ":" + name, std::move(txn), kind, std::move(name), at, std::move(data)};
}

}  // namespace

int main() {
  const Flow& flow = novasend_payin_flow();
  FlowSettings settings;
  const json::object create{{"type", "payment.create"}, {"merchant", "ZANDO"}, {"reference", "R"},
                            {"provider", "novasend"},  {"flow", "payin"},     {"amount", {{"value", 300}, {"currency", "XOF"}}},
                            {"customer", {{"msisdn", "+2250700000001"}, {"name", "John Doe"}, {"country", "CI"}}}};
  const json::object session{{"reference", "tr_abc"}, {"fee", 6}, {"chargedAmount", 306}, {"confirmationRequired", true},
                             {"confirmationStatus", "none"}, {"paymentUrl", "https://link.novasend.app/link/x"}};
  const json::object checked{{"status", "processed"}, {"confirmationStatus", "accepted"},
                             {"transaction", {{"reference", "tr_core"}, {"status", "completed"}}}};

  constexpr int kPayments = 200000;
  std::size_t events = 0, bytes = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kPayments; ++i) {
    const std::string txn = "tx_" + std::to_string(i);
    Effects fx;
    Input in = input(txn, "payment.create", InputKind::command, create, 1000);
    Transaction t = start(flow, in, fx);
    (void)step(flow, t, in, settings, fx);
    (void)step(flow, t, input(txn, "session.created", InputKind::provider_response, session, 1100), settings, fx);
    (void)step(flow, t, input(txn, "payin.confirmed", InputKind::webhook, session, 1200), settings, fx);
    (void)step(flow, t, input(txn, "status.checked", InputKind::provider_response, checked, 1300), settings, fx);
    events += fx.events.size();
    for (const auto& e : fx.events) bytes += boost::json::serialize(e).size();
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double steps = 4.0 * kPayments;
  std::printf("{\"name\":\"step_per_s\",\"flow\":\"novasend.payin\",\"value\":%.0f,\"unit\":\"steps/s\",\"steps\":%.0f,"
              "\"events\":%zu,\"includes\":\"event serialisation\"}\n",
              steps / secs, steps, events);
  std::printf("{\"name\":\"event_bytes_avg\",\"flow\":\"novasend.payin\",\"value\":%.0f,\"unit\":\"bytes\"}\n",
              static_cast<double>(bytes) / static_cast<double>(events));
  return 0;
}
