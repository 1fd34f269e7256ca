#pragma once
// The values a flow works on: inputs, transactions, effects. All plain data, all serialisable, so a
// step is a pure function (Transaction, Input) -> (Transaction, Effects).
#include <boost/container/small_vector.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cassert>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "statemachines/flow_data.hpp"
#include "statemachines/money.hpp"
#include "core/result.hpp"

namespace corridor {

namespace json = boost::json;

// The canonical, provider-independent status every consumer can rely on (DESIGN.md section 3).
enum class Status {
  pending,
  requires_action,
  processing,
  succeeded,
  failed,
  declined,
  cancelled,
  expired,
  refunded,
  partially_refunded,
  unknown,
  // The provider reports another amount than the one asked: money moved, but not as requested. Final;
  // the event carries both amounts and an operator decides.
  amount_mismatch,
};
inline constexpr Status kLastStatus = Status::amount_mismatch;
std::string_view to_string(Status s);

// Why a change needs a person's attention (the event's `attention`, and a metric per code).
namespace attention {
// The provider's definitive outcome replaced a final state corridor had reached on its own clock.
inline constexpr std::string_view kLateOutcome = "late_outcome";
// The provider reported something after corridor's own deadline had made the payment final, that
// is not an outcome yet: corridor asks the provider for the outcome.
inline constexpr std::string_view kLateInput = "late_input";
// The provider contradicts a final outcome it reported itself: corridor keeps the first, never
// applies the second silently.
inline constexpr std::string_view kDisputed = "disputed";
inline constexpr std::string_view kAmountMismatch = "amount_mismatch";
// The outcome is not known (no answer, a retry budget spent): reconciliation follows.
inline constexpr std::string_view kOutcomeUnknown = "outcome_unknown";
}  // namespace attention

// Where an input came from. Every input reaches the processor through corridor.inputs.
enum class InputKind { command, provider_response, webhook, timer };
std::string_view to_string(InputKind k);
Result<InputKind> input_kind_from_string(std::string_view s);

struct Input {
  std::string input_id;  // unique: deduplicates redelivery (command id, call id, webhook id, timer id)
  std::string txn_id;
  InputKind kind = InputKind::command;
  std::string name;      // "payment.create", "session.created", "payin.confirmed", "timer.poll", ...
  std::int64_t at_ms = 0;  // when it happened: the only time a step ever sees
  json::object data;
  // Commands: the SHA-256 (hex) of the command as sent, its sensitive values by their keyed digest
  // (the router's). The same input id with another digest is another command reusing the id.
  std::string digest{};
};

// The data of a `call.failed` input, as the executor writes it: the call got no answer its adapter
// could read, or was never sent. The optional flags are written only when they say something.
struct CallFailed {
  std::string op;
  std::string error;  // for a person: redacted, at most 1,000 bytes
  std::string code;   // the failure's code (core/error.hpp code_text): "adapter.provider_unavailable"
  std::int64_t attempts = 0;
  std::string outcome;            // "unknown": the call may have reached the provider and been acted on
  std::optional<bool> not_found;  // true: the provider does not hold what the call looked up
  std::optional<bool> sent;       // false: no request left corridor (a circuit open, a refusal)
  std::optional<bool> refused;    // true: nothing left and nothing will (the adapter or the vault refuses it)
};
BOOST_DESCRIBE_STRUCT(CallFailed, (), (op, error, code, attempts, outcome, not_found, sent, refused))

// The record on corridor.inputs.
json::object to_json(const Input& in);
// Takes `v` by value: a parsed record moved in gives its data object away instead of copying it.
Result<Input> input_from_json(json::value v);

// What the framework records on a transaction beside the flow's own facts (flow_data.hpp).
// The last change that needed a person's attention (StepContext::flag).
struct Attention {
  std::string code;  // an attention:: code
  std::int64_t version = 0;
  std::string at;    // ISO 8601, when the change happened
};
BOOST_DESCRIBE_STRUCT(Attention, (), (code, version, at))

// The last ask of the provider for the outcome (`transaction.reconcile`, from a command, the janitor
// or a late input) and its answer (statemachines/reconcile.hpp).
struct ReconcileRecord {
  std::string id;        // the input that asked
  std::string by;        // "command", "janitor" or "late_input"
  std::string asked_at;
  std::string state;     // the state asked about
  std::string call_id;   // the status call's answer id, when the ask made one
  std::string answer;    // empty while the call is out; else unchanged, corrected, confirmed, disputed, ...
  std::string note;
  std::string to;        // the state after the answer
  std::string answered_at;

