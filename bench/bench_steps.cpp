// step_per_s: state-machine steps per second on one core, for the happy path of every registered flow
// (adapters/registry.hpp all_flows(); the input data is the unit tests'). Two figures per flow:
// the pure step (start + step, effects built, nothing serialised) and the step followed by the
// serialisation of its events, as the processor does before writing the outbox. Each input gets
// effects of its own, as in the processor. Inputs are built outside the timed sections, in chunks.
// Prints JSON lines; asserts nothing.
// Usage: bench_steps [payments per flow] [flow id]: the flow id runs one flow alone (for a profile).
#include <chrono>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "statemachines/flow.hpp"
#include "adapters/registry.hpp"

using namespace corridor;

namespace {

constexpr std::int64_t kT0 = 1795867200000;  // 2026-11-28T12:00:00.000Z

struct PathStep {
  std::string name;
  InputKind kind;
  json::object data;
  std::int64_t after_ms;
};

struct HappyPath {
  Money amount;
  json::object create_extra;  // merged into the create command
  std::vector<PathStep> steps;
  std::string final_state;
};

json::object create_command(const Flow& flow, const HappyPath& p, const std::string& reference) {
  json::object cmd{{"type", flow.create_command},
                   {"command_id", "cmd-" + reference},
                   {"merchant", "ZANDO"},
                   {"reference", reference},
                   {"provider", flow.provider},
                   {"flow", flow.name},
                   {"amount", {{"value", p.amount.value}, {"currency", p.amount.currency}}},
                   {"customer",
                    {{"msisdn", "+2250700000001"}, {"name", "John Doe"}, {"country", "CI"},
                     {"email", "john@example.com"}}},
                   {"description", "bench payment"},
                   {"metadata", json::object{}}};
  for (const auto& kv : p.create_extra) cmd[kv.key()] = kv.value();
  return cmd;
}

// The happy paths, with the data of tests/unit/statemachines/<flow>_test.cpp.
std::map<std::string, HappyPath> happy_paths() {
  std::map<std::string, HappyPath> out;
  const json::object masked_card{{"number", "535522******0042"}, {"exp_month", 12}, {"exp_year", 2027}};

  {  // cynod.card_debit: created -> authorization_requested -> awaiting_wallet_confirmation -> debited -> completed
    const json::object in_progress{
        {"reference", "tx_test"}, {"card", "535522******0042"}, {"amount", 300}, {"cynod_reference", "CY-1"}};
    const json::object approved{{"reference", "tx_test"},        {"card", "535522******0042"}, {"amount", 300},
                                {"authorization_number", "A123456"}, {"status", "APPROVED"},       {"cynod_reference", "CY-1"}};
    out["cynod.card_debit"] = {{300, "XOF"},
                               {{"card", masked_card}},
                               {{"authorization.in_progress", InputKind::webhook, in_progress, 1000},
                                {"authorization.approved", InputKind::webhook, approved, 30000},
                                {"acknowledgement.accepted", InputKind::provider_response, {}, 31000}},
                               "completed"};
  }
  {  // flexpay.card: payment_requested -> awaiting_customer -> verifying -> succeeded
    const json::object pay_answer{{"code", "0"}, {"message", "Redirection"}, {"orderNumber", "9bsTX7qXdpQe243815877848"},
                                  {"url", "https://cardpayment.flexpay.cd/pay/9bsTX7qXdpQe243815877848"}};
    const json::object callback{{"code", "0"}, {"reference", "tx_test"}, {"provider_reference", "7KI81020PHS"},
                                {"orderNumber", "9bsTX7qXdpQe243815877848"}};
    const json::object check{{"code", "0"},
                             {"message", "Une transaction trouvée"},
                             {"transaction",
                              {{"orderNumber", "9bsTX7qXdpQe243815877848"}, {"reference", "tx_test"}, {"amount", "3.00"},
                               {"amount_minor", 300}, {"amountCustomer", "3.06"}, {"currency", "USD"}, {"createdAt", "06-02-2021 17:32:46"},
                               {"status", "0"}}}};
    out["flexpay.card"] = {{300, "USD"},
                           {},
                           {{"pay.accepted", InputKind::provider_response, pay_answer, 500},
                            {"flexpay.callback", InputKind::webhook, callback, 30000},
                            {"check.result", InputKind::provider_response, check, 30500}},
                           "succeeded"};
  }
  {  // esipay.card: charging -> callback_received -> captured
    const json::object callback{{"type", "card"}, {"amount", "100.00"}, {"transaction", "ESI-778"}, {"cid", "tx_test"}};
    out["esipay.card"] = {{10000, "USD"},
                          {{"card", masked_card}},
                          {{"esipay.callback", InputKind::webhook, callback, 2000},
                           {"charge.succeeded", InputKind::provider_response, {{"http_status", 200}}, 2100}},
                          "captured"};
  }
  {  // novasend.payin: session_requested -> awaiting_confirmation -> confirmed -> succeeded
    const json::object session{{"reference", "tr_abc"}, {"fee", 6}, {"chargedAmount", 306}, {"confirmationRequired", true},
                               {"confirmationStatus", "none"}, {"paymentUrl", "https://link.novasend.app/link/x"}};
    const json::object checked{{"status", "processed"}, {"confirmationStatus", "accepted"},
                               {"transaction", {{"reference", "tr_core"}, {"status", "completed"}}}};
    out["novasend.payin"] = {{300, "XOF"},
                             {},
                             {{"session.created", InputKind::provider_response, session, 100},
                              {"payin.confirmed", InputKind::webhook, session, 200},
                              {"status.checked", InputKind::provider_response, checked, 300}},
                             "succeeded"};
  }
  {  // interac.payment (request money): handle_requested -> handle_initiated -> handle_payable -> payment_processing -> completed
    auto handle = [](std::string_view status, std::string_view action) {
      return json::object{{"id", "514b4cf1-8891-445d-9b58-e50ae02d8c3c"},
                          {"paymentType", "INTERAC_ETRANSFER"},
                          {"paymentHandleToken", "PHEkR6gInY2NM05X"},
                          {"merchantRefNum", "tx_test"},
                          {"status", status},
                          {"action", action},
                          {"timeToLiveSeconds", 899},
                          {"transactionType", "PAYMENT"},
                          {"links", json::array{json::object{{"rel", "redirect_payment"},
                                                             {"href", "https://api.qa.paysafe.com/redirect?x=1"}}}}};
    };
    auto payment = [](std::string_view status) {
      return json::object{{"id", "568530f0-262a-453f-b681-1088195d9439"}, {"paymentHandleToken", "PHEkR6gInY2NM05X"},
                          {"merchantRefNum", "tx_test"}, {"status", status}, {"amount", 54400}, {"settleWithAuth", true}};
    };
    out["interac.payment"] = {{54400, "CAD"},
                              {},
                              {{"handle.created", InputKind::provider_response, handle("INITIATED", "REDIRECT"), 500},
                               {"PAYMENT_HANDLE_PAYABLE", InputKind::webhook, handle("PAYABLE", "NONE"), 60000},
                               {"payment.created", InputKind::provider_response, payment("PROCESSING"), 61000},
                               {"PAYMENT_COMPLETED", InputKind::webhook, payment("COMPLETED"), 120000}},
                              "completed"};
  }
  {  // interac.withdrawal with verification and autodeposit
    const json::object verification_handle{{"id", "cbd5a3a4"},          {"paymentHandleToken", "PHd0GFCqwJqu9YkV"},
                                           {"merchantRefNum", "tx_test-verification"}, {"status", "PAYABLE"},
                                           {"action", "NONE"},           {"transactionType", "VERIFICATION"},
                                           {"timeToLiveSeconds", 899}};
    const json::object verification{
        {"id", "d19ca286"},
        {"status", "COMPLETED"},
        {"interacEtransfer",
         {{"consumerId", "john@example.com"}, {"maxAmount", 500000}, {"transferType", "ALIAS_AUTODEPOSIT"}}}};
    const json::object credit_handle{
        {"id", "9129cf41"},          {"paymentHandleToken", "PH6grPCguAtRInwc"}, {"merchantRefNum", "tx_test"},
        {"status", "PAYABLE"},       {"action", "NONE"},                         {"transactionType", "STANDALONE_CREDIT"},
        {"timeToLiveSeconds", 899},
        {"interacEtransfer",
         {{"consumerId", "john@example.com"}, {"maxAmount", 500000}, {"transferType", "ALIAS_AUTODEPOSIT"}}}};
    auto credit = [](std::string_view status) {
      return json::object{{"id", "b7759f69"}, {"paymentHandleToken", "PH6grPCguAtRInwc"}, {"merchantRefNum", "tx_test"},
                          {"status", status}};
    };
    out["interac.withdrawal"] = {{50000, "CAD"},
                                 {{"verify", true}},
                                 {{"handle.created", InputKind::provider_response, verification_handle, 500},
                                  {"verification.completed", InputKind::provider_response, verification, 1000},
                                  {"handle.created", InputKind::provider_response, credit_handle, 1500},
                                  {"credit.created", InputKind::provider_response, credit("PROCESSING"), 2000},
                                  {"SA_CREDIT_COMPLETED", InputKind::webhook, credit("COMPLETED"), 86400000}},
                                 "completed"};
  }
  return out;
}

struct Payment {
  Input create;
  std::vector<Input> inputs;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const auto paths = happy_paths();
  const int kPayments = argc > 1 ? std::max(1000, std::atoi(argv[1])) : 100000;  // per flow
  constexpr int kChunk = 1000;       // inputs are built per chunk, outside the timed sections
  FlowSettings settings;
  double all_steps = 0, all_step_secs = 0, all_serial_secs = 0;

