#pragma once
// Reconciliation inside the flows: asking the provider what became of a transaction, and the
// janitor that asks on its own when a transaction stays unknown or pending too long.
//
// A `transaction.reconcile` command (from `corridor reconcile`) or a `timer.janitor` input is run
// through the flow's `transaction.reconcile` rows: a row asks the provider (a status call) or says
// why it cannot (a call already out, no status endpoint). The framework keeps what was asked and
// what was answered in Transaction::reconcile, so the log records why a state changed and the reconcile
// report can tell confirmed, corrected, still pending and unknown to the provider apart:
//   {"id": input id of the ask, "by": "command"|"janitor", "state": state when asked,
//    "call_id": the status call's id (its answer's input id), "answer": null until answered, then
//    "corrected" | "unchanged" | "not_found" | "failed" | "not_asked", "to": state after the answer,
//    "note": why (not_asked: the row's citation; failed: the error)}
// An answer input carrying "not_found": true is the provider saying it does not know the payment.
//
// A final transaction never changes, but it can be verified: a reconcile command in a final state is
// run, on a copy, from the state the transaction settled from (Transaction::settled_from), so the copy
// makes that state's status call; the answer is then run on a copy from the same state. Where the copy
// ends in the transaction's own final state the provider "confirmed" it; anywhere else, "disputed"
// (the note says what the provider's answer leads to). The transaction itself, its version and its
// events stay as they are; only Transaction::reconcile records the verification.
#include <cstddef>
#include <string_view>

#include "statemachines/flow.hpp"

namespace corridor {

inline constexpr std::string_view kReconcileInput = "transaction.reconcile";
inline constexpr std::string_view kJanitorTimer = "timer.janitor";

// The input name rows are matched on: the janitor's timer asks what a reconcile command asks.
inline std::string_view row_input_name(const Input& in) {
  return in.name == kJanitorTimer ? kReconcileInput : std::string_view(in.name);
}
inline bool asks_reconcile(const Input& in) { return in.name == kReconcileInput || in.name == kJanitorTimer; }

// A status the janitor watches and reconciliation reports as still pending.
inline bool in_doubt(Status s) {
  return s == Status::pending || s == Status::requires_action || s == Status::processing || s == Status::unknown;
}

// After a reconcile row was applied: records the ask. `first_call` indexes effects.calls at the start
// of the step; `from` is the state before the row.
void record_reconcile_ask(const Row& row, std::string_view from, StepContext& c, std::size_t first_call);

// After any input: when it answers the pending ask (its input id is the ask's call id), records the
// answer and the state it left the transaction in.
void record_reconcile_answer(Transaction& txn, const Input& input);

// A step in a final state (docs/events.md, "The provider's word is final"):
//  - a command other than a reconcile ask is refused (Outcome::rejected, the transaction untouched);
//  - a reconcile ask is a verification (see above);
//  - the provider's word (a webhook or a call's answer) is run on a copy from the state the
//    transaction settled from. When it leads to another final status:
//      * if corridor decided the final state on its own clock (a kProvisional row), the provider's
//        outcome replaces it: the state moves, with attention `late_outcome`;
//      * otherwise the provider contradicts its own final word: the state stays, and an event with
//        attention `disputed` says what the provider now reports.
//    When it leads to a state that is not final (or would have made a call there, as an unsigned
//    callback that only asks for a check) and corridor decided on its own clock, the input is announced
//    (attention `late_input`) and the provider asked for the outcome with the status call of the
//    settled-from state; the answer is then compared as above.
//  - anything else (a timer, a repeated or agreeing answer) is absorbed.
StepResult step_final(const Flow& flow, Transaction& txn, const Input& input, const FlowSettings& settings,
                      Effects& effects);

// After a step that applied a row: arms, re-arms or cancels the janitor's timer. Entering a state of
// status unknown arms it after the first delay of settings.janitor.unknown_ms; a pending, requires
// action or processing status after the first of pending_ms; a janitor ask that left the state as
// it was re-arms after the next delay (the last one repeats). Other statuses cancel it. No schedule
// configured: nothing.
void schedule_janitor(const Flow& flow, StepContext& c, bool entered_state);

}  // namespace corridor
