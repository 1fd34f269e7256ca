// Properties every registered flow must have, checked over every state and every input the flow's
// table names (DESIGN.md sections 4 and 7).
//
// The input alphabet of a flow is the set of input names in its rows. Each name is fed with empty
// data and with the data its guards look for, read from the guard names: "op X" gives {"op": "X"}
// (call.failed), an upper-case word ("handle PAYABLE") gives {"status": WORD}, "outcome X" gives
// {"outcome": "X"}. A name no row uses ("no.such.input") checks the rejection path.
//
// What is asserted:
//  - structure: states are unique, every state named in a row exists, the initial state is not
//    terminal and has a row on the flow's create command, terminal states have no rows, every
//    non-terminal state other than the initial one is reachable, every non-terminal state has a way
//    out, a guard has a name (and a name a guard), every row cites its seed step, no row is shadowed
//    by an unguarded row above it with the same state and input, every state has a canonical status;
//  - terminal states absorb: any input leaves the transaction byte-for-byte unchanged, no effects;
//  - no row: the state, version and everything else stay; rejected_inputs goes up by one and
//    last_rejection names the input; no effects. A timer with no row is a stale timer: nothing at all;
//  - applied: the state becomes the row's `to`, the version goes up by one with one event exactly when
//    the state changes, and entering a terminal state cancels every timer and sets none;
//  - duplicates: feeding the very same input (same input_id, data and time) a second time right after
//    the first never changes the state, version, provider_refs, next_action, reason or amount, and
//    publishes no event. (Calls or timers may be re-emitted by self-rows, e.g. a poll: the executor
//    deduplicates them by call id and the scheduler replaces a timer by name.)
//    Nor does it make a provider call that acts (anything but a read: `check`, `check_*`, `get_*`),
//    unless it is a timer (the scheduler fires a timer once; feeding one twice only happens here).
//  - determinism: the same input sequence from the same create command gives the same events, calls,
//    timers and final transaction, serialised byte for byte; event versions are consecutive; each event's
//    text is Boost.JSON's text of the same event as an object.
#include <gtest/gtest.h>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <random>
#include <set>

#include "adapters/registry.hpp"
#include "tests/support/flow_harness.hpp"