  bool pending() const { return !call_id.empty() && answer.empty(); }
};
BOOST_DESCRIBE_STRUCT(ReconcileRecord, (), (id, by, asked_at, state, call_id, answer, note, to, answered_at))

// The provider contradicted its own final outcome: the input, and the state it leads to.
struct Dispute {
  std::string input_id;
  std::string leads_to;
  std::string at;
};
BOOST_DESCRIBE_STRUCT(Dispute, (), (input_id, leads_to, at))

// A late input announced in a final state corridor decided on its own clock (the last ask it caused).
struct LateInput {
  std::string input_id;
  std::int64_t asked_at_ms = 0;
};
BOOST_DESCRIBE_STRUCT(LateInput, (), (input_id, asked_at_ms))

// A name under which a flow keeps one of the provider's ids: its key in the transaction's
// "provider_refs". Each flow declares its names once, as constants in its header (novasend_refs in
// novasend_payin.hpp, ...), so a misspelt name is a compile error rather than an id never found.
struct RefKey {
  std::string_view name;
};

// JSON text that never changes once made, shared by its copies: a copy counts a reference instead of
// copying the text. What an event keeps of its transaction's provider_refs, next_action and reason:
// the transaction moves on before the event is written, and most of a transaction's events carry
// the same provider_refs.
class SharedText {
 public:
  // Text with static storage (a literal), kept without an allocation.
  static SharedText literal(std::string_view text) { return SharedText(text, {}); }

  SharedText() = default;  // ""
  SharedText(std::string_view text) {
    std::shared_ptr<char[]> owner = std::make_shared_for_overwrite<char[]>(text.size());  // one allocation
    text.copy(owner.get(), text.size());
    view_ = std::string_view(owner.get(), text.size());
    owner_ = std::move(owner);
  }
  SharedText(const std::string& text) : SharedText(std::string_view(text)) {}
  SharedText(const char* text) : SharedText(std::string_view(text)) {}
  // Text of at most `capacity` bytes written in place, in one allocation: `write(begin)` returns the
  // end of what it wrote.
  template <class Write>
  static SharedText written(std::size_t capacity, Write write) {
    std::shared_ptr<char[]> owner = std::make_shared_for_overwrite<char[]>(capacity);
    const char* const end = write(owner.get());
    assert(end >= owner.get() && static_cast<std::size_t>(end - owner.get()) <= capacity);
    const std::string_view view(owner.get(), static_cast<std::size_t>(end - owner.get()));  // before owner moves
    return SharedText(view, std::move(owner));
  }

  std::string_view view() const { return view_; }
  std::size_t size() const { return view_.size(); }
  friend bool operator==(const SharedText& a, const SharedText& b) { return a.view_ == b.view_; }
  friend bool operator==(const SharedText& a, std::string_view b) { return a.view_ == b; }
  friend bool operator==(const SharedText& a, const std::string& b) { return a.view_ == b; }
  friend bool operator==(const SharedText& a, const char* b) { return a.view_ == b; }

 private:
  SharedText(std::string_view view, std::shared_ptr<const char[]> owner) : view_(view), owner_(std::move(owner)) {}
  std::string_view view_;
  std::shared_ptr<const char[]> owner_;  // null for a literal
};

// The ids the provider gave a transaction ("provider_refs"): text by name, in the order each was
// first kept, which is the order the document and the events write them in. Their JSON text is made
// once after ids change, not for each event that carries it.
class ProviderRefs {
 public:
  using Entry = std::pair<std::string, std::string>;

  // "" when the transaction keeps no id under `key`.
  std::string_view get(RefKey key) const { return find(key.name); }
  // Keeps `id` under `key`, in place of the id kept there before. An empty id says nothing (an
  // answer that does not carry it): the id kept stays.
  void set(RefKey key, std::string_view id);
  // By the JSON name: for stored documents, the API, replay and tests (flows use RefKey).
  std::string_view find(std::string_view name) const;
  bool contains(std::string_view name) const { return index_of(name) != kNone; }

