#include "tests/support/flow_harness.hpp"

#include <algorithm>
#include <vector>

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

std::size_t run_unattended(Harness& h, CallAnswer answer, std::int64_t until_ms) {
  h.settings.janitor = {{300000, 3600000, 86400000}, {3600000, 86400000}};
  std::vector<TimerSet> timers;
  std::vector<ProviderCall> calls;
  std::size_t events = 0;
  auto take = [&] {
    events += h.effects.events.size();
    for (const auto& c : h.effects.cancelled_timers) {
      if (c == "*") timers.clear();
      std::erase_if(timers, [&](const TimerSet& t) { return t.name == c; });
    }
    for (const auto& t : h.effects.timers) {
      std::erase_if(timers, [&](const TimerSet& old) { return old.name == t.name; });
      timers.push_back(t);
    }
    for (const auto& c : h.effects.calls) calls.push_back(c);
  };
  take();
  std::int64_t now = h.now;
  for (int steps = 0; now < until_ms && steps < 100000; ++steps) {
    if (!calls.empty()) {
      const ProviderCall call = calls.front();
      calls.erase(calls.begin());
      if (auto a = answer(call)) {
        h.feed(make_input(a->first, std::move(a->second), now, InputKind::provider_response, call.answer_input_id()));
      } else {
        h.feed(make_input("call.failed", {{"op", call.op}, {"error", "timeout"}}, now, InputKind::provider_response,
                          call.answer_input_id()));
      }
      take();
      continue;
    }
    if (timers.empty()) break;
    auto next = std::min_element(timers.begin(), timers.end(),
                                 [](const TimerSet& a, const TimerSet& b) { return a.due_at_ms < b.due_at_ms; });
    const TimerSet t = *next;
    timers.erase(next);
    now = std::max(now, t.due_at_ms);
    h.feed(make_input(t.name, {}, now, InputKind::timer, t.input_id));
    take();
  }
  return events;
}

}  // namespace corridor::testing