  const std::string only = argc > 2 ? argv[2] : "";
  for (const Flow* flow : all_flows()) {
    if (!only.empty() && flow->id != only) continue;
    auto it = paths.find(std::string(flow->id));
    if (it == paths.end()) {
      std::printf("{\"name\":\"step_per_s\",\"flow\":\"%s\",\"value\":null,\"unit\":\"steps/s\",\"error\":\"no happy path "
                  "in bench_steps.cpp\"}\n",
                  std::string(flow->id).c_str());
      continue;
    }
    const HappyPath& path = it->second;
    double step_secs = 0, serial_secs = 0;
    std::size_t events = 0, bytes = 0, not_applied = 0, not_final = 0;
    for (int base = 0; base < kPayments; base += kChunk) {
      std::vector<Payment> chunk(kChunk);
      for (int j = 0; j < kChunk; ++j) {
        const std::string reference = "R" + std::to_string(base + j);
        const std::string txn = "tx_" + reference;
        Payment& pay = chunk[static_cast<std::size_t>(j)];
        pay.create = Input{"cmd:" + reference, txn, InputKind::command, std::string(flow->create_command), kT0,
                           create_command(*flow, path, reference)};
        for (std::size_t k = 0; k < path.steps.size(); ++k) {
          const PathStep& s = path.steps[k];
          pay.inputs.push_back(
              Input{txn + ":in" + std::to_string(k), txn, s.kind, s.name, kT0 + s.after_ms, s.data});
        }
      }
      const std::size_t per_payment = path.steps.size() + 1;
      std::vector<Effects> effects(kChunk * per_payment);
      std::vector<Transaction> txns(kChunk);

      auto t0 = std::chrono::steady_clock::now();
      for (int j = 0; j < kChunk; ++j) {
        const Payment& pay = chunk[static_cast<std::size_t>(j)];
        Effects* fx = &effects[static_cast<std::size_t>(j) * per_payment];
        Transaction& t = txns[static_cast<std::size_t>(j)];
        t = start(*flow, pay.create, *fx);
        if (step(*flow, t, pay.create, settings, *fx).outcome != Outcome::applied) ++not_applied;
        for (const Input& in : pay.inputs)
          if (step(*flow, t, in, settings, *++fx).outcome != Outcome::applied) ++not_applied;
      }
      step_secs += seconds_since(t0);

      t0 = std::chrono::steady_clock::now();
      for (const Effects& fx : effects)
        for (const auto& e : fx.events) bytes += serialize(e).size();
      serial_secs += seconds_since(t0);

      for (const Effects& fx : effects) events += fx.events.size();
      for (const Transaction& t : txns)
        if (t.state != path.final_state) ++not_final;
    }
    const double steps = static_cast<double>(kPayments) * static_cast<double>(path.steps.size() + 1);
    all_steps += steps;
    all_step_secs += step_secs;
    all_serial_secs += serial_secs;
    const std::string id(flow->id);
    std::printf("{\"name\":\"step_per_s\",\"flow\":\"%s\",\"value\":%.0f,\"unit\":\"steps/s\",\"steps\":%.0f,"
                "\"steps_per_payment\":%zu,\"events\":%zu,\"includes\":\"step only\",\"not_applied\":%zu,"
                "\"not_final\":%zu}\n",
                id.c_str(), steps / step_secs, steps, path.steps.size() + 1, events, not_applied, not_final);
    std::printf("{\"name\":\"step_with_events_per_s\",\"flow\":\"%s\",\"value\":%.0f,\"unit\":\"steps/s\","
                "\"includes\":\"step + event serialisation\",\"events_per_s\":%.0f,\"event_bytes_avg\":%.0f}\n",
                id.c_str(), steps / (step_secs + serial_secs), static_cast<double>(events) / (step_secs + serial_secs),
                static_cast<double>(bytes) / static_cast<double>(events));
  }
  std::printf("{\"name\":\"step_per_s\",\"flow\":\"all\",\"value\":%.0f,\"unit\":\"steps/s\",\"includes\":\"step only\"}\n",
              all_steps / all_step_secs);
  std::printf("{\"name\":\"step_with_events_per_s\",\"flow\":\"all\",\"value\":%.0f,\"unit\":\"steps/s\","
              "\"includes\":\"step + event serialisation\"}\n",
              all_steps / (all_step_secs + all_serial_secs));
  return 0;
}