  bool empty() const { return entries_.empty(); }
  const std::vector<Entry>& entries() const { return entries_; }
  void reserve(std::size_t n) { entries_.reserve(n); }
  // The bytes boost::json::serialize(to_json(*this)) gives. Made when first asked after a change, so
  // an action that keeps several ids makes it once. A step asks at its end (flow.cpp): the processor
  // hands the transaction to the commit thread while it may still copy it, and both must only read.
  // Outside a step (tests, tools) the first json() after set() makes it, on that thread.
  const SharedText& json() const {
    if (stale_) make_text();
    return text_;
  }
  bool text_made() const { return !stale_; }
  bool operator==(const ProviderRefs& o) const { return entries_ == o.entries_; }

 private:
  friend Result<ProviderRefs> provider_refs_from_json(const json::object& o);
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::size_t index_of(std::string_view name) const;  // kNone when not kept
  void make_text() const;
  std::vector<Entry> entries_;
  mutable SharedText text_ = SharedText::literal("{}");
  mutable bool stale_ = false;  // text_ is not the entries' yet
};
json::object to_json(const ProviderRefs& refs);
// The bytes boost::json::serialize(to_json(refs)) gives.
void append_json(std::string& out, const ProviderRefs& refs);
std::string json_text(const ProviderRefs& refs);
// A stored "provider_refs" object: each value must be text (wrong_type names the first that is not).
Result<ProviderRefs> provider_refs_from_json(const json::object& o);

// What the customer must do for the payment to go on: open a page ("redirect", url), confirm in a
// wallet ("wallet_confirmation", provider), or send money as instructed (type, method,
// payment_reference, amount). Members left empty are not written.
struct NextAction {
  std::string type{};
  std::string url{};
  std::string provider{};
  std::string method{};
  std::string payment_reference{};
  std::optional<Money> amount{};
  bool operator==(const NextAction&) const = default;
};
BOOST_DESCRIBE_STRUCT(NextAction, (), (type, url, provider, method, payment_reference, amount))

// The last input a transaction refused (no row for it, or a row that refused it): the transaction's
// "last_rejection".
struct Rejection {
  std::string input_id{};
  std::string name{};
  std::string state{};
  std::string reason{};
  std::string at{};  // ISO 8601, the input's time
};
BOOST_DESCRIBE_STRUCT(Rejection, (), (input_id, name, state, reason, at))

struct Transaction {
  std::string txn_id;
  std::string merchant;
  std::string reference;
  std::string provider;
  std::string flow;  // the flow's own name ("payin"); the flow id is provider + "." + flow
  Money amount;
  std::string state;
  std::int64_t version = 0;  // bumped by each state change; the event of a change carries it
  std::int64_t seq = 0;      // counts ids handed out by steps (calls, timers): deterministic ids
  ProviderRefs provider_refs;
  std::optional<NextAction> next_action;  // null in JSON when there is none
  std::optional<std::string> reason;      // why the last change happened; null in JSON when unsaid
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::int64_t rejected_inputs = 0;
  std::optional<Rejection> last_rejection;  // null in JSON when none

  // ---- the framework's bookkeeping: stored inside "data", before the flow's own fields ----------
  // From the create command: what the flow needs later to call the provider (never card data).
  // Never changed once kept: shared by the transaction's copies and the calls that send it on.
  std::optional<SharedJson> customer;
  std::optional<SharedJson> description;
  std::optional<SharedJson> metadata;
  std::optional<std::int64_t> resends;          // calls re-sent under an earlier id (StepContext::call_again)
  std::optional<std::int64_t> poll_attempt;     // flow_support.hpp: schedule_poll
  std::optional<std::int64_t> retry_attempt;    // flow_support.hpp: schedule_retry
  std::optional<std::int64_t> janitor_attempt;  // reconcile.hpp: schedule_janitor
  std::string settled_from;  // the state a final state was reached from: where a later verification asks from
  std::string settled_by;    // "corridor": a provisional final state, reached on corridor's own clock
  std::optional<std::int64_t> refunded_amount;  // refund flows: the running total, in amount.currency
  std::optional<Money> provider_amount;         // the amount the provider reported, when it differs
  std::optional<Attention> attention;
  std::optional<ReconcileRecord> reconcile;
  std::optional<Dispute> dispute;
  std::optional<LateInput> late_input;

  FlowData data;  // the flow's own facts (fees, deadlines, ids of calls, what the provider said)

