#pragma once
// The state-machine framework. A flow is a transition table that reads like its seed document:
//   from state × input [guard] → to state / action      (cite: the seed step)
// Rows are tried in order; the first whose state, input name and guard match is applied. An input
// with no row changes nothing but the transaction's rejection record. Terminal states absorb
// everything. A step is pure: no I/O, no clock (time is the input's `at`), deterministic ids.
#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "statemachines/domain.hpp"

namespace corridor {

class StepContext {
 public:
  StepContext(Transaction& txn, const Input& input, const FlowSettings& settings, Effects& effects)
      : txn(txn), input(input), settings(settings), effects(effects) {}
  StepContext(const StepContext&) = delete;
  StepContext& operator=(const StepContext&) = delete;
  ~StepContext() {
    for (ReadInput* r = reads_; r != nullptr;) {
      ReadInput* next = r->next;
      r->~ReadInput();
      r = next;
    }
  }

  Transaction& txn;
  const Input& input;
  const FlowSettings& settings;
  Effects& effects;

  // The input's data read into the struct its adapter (or the executor) built it from: read once per
  // step, however many guards and actions ask, and valid for the whole step.
  template <class T>
  const T& input_as() const {
    for (const ReadInput* r = reads_; r != nullptr; r = r->next)
      if (r->type == type_of<T>()) return static_cast<const Read<T>*>(r)->value;
    auto* read = ::new (arena_.allocate(sizeof(Read<T>), alignof(Read<T>))) Read<T>(input.data);
    read->next = reads_;
    reads_ = read;
    return read->value;
  }

  // A fresh id, unique within the transaction and the same on every replay: txn_id:seq:what.
  std::string next_id(std::string_view what);
  // Asks the executor to call the provider. Returns the call id (the idempotency key): the call's own,
  // valid until the step asks for another call.
  const std::string& call(std::string_view op, CallParams params);
  // Re-issues a call under an id handed out before: same idempotency key, so the provider answers
  // with the first outcome instead of acting twice. An empty id gets a fresh one, as call() does.
  void call_again(std::string call_id, std::string_view op, CallParams params);
  void set_timer(std::string_view name, std::int64_t due_at_ms);
  void cancel_timer(std::string_view name);
  void set_reason(std::string_view reason) { txn.reason = std::string(reason); }
  // Marks the change this step makes as needing a person's attention (an attention:: code): the
  // event carries it, the transaction keeps it (Transaction::attention), and a metric counts it.
  void flag(std::string_view attention_code) { attention = attention_code; }

  std::string_view attention;  // set by flag()

 private:
  // The inputs read so far, one node each, in memory kept on the step's stack (the heap past it):
  // nodes never move, so the references input_as handed out stay valid; ~StepContext ends them.
  struct ReadInput {
    explicit ReadInput(const void* t) : type(t) {}
    virtual ~ReadInput() = default;
    const void* type;
    ReadInput* next = nullptr;
  };
  template <class T>
  struct Read final : ReadInput {
    explicit Read(const json::object& data) : ReadInput(type_of<T>()), value(fields::from_object<T>(data)) {}
    T value;
  };
  template <class T>
  static const void* type_of() {
    static const char id = 0;
    return &id;
  }
  mutable ReadInput* reads_ = nullptr;
  alignas(std::max_align_t) std::byte buffer_[1024];
  mutable std::pmr::monotonic_buffer_resource arena_{buffer_, sizeof buffer_};
};

using Guard = bool (*)(const StepContext&);
using Action = void (*)(StepContext&);

// What a row is, beyond its move (Row::flags).
enum RowFlag : unsigned {
  // A row that stays in its state but changes what consumers account for (a further partial
  // refund): it still bumps the version and publishes an event, with previous_state = state.
  kAnnounces = 1u << 0,
  // A row into a final state that corridor decides on its own clock (a deadline, a timeout, a budget
  // of checks spent) rather than on the provider's word. The outcome is provisional: the provider's
  // later definitive word replaces it (docs/events.md, "The provider's word is final").
  kProvisional = 1u << 1,
};

struct Row {
  std::string_view from;
  std::string_view on;          // input name
  std::string_view guard_name;  // "" when unguarded; shown in diagrams
  Guard guard = nullptr;
  std::string_view to;          // equal to `from` for a row that stays (no event)
  Action action = nullptr;
  std::string_view cite;        // the seed step the row implements
  unsigned flags = 0;           // RowFlag bits