namespace corridor {
namespace {

using testing::Harness;

struct Sample {
  std::string name;
  InputKind kind;
  json::object data;
};

InputKind kind_of(const Flow& flow, std::string_view name) {
  if (name.starts_with("timer.")) return InputKind::timer;
  if (name == flow.create_command || name == "refund.create" || name == "transaction.reconcile") return InputKind::command;
  return InputKind::provider_response;
}

std::vector<Sample> alphabet(const Flow& flow) {
  std::vector<Sample> out;
  std::set<std::string, std::less<>> names;
  for (const Row& row : flow.rows) {
    if (names.insert(std::string(row.on)).second)
      out.push_back({std::string(row.on), kind_of(flow, row.on), {}});
  }
  std::set<std::string> seen;
  for (const Row& row : flow.rows) {
    std::string_view g = row.guard_name;
    json::object data;
    if (g.starts_with("op ")) {
      data["op"] = g.substr(3);
    } else if (g.starts_with("outcome ")) {
      data["outcome"] = g.substr(8);
    } else {
      const auto space = g.rfind(' ');
      std::string_view word = space == std::string_view::npos ? g : g.substr(space + 1);
      bool upper = !word.empty();
      for (char ch : word) upper = upper && (std::isupper(static_cast<unsigned char>(ch)) || ch == '_');
      if (upper) data["status"] = word;
    }
    if (data.empty()) continue;
    std::string key = std::string(row.on) + "|" + boost::json::serialize(data);
    if (seen.insert(key).second) out.push_back({std::string(row.on), kind_of(flow, row.on), data});
  }
  return out;
}

Input input_of(const Sample& s, std::string id, std::int64_t at = testing::kT0) {
  return testing::make_input(s.name, s.data, at, s.kind, std::move(id));
}

bool is_empty(const Effects& e) {
  return e.events.empty() && e.calls.empty() && e.timers.empty() && e.cancelled_timers.empty();
}

bool is_read(std::string_view op) { return op == "check" || op.starts_with("check_") || op.starts_with("get_"); }

class FlowProperties : public ::testing::TestWithParam<const Flow*> {};

TEST_P(FlowProperties, StructureIsSound) {
  const Flow& f = *GetParam();
  EXPECT_EQ(f.id, std::string(f.provider) + "." + std::string(f.name));
  EXPECT_EQ(find_flow(f.id), &f);
  std::set<std::string_view> names;
  for (const auto& s : f.states) {
    EXPECT_TRUE(names.insert(s.name).second) << "duplicate state " << s.name;
    const auto status = to_string(s.status);
    EXPECT_FALSE(status.empty()) << s.name;
  }
  ASSERT_FALSE(f.states.empty());
  EXPECT_FALSE(f.states.front().terminal) << "initial state is terminal";

  bool has_create_row = false;
  for (std::size_t i = 0; i < f.rows.size(); ++i) {
    const Row& r = f.rows[i];
    SCOPED_TRACE(std::string(r.from) + " --" + std::string(r.on) + "--> " + std::string(r.to));
    ASSERT_NE(f.state(r.from), nullptr) << "unknown from state";
    ASSERT_NE(f.state(r.to), nullptr) << "unknown to state";
    EXPECT_FALSE(f.state(r.from)->terminal) << "a terminal state has a row: it would never apply";
    EXPECT_EQ(r.guard == nullptr, r.guard_name.empty()) << "guard and guard name go together";
    EXPECT_FALSE(r.cite.empty()) << "a row cites its seed step";
    EXPECT_FALSE(r.on.empty());
    if (r.from == f.initial() && r.on == f.create_command) has_create_row = true;
    for (std::size_t j = 0; j < i; ++j) {
      const Row& above = f.rows[j];
      EXPECT_FALSE(above.from == r.from && above.on == r.on && above.guard == nullptr)
          << "shadowed by the unguarded row " << j;
    }
  }
  EXPECT_TRUE(has_create_row) << "no row from the initial state on " << f.create_command;

  // The index a step reads: each state's rows, all of them and in table order, and where each leads.
  ASSERT_TRUE(f.indexed()) << "make_flow does not call index()";
  for (const auto& s : f.states) {
    std::vector<std::uint16_t> expected;
    for (std::size_t i = 0; i < f.rows.size(); ++i)
      if (f.rows[i].from == s.name) expected.push_back(static_cast<std::uint16_t>(i));
    EXPECT_EQ(f.rows_from(s), expected) << s.name;
  }
  for (std::size_t i = 0; i < f.rows.size(); ++i) EXPECT_EQ(f.row_target(i), f.state(f.rows[i].to)) << i;

  // Reachability from the initial state, and a way out of every non-terminal state.
  std::set<std::string_view> reached{f.initial()};
  for (bool grew = true; grew;) {
    grew = false;
    for (const Row& r : f.rows)
      if (reached.contains(r.from) && reached.insert(r.to).second) grew = true;
  }
  for (const auto& s : f.states) {
    EXPECT_TRUE(reached.contains(s.name)) << s.name << " is unreachable";
    if (s.terminal) continue;
    bool way_out = false;
    for (const Row& r : f.rows) way_out = way_out || (r.from == s.name && r.to != s.name);
    EXPECT_TRUE(way_out) << s.name << " has no way out";
  }
}

// A transaction forced into a final state has no settled_from: nothing the provider says can move it
// (late outcomes are tested per flow and in reconcile_test). A command is refused, a timer is stale,
// and the transaction stays as it was.
// The processor parses each input into memory of its own (engine/pipeline/processor.cpp); what
// start() keeps of the command (customer, description, metadata) is copied into the transaction's own
// memory, so that a transaction never holds on to, nor allocates from, an input's.
TEST_P(FlowProperties, StartKeepsNothingOfTheCommandsMemory) {
  const Flow& f = *GetParam();
  Harness h{f};
  json::object extra;
  extra["metadata"] = json::object{{"order", "A-1"}, {"lines", json::array{1, 2}}};
  extra["description"] = "a payment";
  const Input built = h.create_input(std::move(extra));
  const json::storage_ptr own = boost::json::make_shared_resource<boost::json::monotonic_resource>();
  Result<Input> create = input_from_json(boost::json::parse(boost::json::serialize(to_json(built)), own));
  ASSERT_TRUE(create) << create.error().message;
  ASSERT_EQ(create->data.storage().get(), own.get());
  Effects effects;
  const Transaction t = start(f, *create, effects);
  ASSERT_TRUE(t.customer && t.description && t.metadata);
  for (const json::value* kept : {&t.customer->value(), &t.description->value(), &t.metadata->value()})
    EXPECT_NE(kept->storage().get(), own.get());
  EXPECT_EQ(*t.customer, *create->data.if_contains("customer"));
  EXPECT_EQ(*t.metadata, *create->data.if_contains("metadata"));
  EXPECT_EQ(serialize(t), serialize(start(f, built, effects)));
}

TEST_P(FlowProperties, TerminalStatesAbsorbEverythingAndRefuseCommands) {
  const Flow& f = *GetParam();
  auto inputs = alphabet(f);
  inputs.push_back({"no.such.input", InputKind::webhook, {}});
  for (const auto& s : f.states) {
    if (!s.terminal) continue;
    for (const auto& sample : inputs) {
      SCOPED_TRACE(std::string(s.name) + " + " + sample.name + " " + boost::json::serialize(sample.data));
      Harness h{f};
      h.in(s.name);
      const auto before = boost::json::serialize(to_json(h.txn));
      auto r = h.feed(input_of(sample, "dup-1"));
      const bool refused = sample.kind == InputKind::command && sample.name != "transaction.reconcile";
      EXPECT_EQ(r.outcome, refused ? Outcome::rejected : Outcome::absorbed);
      EXPECT_EQ(boost::json::serialize(to_json(h.txn)), before);
      EXPECT_TRUE(is_empty(h.effects));
    }
  }
}

TEST_P(FlowProperties, EveryInputInEveryStateIsAppliedRejectedOrStale) {
  const Flow& f = *GetParam();
  auto inputs = alphabet(f);
  inputs.push_back({"no.such.input", InputKind::webhook, {}});
  inputs.push_back({"timer.no_such_timer", InputKind::timer, {}});
  for (const auto& s : f.states) {
    if (s.terminal) continue;
    for (const auto& sample : inputs) {
      SCOPED_TRACE(std::string(s.name) + " + " + sample.name + " " + boost::json::serialize(sample.data));
      Harness h{f};
      h.in(s.name);
      const Transaction before = h.txn;
      auto r = h.feed(input_of(sample, "in-x"));
      switch (r.outcome) {
        case Outcome::rejected: {
          EXPECT_NE(sample.kind, InputKind::timer);
          EXPECT_EQ(h.txn.state, before.state);
          EXPECT_EQ(h.txn.version, before.version);
          EXPECT_EQ(h.txn.rejected_inputs, before.rejected_inputs + 1);
          EXPECT_EQ(h.txn.last_rejection.value().name, sample.name);
          EXPECT_FALSE(r.reason.empty());
          EXPECT_TRUE(is_empty(h.effects));
          Transaction expected = h.txn;  // apart from the rejection record, nothing moved
          expected.rejected_inputs = before.rejected_inputs;
          expected.last_rejection = before.last_rejection;
          EXPECT_EQ(boost::json::serialize(to_json(expected)), boost::json::serialize(to_json(before)));
          break;
        }
        case Outcome::stale_timer:
          EXPECT_EQ(sample.kind, InputKind::timer);
          EXPECT_EQ(boost::json::serialize(to_json(h.txn)), boost::json::serialize(to_json(before)));
          EXPECT_TRUE(is_empty(h.effects));
          break;
        case Outcome::applied: {
          ASSERT_NE(r.row, nullptr);
          EXPECT_EQ(r.row->from, s.name);
          EXPECT_EQ(r.row->on, sample.name);
          EXPECT_EQ(h.txn.state, r.row->to);
          // A row that changes state, or announces a change in place, bumps the version and emits one event.
          const bool moved = r.row->to != r.row->from || r.row->announces();
          EXPECT_EQ(h.txn.version, before.version + (moved ? 1 : 0));
          EXPECT_EQ(h.effects.events.size(), moved ? 1u : 0u);
          if (moved) {
            EXPECT_EQ(h.effects.events[0].state, r.row->to);
            EXPECT_EQ(h.effects.events[0].previous_state, s.name);
            EXPECT_EQ(to_string(h.effects.events[0].status), to_string(f.state(r.row->to)->status));
          }
          if (f.state(r.row->to)->terminal) {
            EXPECT_TRUE(h.effects.timers.empty());
            EXPECT_EQ(h.effects.cancelled_timers, Effects::Names{"*"});
          }
          for (const auto& call : h.effects.calls) {
            EXPECT_EQ(call.provider, f.provider);
            EXPECT_TRUE(call.call_id.starts_with(h.txn.txn_id + ":")) << call.call_id;
          }
          break;
        }
        case Outcome::absorbed:
          ADD_FAILURE() << "a non-terminal state absorbed an input";
          break;
      }
    }
  }
}

TEST_P(FlowProperties, TheSameInputTwiceChangesNothingTheSecondTime) {
  const Flow& f = *GetParam();
  for (const auto& s : f.states) {
    if (s.terminal) continue;
    for (const auto& sample : alphabet(f)) {
      SCOPED_TRACE(std::string(s.name) + " + " + sample.name + " " + boost::json::serialize(sample.data));
      Harness h{f};
      h.in(s.name);
      const Input input = input_of(sample, "dup-1");
      h.feed(input);
      const Transaction after_first = h.txn;
      h.feed(input);
      EXPECT_EQ(h.txn.state, after_first.state);
      EXPECT_EQ(h.txn.version, after_first.version);
      EXPECT_EQ(h.txn.provider_refs, after_first.provider_refs);
      EXPECT_EQ(h.txn.next_action, after_first.next_action);
      EXPECT_EQ(h.txn.reason, after_first.reason);
      EXPECT_EQ(h.txn.amount, after_first.amount);
      EXPECT_TRUE(h.effects.events.empty());
      if (sample.kind != InputKind::timer) {
        // A read, or a re-send under the first idempotency key (the provider answers what it did),
        // is harmless; anything else would act twice.
        for (const auto& call : h.effects.calls)
          EXPECT_TRUE(is_read(call.op) || !call.answer_id.empty()) << "the duplicate made the call " << call.op << " again";
      }
    }
  }
}

struct Replay {
  std::string trace;  // every effect and the final transaction, serialised
  std::vector<StateChangedEvent> events;
};

Replay run(const Flow& f, const std::vector<Input>& inputs) {
  Replay out;
  Effects effects;
  Harness h{f};
  const Input create = h.create_input();
  h.txn = start(f, create, effects);
  for (const auto& e : effects.events) out.events.push_back(e);
  for (const Input& in : inputs) {
    auto r = h.feed(in);
    out.trace += std::string(to_string(r.outcome)) + "\n";
    for (const auto& e : h.effects.events) {
      out.trace += serialize(e) + "\n";
      EXPECT_EQ(serialize(e), boost::json::serialize(to_json(e)));
      out.events.push_back(e);
    }
    EXPECT_EQ(serialize(h.txn), boost::json::serialize(to_json(h.txn)));  // the store's document
    for (const auto& c : h.effects.calls) out.trace += boost::json::serialize(to_json(c)) + "\n";
    for (const auto& t : h.effects.timers) out.trace += t.name + "@" + std::to_string(t.due_at_ms) + "#" + t.input_id + "\n";
    for (const auto& t : h.effects.cancelled_timers) out.trace += "cancel " + t + "\n";
  }
  out.trace += boost::json::serialize(to_json(h.txn));
  return out;
}

TEST_P(FlowProperties, SameInputsGiveSameEventsByteForByte) {
  const Flow& f = *GetParam();
  const auto inputs = alphabet(f);
  std::mt19937 rng(20261122);  // fixed seed: the sequences are the same on every run
  Harness probe{f};
  for (int n = 0; n < 60; ++n) {
    std::vector<Input> sequence{probe.create_input()};
    std::int64_t at = testing::kT0;
    for (int i = 0; i < 16; ++i) {
      const auto& s = inputs[rng() % inputs.size()];
      at += static_cast<std::int64_t>(rng() % 600000);
      sequence.push_back(input_of(s, "seq-" + std::to_string(n) + "-" + std::to_string(i), at));
    }
    const Replay a = run(f, sequence);
    const Replay b = run(f, sequence);
    EXPECT_EQ(a.trace, b.trace);
    for (std::size_t i = 0; i < a.events.size(); ++i)
      EXPECT_EQ(a.events[i].version, static_cast<std::int64_t>(i + 1));
  }
}

std::string flow_name(const ::testing::TestParamInfo<const Flow*>& info) {
  std::string name(info.param->id);
  for (char& ch : name)
    if (ch == '.') ch = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(AllFlows, FlowProperties, ::testing::ValuesIn(all_flows()), flow_name);

TEST(FlowRegistry, IdsAreUniqueAndResolve) {
  std::set<std::string_view> ids;
  for (const Flow* f : all_flows()) EXPECT_TRUE(ids.insert(f->id).second) << f->id;
  EXPECT_EQ(all_flows().size(), 6u);
  EXPECT_EQ(resolve_flow("esipay", ""), find_flow("esipay.card"));
  EXPECT_EQ(resolve_flow("interac", "withdrawal"), find_flow("interac.withdrawal"));
  EXPECT_EQ(resolve_flow("interac", ""), nullptr);  // two flows: the command must name one
  EXPECT_EQ(find_flow("interac.withdrawal")->create_command, "payout.create");
}

}  // namespace
}  // namespace corridor