  std::string flow_id() const { return provider + "." + flow; }
  bool provisional() const { return settled_by == "corridor"; }
};
// The members written inside the document's "data" (the rest of the document is written by hand).
BOOST_DESCRIBE_STRUCT(Transaction, (),
                      (customer, description, metadata, resends, poll_attempt, retry_attempt, janitor_attempt,
                       settled_from, settled_by, refunded_amount, provider_amount, attention, reconcile, dispute,
                       late_input))

json::object to_json(const Transaction& t);
// The document's "data": the framework's bookkeeping, then the flow's own fields.
json::object data_json(const Transaction& t);
// The bytes boost::json::serialize(to_json(t)) gives, written straight from `t` (the store writes
// one per transaction a batch changes).
std::string serialize(const Transaction& t);
// Takes `v` by value: a parsed document moved in gives its objects away instead of copying them.
Result<Transaction> transaction_from_json(json::value v);

// A provider call's parameters: the described struct a flow built (statemachines/<flow>.cpp), or a
// JSON object (read back from the store, or written out by hand). Either way they read as one JSON
// object and write the same text. A struct is built once, shared by the copies of the call and never
// changed, so a step pays for its members only, not for a key and an allocation per member; the
// store writes its text straight from it, and an adapter reads the object.
class CallParams {
 public:
  CallParams() = default;
  CallParams(json::object o) : object_(std::move(o)) {}
  CallParams(std::initializer_list<std::pair<json::string_view, json::value_ref>> members) : object_(members) {}
  template <class T>
    requires fields::described<T>
  CallParams(T typed) : typed_(std::make_shared<const Typed<T>>(std::move(typed))) {}

  // The parameters as an object: a struct's members as fields::to_object gives them.
  json::object object() const { return typed_ ? typed_->object() : object_; }
  // The text of the member `name` ("" when absent or not text), without building the object.
  std::string_view text(std::string_view name) const;
  // The object itself, to change it (the executor opens sealed values, the processor attaches the
  // card): a struct becomes its object first.
  json::object& edit();
  json::value& operator[](std::string_view name) { return edit()[name]; }
  // The JSON text, appended to `out`.
  void write(std::string& out) const;
  bool operator==(const json::object& o) const { return object() == o; }

 private:
  struct Box {
    virtual ~Box() = default;
    virtual json::object object() const = 0;
    virtual std::string_view text(std::string_view name) const = 0;
    virtual void write(std::string& out) const = 0;
  };
  template <class T>
  struct Typed final : Box {
    explicit Typed(T v) : value(std::move(v)) {}
    json::object object() const override { return fields::to_object(value); }
    std::string_view text(std::string_view name) const override {
      std::string_view found;
      boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>([&](auto d) {
        using Member = std::remove_cvref_t<decltype(value.*d.pointer)>;
        if (name != d.name) return;
        if constexpr (std::is_same_v<Member, std::string>) found = value.*d.pointer;
        if constexpr (std::is_same_v<Member, std::optional<std::string>>)
          if (const auto& text = value.*d.pointer) found = *text;
      });
      return found;
    }
    void write(std::string& out) const override { fields::write(out, value); }
    T value;
  };
  std::shared_ptr<const Box> typed_;
  json::object object_;
};

// A provider HTTP call the executor must make. Self-contained: the executor needs nothing else.
struct ProviderCall {
  std::string call_id;  // also the provider idempotency key and the input_id of the call's result
  std::string provider;
  std::string op;       // "create_session", "check_status", ...
  CallParams params;
  // The input id of the call's answer; empty: call_id. A call re-sent under an id handed out before
  // keeps its idempotency key but needs an answer id of its own, or its answer would be taken for a
  // duplicate of the first send's (a call.failed, say) and dropped.
  std::string answer_id{};

  const std::string& answer_input_id() const { return answer_id.empty() ? call_id : answer_id; }
};
json::object to_json(const ProviderCall& c);
// The bytes boost::json::serialize(to_json(c)) gives, the parameters written straight from their struct.
std::string serialize(const ProviderCall& c);
Result<ProviderCall> provider_call_from_json(const json::value& v);

// A durable timer. Setting a timer replaces the one of the same name; when due, the scheduler feeds
// an input named `name` with `at` = `due_at_ms`.
struct TimerSet {
  std::string name;
  std::int64_t due_at_ms = 0;
  std::string input_id;
};

// The transaction.state_changed event (DESIGN.md section 3) as plain data. A step only fills the
// struct; the processor serialises it once, and those bytes go to both the outbox and the history.
// (A json::object built per event was most of a step: bench_steps' callgrind profile, 73%.)
struct StateChangedEvent {
  struct Cause {
    InputKind kind = InputKind::command;
    std::string input_id;
  };

