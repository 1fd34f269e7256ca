#include "statemachines/reconcile.hpp"

#include <algorithm>

#include "statemachines/timefmt.hpp"

namespace corridor {

namespace {

constexpr std::int64_t kLateInputAskEveryMs = 3600000;

const std::vector<std::int64_t>* schedule_for(Status s, const JanitorSchedule& j) {
  if (!in_doubt(s)) return nullptr;
  return s == Status::unknown ? &j.unknown_ms : &j.pending_ms;
}

// The record of the ask `input` answers (its input id is the ask's call id), or null.
ReconcileRecord* pending_ask(Transaction& txn, const Input& input) {
  if (!txn.reconcile || !txn.reconcile->pending() || txn.reconcile->call_id != input.input_id) return nullptr;
  return &*txn.reconcile;
}

// Whether the provider said it does not hold the payment: an adapter's answer or the executor's
// call.failed, both as `"not_found": true`.
struct NotFound {
  std::optional<bool> not_found;
};
BOOST_DESCRIBE_STRUCT(NotFound, (), (not_found))

bool says_not_found(const Input& input) { return fields::from_object<NotFound>(input.data).not_found.value_or(false); }

// Records the answer: the provider does not know the payment, the call failed, or `settled` (with its
// note) when the provider did answer.
void record_answer(ReconcileRecord& r, const Input& input, const std::string& state_after, std::string_view settled,
                   std::string note = {}) {
  if (says_not_found(input)) {
    r.answer = "not_found";
  } else if (input.name == "call.failed") {
    r.answer = "failed";
    r.note = fields::from_object<CallFailed>(input.data).error;
  } else {
    r.answer = settled;
    if (!note.empty()) r.note = std::move(note);
  }
  r.to = state_after;
  r.answered_at = format_time(input.at_ms);
}

}  // namespace

void record_reconcile_ask(const Row& row, std::string_view from, StepContext& c, std::size_t first_call) {
  ReconcileRecord r;
  r.id = c.input.input_id;
  r.by = c.input.name == kJanitorTimer ? "janitor" : "command";
  r.asked_at = format_time(c.input.at_ms);
  r.state = from;
  if (c.effects.calls.size() > first_call) {
    // The row asked the provider: the status call's answer (or its call.failed) carries its id.
    r.call_id = c.effects.calls.back().answer_input_id();
  } else if (c.txn.state != from) {
    r.answer = "corrected";  // the ask itself decided (an operator's outcome)
    r.to = c.txn.state;
  } else {
    r.answer = "not_asked";
    r.note = row.cite;
  }
  c.txn.reconcile = std::move(r);
}

void record_reconcile_answer(Transaction& txn, const Input& input) {
  ReconcileRecord* r = pending_ask(txn, input);
  if (r == nullptr) return;
  record_answer(*r, input, txn.state, r->state == txn.state ? "unchanged" : "corrected");
}

namespace {

bool from_provider(const Input& in) { return in.kind == InputKind::webhook || in.kind == InputKind::provider_response; }

// Appends what a step made on a copy to the real effects.
void take_effects(Effects& effects, Effects&& scratch) {
  for (auto& e : scratch.events) effects.events.push_back(std::move(e));
  for (auto& c : scratch.calls) effects.calls.push_back(std::move(c));
  for (auto& t : scratch.timers) effects.timers.push_back(std::move(t));
  for (auto& t : scratch.cancelled_timers) effects.cancelled_timers.push_back(std::move(t));
}

// A reconcile command in a final state: its row runs on a copy from the state the transaction settled
// from, its status call is made for real, and the transaction only records the ask.
StepResult verify(const Flow& flow, Transaction& txn, std::string_view from, const Input& input,
                  const FlowSettings& settings, Effects& effects) {
  const StepResult absorbed{Outcome::absorbed, nullptr, {}};
  Transaction shadow = txn;
  shadow.state = std::string(from);
  Effects scratch;
  if (step(flow, shadow, input, settings, scratch).outcome != Outcome::applied) return absorbed;
  if (!shadow.reconcile) return absorbed;
  ReconcileRecord r = *shadow.reconcile;
  r.state = txn.state;
  if (r.answer == "corrected") {
    // The ask decided by itself (an operator's outcome): it agrees with the final state or not.
    r.answer = shadow.state == txn.state ? "confirmed" : "disputed";
    r.note = "the outcome given leads to " + shadow.state;
  }
  if (!scratch.calls.empty()) {
    effects.calls.push_back(scratch.calls.back());  // the status call, made for real
    txn.seq = shadow.seq;                           // the ids it took stay taken
    if (shadow.resends) txn.resends = shadow.resends;
  }
  txn.reconcile = std::move(r);
  return {Outcome::applied, nullptr, {}};
}

// A new version of a final transaction that stays in its state: an event saying why, flagged.
void announce(const Flow& flow, Transaction& txn, const Input& input, std::string reason,
              std::string_view attention_code, Effects& effects) {
  const StateInfo* info = flow.state(txn.state);
  ++txn.version;
  txn.updated_at_ms = input.at_ms;
  txn.reason = std::string(reason);
  record_attention(txn, attention_code, input.at_ms);
  effects.events.push_back(state_changed_event(flow, txn, info->name, input, attention_code));
}

// Asks the provider what became of a transaction corridor made final on its own clock: the
// `transaction.reconcile` row of the state it settled from makes its status call; the ask is kept in
// Transaction::reconcile (by "late_input"), so its answer is compared like any verification's. False when
// that state has no status call.
bool ask_outcome(const Flow& flow, Transaction& txn, std::string_view from, const Input& cause,
                 const FlowSettings& settings, Effects& effects) {
  Input ask;
  ask.input_id = cause.input_id + ":ask";
  ask.txn_id = txn.txn_id;
  ask.kind = InputKind::command;
  ask.name = std::string(kReconcileInput);
  ask.at_ms = cause.at_ms;
  Transaction shadow = txn;
  shadow.state = std::string(from);
  Effects scratch;
  if (step(flow, shadow, ask, settings, scratch).outcome != Outcome::applied || scratch.calls.empty()) return false;
  if (!shadow.reconcile) return false;
  ReconcileRecord r = *shadow.reconcile;
  r.by = "late_input";
  r.state = txn.state;
  effects.calls.push_back(scratch.calls.back());
  txn.seq = shadow.seq;
  if (shadow.resends) txn.resends = shadow.resends;
  txn.reconcile = std::move(r);
  return true;
}

}  // namespace

StepResult step_final(const Flow& flow, Transaction& txn, const Input& input, const FlowSettings& settings,
                      Effects& effects) {
  const StepResult absorbed{Outcome::absorbed, nullptr, {}};
  if (input.kind == InputKind::command && input.name != kReconcileInput)
    return {Outcome::rejected, nullptr, "the transaction is final (" + txn.state + "): " + input.name + " refused"};
  const std::string_view from = txn.settled_from;
  if (from.empty()) return absorbed;  // settled before corridor recorded where from
  if (input.name == kReconcileInput) return verify(flow, txn, from, input, settings, effects);
  if (!from_provider(input)) return absorbed;  // a timer: nothing may fire once final

  // Where the provider's word would have taken the transaction from the state it settled from.
  const StateInfo* now = flow.state(txn.state);
  ReconcileRecord* asked = pending_ask(txn, input);
  // A call that got no answer is corridor's silence, not the provider's word (but for "not found",
  // which the provider did say): it may answer a pending ask, and moves nothing.
  if (input.name == "call.failed" && !says_not_found(input)) {
    if (asked == nullptr) return absorbed;
    record_answer(*asked, input, txn.state, "failed");
    return {Outcome::applied, nullptr, {}};
  }
  Transaction shadow = txn;
  shadow.state = std::string(from);
  Effects scratch;
  const StepResult shadowed = step(flow, shadow, input, settings, scratch);
  const StateInfo* then = flow.state(shadow.state);
  const bool provisional = txn.provisional();

  if (shadowed.outcome == Outcome::applied && then != nullptr && then->terminal && then->status != now->status) {
    if (provisional) {
      // The provider's definitive outcome replaces the one corridor decided on its own clock.
      std::string why = std::string(then->name) + " by the provider after corridor's own deadline had made it " +
                        txn.state;
      if (shadow.reason && !shadow.reason->empty()) why += ": " + *shadow.reason;
      shadow.reason = std::move(why);
      record_attention(shadow, attention::kLateOutcome, input.at_ms);
      for (auto& e : scratch.events) {
        e.previous_state = now->name;
        e.reason_json = fields::text(shadow.reason);
        e.attention = attention::kLateOutcome;
      }
      txn = std::move(shadow);
      take_effects(effects, std::move(scratch));
      return {Outcome::applied, shadowed.row, {}};
    }
    // The provider contradicts its own final word: kept as it was, never applied silently.
    const std::string why = "the provider now reports " + input.name + ", which leads to " + std::string(then->name) +
                            "; corridor keeps " + txn.state + ", the provider's own earlier outcome";
    if (asked != nullptr) record_answer(*asked, input, txn.state, "disputed", why);
    txn.dispute = Dispute{input.input_id, std::string(then->name), format_time(input.at_ms)};
    announce(flow, txn, input, why, attention::kDisputed, effects);
    return {Outcome::applied, nullptr, {}};
  }

  if (provisional && shadowed.outcome == Outcome::applied && then != nullptr && then->terminal &&
      then->status == now->status && !shadow.provisional()) {
    // The provider's word (not corridor's clock once more) agrees with the outcome corridor decided on
    // its own clock: from now on the outcome is the provider's, and a later contradiction is a
    // dispute, not a late outcome.
    if (asked != nullptr) record_answer(*asked, input, txn.state, "confirmed");
    txn.settled_by.clear();
    return {Outcome::applied, nullptr, {}};
  }

  if (asked != nullptr) {
    // The answer to a verification (or to corridor's own ask after a late input) that moves nothing.
    if (shadow.state == txn.state || (then != nullptr && then->terminal && then->status == now->status)) {
      record_answer(*asked, input, txn.state, "confirmed");
    } else {
      record_answer(*asked, input, txn.state, "disputed",
                    "corridor has " + txn.state + "; the provider's answer leads to " + shadow.state);
    }
    return {Outcome::applied, nullptr, {}};
  }

  // Progress corridor's deadline did not wait for (a customer's confirmation, a payable handle), or a
  // notice that would have made corridor ask (FlexPay's unsigned callback): not an outcome yet, and
  // acting on it could move money for a payment the merchant was told is over. It is announced, and
  // the provider is asked for the outcome, which then decides as above.
  // Announced once per final state: such a notice may be unsigned (anyone can send FlexPay's callback),
  // and a flood of them must not make a flood of events and status calls. While an ask is out its
  // answer decides; afterwards another notice asks again at most once an hour, without an event.
  const bool progress = shadow.state != from || !scratch.calls.empty();
  if (provisional && shadowed.outcome == Outcome::applied && progress && then != nullptr && !then->terminal) {
    if (txn.reconcile && txn.reconcile->by == "late_input" && txn.reconcile->pending()) return absorbed;
    if (txn.late_input) {
      if (input.at_ms - txn.late_input->asked_at_ms < kLateInputAskEveryMs) return absorbed;
      if (!ask_outcome(flow, txn, from, input, settings, effects)) return absorbed;
      txn.late_input->asked_at_ms = input.at_ms;
      return {Outcome::applied, nullptr, {}};
    }
    std::string why = "the provider reported " + input.name + " after corridor's own deadline had made it " + txn.state;
    why += ask_outcome(flow, txn, from, input, settings, effects)
               ? "; asking the provider for the outcome"
               : "; the provider has no status call from " + std::string(from) + ": reconcile";
    txn.late_input = LateInput{input.input_id, input.at_ms};
    announce(flow, txn, input, why, attention::kLateInput, effects);
    return {Outcome::applied, nullptr, {}};
  }
  return absorbed;
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
    attempt = c.txn.janitor_attempt.value_or(0) + 1;
  }
  c.txn.janitor_attempt = attempt;
  const std::int64_t delay = (*delays)[std::min<std::size_t>(static_cast<std::size_t>(attempt), delays->size() - 1)];
  // Not StepContext::set_timer: its id would take a sequence number and shift every later call id.
  // Version and attempt make this one unique and the same on every replay.
  std::string id = c.txn.txn_id + ":janitor:" + std::to_string(c.txn.version) + ":" + std::to_string(attempt);
  c.effects.set_timer(TimerSet{std::string(kJanitorTimer), c.input.at_ms + delay, std::move(id)});
}

}  // namespace corridor
