#include "statemachines/reconcile.hpp"

#include <algorithm>

#include "statemachines/timefmt.hpp"

namespace corridor {

namespace {

constexpr std::string_view kAttemptKey = "janitor_attempt";

json::object* reconcile_record(Transaction& txn) {
  json::value* r = txn.data.if_contains("reconcile");
  return r != nullptr && r->is_object() ? &r->get_object() : nullptr;
}

const std::vector<std::int64_t>* schedule_for(Status s, const JanitorSchedule& j) {
  if (!in_doubt(s)) return nullptr;
  return s == Status::unknown ? &j.unknown_ms : &j.pending_ms;
}

// The record of the ask `input` answers (its input id is the ask's call id), or null.
json::object* pending_ask(Transaction& txn, const Input& input) {
  json::object* r = reconcile_record(txn);
  if (r == nullptr || !(*r)["answer"].is_null() || get_string(*r, "call_id") != input.input_id) return nullptr;
  return r;
}

// Records the answer: the provider does not know the payment, the call failed, or `settled` (with its
// note) when the provider did answer.
void record_answer(json::object& r, const Input& input, const std::string& state_after, std::string_view settled,
                   std::string note = {}) {
  if (get_bool(input.data, "not_found")) {
    r["answer"] = "not_found";
  } else if (input.name == "call.failed") {
    r["answer"] = "failed";
    r["note"] = get_string(input.data, "error");
  } else {
    r["answer"] = settled;
    if (!note.empty()) r["note"] = std::move(note);
  }
  r["to"] = state_after;
  r["answered_at"] = format_time(input.at_ms);
}

}  // namespace

void record_reconcile_ask(const Row& row, std::string_view from, StepContext& c, std::size_t first_call) {
  json::object r;
  r.reserve(8);  // the ask's keys and the answer's, added later
  r["id"] = c.input.input_id;
  r["by"] = c.input.name == kJanitorTimer ? "janitor" : "command";
  r["asked_at"] = format_time(c.input.at_ms);
  r["state"] = from;
  if (c.effects.calls.size() > first_call) {
    // The row asked the provider: the status call's answer (or its call.failed) carries its id.
    r["call_id"] = c.effects.calls.back().answer_input_id();
    r["answer"] = nullptr;
  } else if (c.txn.state != from) {
    r["answer"] = "corrected";  // the ask itself decided (an operator's outcome)
    r["to"] = c.txn.state;
  } else {
    r["answer"] = "not_asked";
    r["note"] = row.cite;
  }
  c.txn.data["reconcile"] = std::move(r);
}

void record_reconcile_answer(Transaction& txn, const Input& input) {
  json::object* r = pending_ask(txn, input);
  if (r == nullptr) return;
  record_answer(*r, input, txn.state, get_string(*r, "state") == txn.state ? "unchanged" : "corrected");
}

StepResult verify_final(const Flow& flow, Transaction& txn, const Input& input, const FlowSettings& settings,
                        Effects& effects) {
  const StepResult absorbed{Outcome::absorbed, nullptr, {}};
  const std::string_view from = get_string(txn.data, "settled_from");
  if (from.empty()) return absorbed;  // settled before corridor recorded where from
  auto shadow_step = [&](Transaction& shadow, Effects& scratch) {
    shadow.state = std::string(from);
    return step(flow, shadow, input, settings, scratch);
  };

  if (input.name == kReconcileInput) {
    Transaction shadow = txn;
    Effects scratch;
    if (shadow_step(shadow, scratch).outcome != Outcome::applied) return absorbed;
    const json::object* asked = reconcile_record(shadow);
    if (asked == nullptr) return absorbed;
    json::object r = *asked;
    r["state"] = txn.state;
    if (r["answer"] == "corrected") {
      // The ask decided by itself (an operator's outcome): it agrees with the final state or not.
      r["answer"] = shadow.state == txn.state ? "confirmed" : "disputed";
      r["note"] = "the outcome given leads to " + shadow.state;
    }
    if (!scratch.calls.empty()) {
      effects.calls.push_back(scratch.calls.back());  // the status call, made for real
      txn.seq = shadow.seq;                           // the ids it took stay taken
      if (auto* n = shadow.data.if_contains("resends")) txn.data["resends"] = *n;
    }
    txn.data["reconcile"] = std::move(r);
    return {Outcome::applied, nullptr, {}};
  }

  json::object* r = pending_ask(txn, input);
  if (r == nullptr) return absorbed;
  Transaction shadow = txn;
  Effects scratch;
  shadow_step(shadow, scratch);  // where the provider's answer would have taken the transaction
  if (shadow.state == txn.state) {
    record_answer(*r, input, txn.state, "confirmed");
  } else {
    record_answer(*r, input, txn.state, "disputed",
                  "corridor has " + txn.state + "; the provider's answer leads to " + shadow.state);
  }
  return {Outcome::applied, nullptr, {}};
}

void schedule_janitor(const Flow& flow, StepContext& c, bool entered_state) {
  const JanitorSchedule& janitor = c.settings.janitor;
  if (janitor.unknown_ms.empty() && janitor.pending_ms.empty()) return;
  const StateInfo* info = flow.state(c.txn.state);
  if (info == nullptr || info->terminal) return;  // a final state clears every timer already
  const std::vector<std::int64_t>* delays = schedule_for(info->status, janitor);
  if (delays == nullptr || delays->empty()) {
    if (entered_state) c.cancel_timer(std::string(kJanitorTimer));
    return;
  }
  std::int64_t attempt = 0;
  if (!entered_state) {
    if (c.input.name != kJanitorTimer) return;  // the janitor's timer still stands
    attempt = get_int(c.txn.data, kAttemptKey) + 1;
  }
  c.txn.data[kAttemptKey] = attempt;
  const std::int64_t delay = (*delays)[std::min<std::size_t>(static_cast<std::size_t>(attempt), delays->size() - 1)];
  // Not StepContext::set_timer: its id would take a sequence number and shift every later call id.
  // Version and attempt make this one unique and the same on every replay.
  std::string id = c.txn.txn_id + ":janitor:" + std::to_string(c.txn.version) + ":" + std::to_string(attempt);
  std::string name(kJanitorTimer);
  std::erase(c.effects.cancelled_timers, name);
  std::erase_if(c.effects.timers, [&](const TimerSet& t) { return t.name == name; });
  c.effects.timers.push_back(TimerSet{std::move(name), c.input.at_ms + delay, std::move(id)});
}

}  // namespace corridor