  std::string txn_id;
  std::string merchant;
  std::string reference;
  // Names from the flow's table (provider, flow, states): they live as long as the flow, and every
  // flow is a static of the registry.
  std::string_view provider;
  std::string_view flow;
  std::int64_t version = 0;
  std::string_view state;
  std::string_view previous_state;  // empty for the first event; null in JSON
  Status status = Status::unknown;
  Money amount;
  std::optional<std::int64_t> amount_refunded;  // in amount.currency; refund flows keep the running total
  std::optional<Money> provider_amount;         // what the provider reported, when it differs from `amount`
  // provider_refs, next_action and reason as the transaction held them, as JSON text: the transaction
  // moves on before the processor writes the event, so the event keeps them, as the text that gets
  // written. provider_refs' text is the transaction's own, shared; null is a literal.
  SharedText provider_refs_json = SharedText::literal("{}");
  SharedText next_action_json = SharedText::literal("null");
  SharedText reason_json = SharedText::literal("null");
  std::string_view attention;  // empty, or one of the attention:: codes
  Cause cause;
  std::int64_t occurred_at_ms = 0;

  // "txn_id:version": derived, so it is written at serialisation rather than built in every step.
  std::string event_id() const;
};

// The event's JSON text: the keys in the order of DESIGN.md's example, amount_refunded and
// provider_amount after amount and attention after reason when present, and the bytes
// boost::json::serialize(to_json(e)) would give.
std::string serialize(const StateChangedEvent& e);
void append_json(std::string& out, const StateChangedEvent& e);

// Appends the bytes boost::json::serialize(v) gives, without its serializer's setup per value.
void append_json(std::string& out, const json::value& v);
void append_json(std::string& out, const json::object& o);
std::string json_text(const json::value& v);
std::string json_text(const json::object& o);

// The same event as a JSON object, for readers that look fields up by name.
json::object to_json(const StateChangedEvent& e);

// A step's output. A step makes at most one event (two when a transaction starts: its creation and
// the create row's), one or two calls and a timer or two, so each list keeps that many in place
// before it allocates.
struct Effects {
  using Names = boost::container::small_vector<std::string, 1>;

  boost::container::small_vector<StateChangedEvent, 2> events;  // in version order
  boost::container::small_vector<ProviderCall, 1> calls;
  boost::container::small_vector<TimerSet, 1> timers;
  Names cancelled_timers;  // "*": every timer of the transaction

  // Sets `t`, in place of a timer of its name set or cancelled earlier in the step.
  void set_timer(TimerSet t);
  // Cancels the timer `name`, and drops one set earlier in the step.
  void cancel_timer(std::string_view name);
};

// When the janitor reconciles a transaction left in doubt (config `janitor`): delays after entering
// a state of status unknown, or pending / requires_action / processing; the last delay repeats.
// Empty lists: no janitor.
struct JanitorSchedule {
  std::vector<std::int64_t> unknown_ms;
  std::vector<std::int64_t> pending_ms;
};

// Per-flow settings read from the configuration (TTLs, poll intervals). Replays use the same file.
class FlowSettings {
 public:
  JanitorSchedule janitor;

  void set(std::string key, std::int64_t value) { values_[std::move(key)] = value; }
  std::int64_t get(std::string_view key, std::int64_t fallback) const {
    auto it = values_.find(key);
    return it == values_.end() ? fallback : it->second;
  }

 private:
  std::map<std::string, std::int64_t, std::less<>> values_;
};

// JSON helpers that never throw: the flows read provider data through these.
std::string_view get_string(const json::object& o, std::string_view key);
std::int64_t get_int(const json::object& o, std::string_view key, std::int64_t fallback = 0);
bool get_bool(const json::object& o, std::string_view key, bool fallback = false);
const json::object* get_object(const json::object& o, std::string_view key);

// Whether every number in `v` is finite. A number written past a double's range (1e400) parses as an
// infinity, which Boost.JSON writes back as `Infinity`, no JSON at all: such a value is refused where
// it enters (a command, a notification, a provider's answer, a record on corridor.inputs), never kept.
bool finite_numbers(const json::value& v);

}  // namespace corridor