  bool announces() const { return (flags & kAnnounces) != 0; }
  bool provisional() const { return (flags & kProvisional) != 0; }
};

struct StateInfo {
  std::string_view name;
  Status status;
  bool terminal = false;
};

struct Flow {
  std::string_view id;        // "novasend.payin"
  std::string_view provider;  // "novasend"
  std::string_view name;      // "payin"
  std::string_view create_command = "payment.create";
  std::vector<std::string_view> required_fields;  // dotted paths the create command must carry
  std::vector<StateInfo> states;                  // the first is the initial state
  std::vector<Row> rows;
  // Reads a transaction's stored fields into the flow's struct: bind_data<TheFlowsData> (flow_data.hpp).
  void (*bind)(Transaction&) = nullptr;

  const StateInfo* state(std::string_view name) const;
  std::string_view initial() const { return states.front().name; }

  // Files the rows under the state they leave, in table order, so that a step looks only at the rows
  // of its transaction's state. Called once the table is final (the flows' make_flow); changing the
  // states or rows afterwards needs another call. A flow never indexed is scanned whole.
  void index();
  bool indexed() const { return !rows_from_.empty(); }
  // The indexes in `rows` of the rows leaving `s` (a state of this flow), in table order.
  const std::vector<std::uint16_t>& rows_from(const StateInfo& s) const {
    return rows_from_[static_cast<std::size_t>(&s - states.data())];
  }
  // The state row `i` leads to (null when the table names none).
  const StateInfo* row_target(std::size_t i) const { return row_to_[i] == kNoState ? nullptr : &states[row_to_[i]]; }

 private:
  // Indexes, not pointers, so that a copy of the flow reads its own table.
  static constexpr std::uint16_t kNoState = 0xffff;
  std::vector<std::vector<std::uint16_t>> rows_from_;  // by state index
  std::vector<std::uint16_t> row_to_;                  // by row index: the state's index, or kNoState
};

template <class T>
void bind_data(Transaction& t) {
  t.data.as<T>();
}

enum class Outcome {
  applied,      // a row matched (or, in a final state, the provider's later word was recorded)
  rejected,     // no row: recorded on the transaction, nothing else changes; a command to a final
                // transaction is refused without being recorded
  absorbed,     // the transaction is in a terminal state and the input tells nothing new
  stale_timer,  // a timer fired after its state moved on: ignored
};
std::string_view to_string(Outcome o);

struct StepResult {
  Outcome outcome = Outcome::applied;
  const Row* row = nullptr;
  std::string reason;  // for rejected inputs
};

// A new transaction in the flow's initial state, version 1, and its first event in `effects`.
// `create` is the create command's input; its data is the command JSON.
Transaction start(const Flow& flow, const Input& create, Effects& effects);

StepResult step(const Flow& flow, Transaction& txn, const Input& input, const FlowSettings& settings,
                Effects& effects);

// The transaction.state_changed event of txn's current version. `previous_state` must be a name
// from the flow's table (or empty, for the first event): the event keeps a view of it, as of
// `attention` (empty or an attention:: code).
StateChangedEvent state_changed_event(const Flow& flow, const Transaction& txn, std::string_view previous_state,
                                      const Input& cause, std::string_view attention = {});

// Keeps `code` as the transaction's attention at its current version.
void record_attention(Transaction& txn, std::string_view code, std::int64_t at_ms);

// Counts `input` as refused by the transaction and keeps it as its last_rejection, with `reason`.
void record_rejection(Transaction& txn, const Input& input, std::string reason);

}  // namespace corridor
