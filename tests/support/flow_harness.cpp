#include "tests/support/flow_harness.hpp"

namespace corridor::testing {

Input make_input(std::string name, json::object data, std::int64_t at_ms, InputKind kind, std::string input_id) {
  static int counter = 0;
  Input in;
  in.input_id = input_id.empty() ? "in-" + std::to_string(++counter) : std::move(input_id);
  in.txn_id = "tx_test";
  in.kind = kind;
  in.name = std::move(name);
  in.at_ms = at_ms;
  in.data = std::move(data);
  return in;
}

Input create_command(std::string_view flow_id, Money amount, json::object extra) {
  const auto dot = flow_id.find('.');
  json::object cmd{{"type", "payment.create"},
                   {"command_id", "cmd-1"},
                   {"merchant", "ZANDO"},
                   {"reference", "MM0000XXFFR159"},
                   {"provider", flow_id.substr(0, dot)},
                   {"flow", flow_id.substr(dot + 1)},
                   {"amount", {{"value", amount.value}, {"currency", amount.currency}}},
                   {"customer",
                    {{"msisdn", "+2250702968786"}, {"name", "John Doe"}, {"country", "CI"},
                     {"email", "john@example.com"}}},
                   {"description", "test payment"},
                   {"metadata", json::object{}}};
  for (auto& kv : extra) cmd[kv.key()] = kv.value();
  std::string type(get_string(cmd, "type"));
  return make_input(std::move(type), std::move(cmd), kT0, InputKind::command, "cmd:cmd-1");
}

Harness::Harness(const Flow& f, Money amount) : flow(f) {
  Effects ignored;
  Input create = create_command(flow.id, amount);
  create.name = std::string(flow.create_command);
  txn = start(flow, create, ignored);
}

Input Harness::create_input(json::object extra) const {
  extra["type"] = flow.create_command;
  Input create = create_command(flow.id, txn.amount, std::move(extra));
  create.name = std::string(flow.create_command);
  return create;
}

const TimerSet* Harness::timer(std::string_view name) const {
  for (const auto& t : effects.timers)
    if (t.name == name) return &t;
  return nullptr;
}

bool Harness::cancelled(std::string_view name) const {
  for (const auto& t : effects.cancelled_timers)
    if (t == name) return true;
  return false;
}

const ProviderCall* Harness::call(std::string_view op) const {
  for (const auto& c : effects.calls)
    if (c.op == op) return &c;
  return nullptr;
}

Harness& Harness::in(std::string_view state) {
  txn.state = std::string(state);
  return *this;
}

StepResult Harness::feed(const Input& input) {
  effects = Effects{};
  return step(flow, txn, input, settings, effects);
}

StepResult Harness::feed(std::string name, json::object data, InputKind kind) {
  return feed(make_input(std::move(name), std::move(data), now, kind));
}

}  // namespace corridor::testing
