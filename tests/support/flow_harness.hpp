#pragma once
// Puts a flow's transaction in any state and feeds it inputs, for one-test-per-row flow tests.
#include <optional>
#include <string>
#include <utility>

#include "statemachines/flow.hpp"

namespace corridor::testing {

constexpr std::int64_t kT0 = 1795867200000;  // 2026-11-22T10:00:00.000Z

Input make_input(std::string name, json::object data = {}, std::int64_t at_ms = kT0,
                 InputKind kind = InputKind::provider_response, std::string input_id = {});

// A payment.create command input for `flow_id` (amount 300 XOF unless given), with msisdn, card and
// the usual customer fields so that every flow can start from it.
Input create_command(std::string_view flow_id, Money amount = {300, "XOF"}, json::object extra = {});

struct Harness {
  explicit Harness(const Flow& flow, Money amount = {300, "XOF"});

  // The flow's create command (flow.create_command), with `extra` fields merged into the command.
  Input create_input(json::object extra = {}) const;

  // Forces the transaction into `state` (as a row test's precondition).
  Harness& in(std::string_view state);
  StepResult feed(const Input& input);
  StepResult feed(std::string name, json::object data = {}, InputKind kind = InputKind::provider_response);

  // Looks into the effects of the last feed.
  const TimerSet* timer(std::string_view name) const;
  bool cancelled(std::string_view name) const;
  const ProviderCall* call(std::string_view op) const;

  const Flow& flow;
  Transaction txn;
  FlowSettings settings;
  Effects effects;     // of the last feed
  std::int64_t now = kT0;
};

// Runs `h` (already created) against a provider that answers every call through `answer` (an input
// name and data; return nullopt for a call.failed timeout) and sends nothing of its own, firing its
// timers in time order until `until_ms` or until nothing is left to fire. The engine's default janitor
// schedule applies. Returns the number of events published.
using CallAnswer = std::optional<std::pair<std::string, json::object>> (*)(const ProviderCall& call);
std::size_t run_unattended(Harness& h, CallAnswer answer, std::int64_t until_ms);

}  // namespace corridor::testing
