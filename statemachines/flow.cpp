#include "statemachines/flow.hpp"

#include <cassert>
#include <charconv>

#include "statemachines/reconcile.hpp"
#include "statemachines/timefmt.hpp"

namespace corridor {

std::string StepContext::next_id(std::string_view what) {
  ++txn.seq;
  char seq[24];
  const auto seq_end = std::to_chars(seq, seq + sizeof seq, txn.seq).ptr;
  std::string id;
  id.reserve(txn.txn_id.size() + static_cast<std::size_t>(seq_end - seq) + what.size() + 2);
  id += txn.txn_id;
  id += ':';
  id.append(seq, seq_end);
  id += ':';
  id += what;
  return id;
}

const std::string& StepContext::call(std::string_view op, CallParams params) {
  // Built in place: the id is made once, and the caller gets the call's own copy.
  ProviderCall& c = effects.calls.emplace_back();
  c.call_id = next_id(op);
  c.provider = txn.provider;
  c.op = op;
  c.params = std::move(params);
  return c.call_id;
}

void StepContext::call_again(std::string call_id, std::string_view op, CallParams params) {
  // A call without an id has no idempotency key and its result could not be matched: when no id was
  // handed out before (the transaction's data lacks it), this is a first call.
  if (call_id.empty()) {
    call(op, std::move(params));
    return;
  }
  // A re-send: the same key for the provider, a fresh answer id for corridor (counted apart from
  // `seq`, so the ids handed out later stay what they were).
  const std::int64_t resend = txn.resends.value_or(0) + 1;
  txn.resends = resend;
  std::string answer_id = call_id + ":resend:" + std::to_string(resend);
  ProviderCall& c = effects.calls.emplace_back();
  c.call_id = std::move(call_id);
  c.provider = txn.provider;
  c.op = op;
  c.params = std::move(params);
  c.answer_id = std::move(answer_id);
}

void StepContext::set_timer(std::string_view name, std::int64_t due_at_ms) {
  std::string id = next_id(name);
  effects.set_timer(TimerSet{std::string(name), due_at_ms, std::move(id)});
}

void StepContext::cancel_timer(std::string_view name) { effects.cancel_timer(name); }

const StateInfo* Flow::state(std::string_view name) const {
  for (const auto& s : states)
    if (s.name == name) return &s;
  return nullptr;
}

void Flow::index() {
  assert(states.size() < kNoState && rows.size() <= 0xffff);
  auto index_of = [this](std::string_view name) {
    const StateInfo* s = state(name);
    return s == nullptr ? kNoState : static_cast<std::uint16_t>(s - states.data());
  };
  rows_from_.assign(states.size(), {});
  row_to_.assign(rows.size(), kNoState);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    row_to_[i] = index_of(rows[i].to);
    if (const std::uint16_t from = index_of(rows[i].from); from != kNoState)
      rows_from_[from].push_back(static_cast<std::uint16_t>(i));
  }
}

std::string_view to_string(Outcome o) {
  switch (o) {
    case Outcome::applied: return "applied";
    case Outcome::rejected: return "rejected";
    case Outcome::absorbed: return "absorbed";
    case Outcome::stale_timer: return "stale_timer";
  }
  return "applied";
}

namespace {

// The JSON text of `v`, written into a scratch string that keeps its capacity from one event to the
// next: the shared text's is the one allocation.
template <class T>
SharedText shared_text(const T& v) {
  thread_local std::string scratch;
  scratch.clear();
  fields::write(scratch, v);
  return SharedText(std::string_view(scratch));
}

// Fills `e` in place: the events vector holds it already, so it is not built and then moved there.
void fill_event(StateChangedEvent& e, const Flow& flow, const StateInfo* info, const Transaction& txn,
                std::string_view previous_state, const Input& cause, std::string_view attention = {}) {
  e.txn_id = txn.txn_id;
  e.merchant = txn.merchant;
  e.reference = txn.reference;
  e.provider = flow.provider;
  e.flow = flow.name;
  e.version = txn.version;
  e.state = info ? info->name : std::string_view{};
  e.previous_state = previous_state;
  e.status = info ? info->status : Status::unknown;
  e.amount = txn.amount;
  // Refund flows keep the running total; consumers reconcile refunds from it.
  e.amount_refunded = txn.refunded_amount;
  e.provider_amount = txn.provider_amount;
  e.provider_refs_json = txn.provider_refs.json();
  if (txn.next_action) e.next_action_json = shared_text(*txn.next_action);
  if (txn.reason) e.reason_json = shared_text(*txn.reason);
  e.attention = attention;
  e.cause.kind = cause.kind;
  e.cause.input_id = cause.input_id;
  e.occurred_at_ms = cause.at_ms;
}

}  // namespace

StateChangedEvent state_changed_event(const Flow& flow, const Transaction& txn, std::string_view previous_state,
                                      const Input& cause, std::string_view attention) {
  const StateInfo* info = flow.state(txn.state);
  assert(info != nullptr);
  StateChangedEvent e;
  fill_event(e, flow, info, txn, previous_state, cause, attention);
  return e;
}

void record_attention(Transaction& txn, std::string_view code, std::int64_t at_ms) {
  txn.attention = Attention{std::string(code), txn.version, format_time(at_ms)};
}

void record_rejection(Transaction& txn, const Input& input, std::string reason) {
  ++txn.rejected_inputs;
  txn.last_rejection = Rejection{input.input_id, input.name, txn.state, std::move(reason), format_time(input.at_ms)};
}

Transaction start(const Flow& flow, const Input& create, Effects& effects) {
  const auto& cmd = create.data;
  Transaction t;
  t.txn_id = create.txn_id;
  t.merchant = get_string(cmd, "merchant");
  t.reference = get_string(cmd, "reference");
  t.provider = std::string(flow.provider);
  t.flow = std::string(flow.name);
  if (auto* amount = get_object(cmd, "amount")) {
    t.amount.value = get_int(*amount, "value");
    t.amount.currency = get_string(*amount, "currency");
  }
  t.state = std::string(flow.initial());
  t.version = 1;
  t.created_at_ms = create.at_ms;
  t.updated_at_ms = create.at_ms;
  t.provider_refs.reserve(4);  // every flow keeps a few of the provider's ids
  // What the flow needs later to call the provider; card data never reaches here in clear.
  // Copied into the default memory (SharedJson): the command may sit in memory of its own (the
  // processor parses each input into one), which the transaction must neither keep nor share.
  if (auto* v = cmd.if_contains("customer")) t.customer.emplace(*v);
  if (auto* v = cmd.if_contains("description")) t.description.emplace(*v);
  if (auto* v = cmd.if_contains("metadata")) t.metadata.emplace(*v);
  effects.events.reserve(effects.events.size() + 2);  // this event and the create row's, in the same batch
  fill_event(effects.events.emplace_back(), flow, &flow.states.front(), t, {}, create);
  return t;
}

namespace {

StepResult step_rows(const Flow& flow, Transaction& txn, const Input& input, const FlowSettings& settings,
                     Effects& effects) {
  const StateInfo* current = flow.state(txn.state);
  if (current != nullptr && current->terminal) return step_final(flow, txn, input, settings, effects);

  StepContext ctx(txn, input, settings, effects);
  const std::string_view on = row_input_name(input);
  // The first row of the transaction's state, for this input, whose guard holds.
  const Row* found = nullptr;
  const StateInfo* target = nullptr;
  if (current != nullptr && flow.indexed()) {
    for (const std::uint16_t i : flow.rows_from(*current)) {
      const Row& row = flow.rows[i];
      if (row.on != on || (row.guard != nullptr && !row.guard(ctx))) continue;
      found = &row;
      target = flow.row_target(i);
      break;
    }
  } else {
    for (const Row& row : flow.rows) {
      if (row.from != txn.state || row.on != on || (row.guard != nullptr && !row.guard(ctx))) continue;
      found = &row;
      target = flow.state(row.to);
      break;
    }
  }
  if (found != nullptr) {
    const Row& row = *found;
    const std::size_t first_call = effects.calls.size();
    const std::string_view previous = row.from;  // == txn.state, and lives as long as the flow
    const bool changes_state = row.to != row.from;
    if (changes_state) {
      txn.reason.reset();
      txn.next_action.reset();
    }
    if (row.action != nullptr) row.action(ctx);
    txn.updated_at_ms = input.at_ms;
    if (changes_state || row.announces()) {
      txn.state.assign(row.to);
      ++txn.version;
      const StateInfo* next = target;
      assert(next != nullptr);
      if (next != nullptr && next->terminal) {
        // Nothing may fire once the outcome is final.
        effects.timers.clear();
        effects.cancelled_timers.assign(1, "*");
        txn.settled_from = previous;  // where a later verification asks from
        // Who decided: a final state reached on corridor's own clock gives way to the provider's word.
        if (row.provisional()) {
          txn.settled_by = "corridor";
        } else {
          txn.settled_by.clear();
        }
      }
      // An unknown outcome always needs a person, whichever row led there.
      if (ctx.attention.empty() && changes_state && next != nullptr && next->status == Status::unknown)
        ctx.flag(attention::kOutcomeUnknown);
      if (!ctx.attention.empty()) record_attention(txn, ctx.attention, input.at_ms);
      fill_event(effects.events.emplace_back(), flow, next, txn, previous, input, ctx.attention);
    }
    if (asks_reconcile(input)) record_reconcile_ask(row, previous, ctx, first_call);
    record_reconcile_answer(txn, input);
    schedule_janitor(flow, ctx, changes_state);  // bookkeeping and timers only: the event is unaffected
    return {Outcome::applied, &row, {}};
  }

  record_reconcile_answer(txn, input);  // "not known here" may have no row of its own
  if (input.kind == InputKind::timer) return {Outcome::stale_timer, nullptr, {}};
  std::string reason = "no transition from '" + txn.state + "' on '" + input.name + "'";
  record_rejection(txn, input, reason);
  return {Outcome::rejected, nullptr, std::move(reason)};
}

}  // namespace

StepResult step(const Flow& flow, Transaction& txn, const Input& input, const FlowSettings& settings,
                Effects& effects) {
  StepResult r = step_rows(flow, txn, input, settings, effects);
  // The provider ids' text, made once however many ids the step kept: the transaction leaves the
  // step with it made, for the threads that only read it (ProviderRefs::json).
  (void)txn.provider_refs.json();
  return r;
}

}  // namespace corridor
