// The processor. One file: a batch's whole life is here, in order: BatchProcessor steps its inputs,
// the Committer commits it on its own thread while the next batch is stepped, and Processor reads
// corridor.inputs and hands batches between the two.
#include "engine/pipeline/processor.hpp"

#include <cassert>

#include <algorithm>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <pthread.h>
#include <unistd.h>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <utility>
#include <unordered_set>

#include "engine/pipeline/commands.hpp"
#include "engine/pipeline/errc.hpp"
#include "engine/store/errc.hpp"
#include "engine/pipeline/metric_labels.hpp"
#include "engine/pipeline/record_headers.hpp"
#include "engine/io/kafka.hpp"
#include "adapters/registry.hpp"
#include "statemachines/fields.hpp"
#include "statemachines/sensitive.hpp"
#include "statemachines/timefmt.hpp"

namespace corridor {

namespace {

bool same_create(const Transaction& t, const Input& in) {
  const json::object* a = get_object(in.data, "amount");
  return a != nullptr && get_int(*a, "value") == t.amount.value && get_string(*a, "currency") == t.amount.currency &&
         get_string(in.data, "provider") == t.provider && get_string(in.data, "flow") == t.flow;
}

// ---- The journal: what the timeline draws beside the events (store.hpp JournalRow) ---------------
// One row per applied input, naming the calls and timers it asked for. Names, ids, an outcome and a
// few safe fields: never a card (a command's is sealed in its data, and only `amount` and `command_id`
// are read from it), never a provider's body (an answer's data is not read, but a call.failed's code
// and attempts). Written by hand: it is on the processor's path for every input.
std::string_view journal_kind(InputKind k) {
  switch (k) {
    case InputKind::command: return "command";
    case InputKind::provider_response: return "answer";
    case InputKind::webhook: return "webhook";
    case InputKind::timer: return "timer";
  }
  return "input";
}

void append_field(std::string& out, std::string_view key, std::string_view value) {
  out += ',';
  append_json_string(out, key);
  out += ':';
  append_json_string(out, value);
}

JournalRow journal_row(const Input& in, const StepResult& r, const Transaction& txn, const Effects& effects) {
  std::string d = "{\"input_id\":";
  d.reserve(256);
  append_json_string(d, in.input_id);
  append_field(d, "result", to_string(r.outcome));
  append_field(d, "state", txn.state);
  if (in.kind == InputKind::command) {
    if (auto id = get_string(in.data, "command_id"); !id.empty()) append_field(d, "command_id", redact_bounded(id, 128));
    if (const json::object* a = get_object(in.data, "amount")) {
      d += ",\"amount\":{\"value\":" + std::to_string(get_int(*a, "value")) + ",\"currency\":";
      append_json_string(d, redact_bounded(get_string(*a, "currency"), 8));
      d += '}';
    }
  } else if (in.kind == InputKind::provider_response && in.name == "call.failed") {
    append_field(d, "op", redact_bounded(get_string(in.data, "op"), 64));
    append_field(d, "code", redact_bounded(get_string(in.data, "code"), 64));
    d += ",\"attempts\":" + std::to_string(get_int(in.data, "attempts"));
    if (get_string(in.data, "outcome") == "unknown") append_field(d, "outcome", "unknown");
  }
  if (r.outcome == Outcome::rejected) append_field(d, "reason", redact_bounded(r.reason, 300));
  if (!effects.calls.empty()) {
    d += ",\"calls\":[";
    for (const auto& c : effects.calls) {
      if (d.back() == '}') d += ',';
      d += "{\"op\":";
      append_json_string(d, c.op);
      append_field(d, "call_id", c.call_id);
      append_field(d, "answer_id", c.answer_input_id());
      d += '}';
    }
    d += ']';
  }
  if (!effects.timers.empty()) {
    d += ",\"timers\":[";
    for (const auto& t : effects.timers) {
      if (d.back() == '}') d += ',';
      d += "{\"name\":";
      append_json_string(d, t.name);
      append_field(d, "due_at", format_time(t.due_at_ms));
      d += '}';
    }
    d += ']';
  }
  d += '}';
  return {in.txn_id, in.at_ms, std::string(journal_kind(in.kind)), in.name, std::move(d)};
}

// Each transaction.state_changed event of a batch with the traceparent it carries, its transaction's
// (a rejection's event carries the rejected command's own, and is not one of them).
template <typename F>
void for_each_event_trace(const StoreBatch& b, F f) {
  for (const OutboxRow& row : b.outbox) {
    if (row.topic != "events" || header_value(row.headers, "ce_type") != "transaction.state_changed") continue;
    if (const std::string_view trace = header_value(row.headers, "traceparent"); !trace.empty()) f(row.key, trace);
  }
}

}  // namespace

// The batch under construction: the transactions it touched and their ordered timer operations.
struct BatchProcessor::Pending {
  std::map<std::string, Transaction> txns;  // ordered: the same batch always writes in the same order
  std::map<std::pair<std::string, std::string>, std::optional<TimerRow>> timers;  // nullopt: cancelled
  std::vector<std::string> cancel_all;
  StoreBatch batch;
};

namespace {

// A record whose input made its flow throw: where it is in the batch, and what was thrown.
struct PoisonedInput {
  std::size_t index;
  std::string what;
};

}  // namespace

BatchProcessor::BatchProcessor(Store& store, const Config& config, StepFn step)
    : store_(store), config_(config), step_(step) {
  for (const auto& [name, _] : config.providers) settings_[name] = config.flow_settings(name);
}

Result<StoreBatch> BatchProcessor::process(const std::vector<InputRecord>& records, BatchStats& stats,
                                           const StoreBatch* committing) {
  // The batch is made again from the store without each input that fails, so the inputs before it in
  // the batch are not left half applied (a step changes its transaction in place).
  std::map<std::size_t, std::string> poisoned;
  for (;;) {
    BatchStats made;
    try {
      auto batch = process_once(records, made, committing, poisoned);
      stats = made;
      return batch;
    } catch (const PoisonedInput& bad) {
      poisoned.emplace(bad.index, bad.what);
    }
  }
}

Result<StoreBatch> BatchProcessor::process_once(const std::vector<InputRecord>& records, BatchStats& stats,
                                                const StoreBatch* committing,
                                                const std::map<std::size_t, std::string>& poisoned) {
  Pending p;
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> next_offsets;
  std::unordered_map<std::string, std::string> seen;  // input id -> digest, this batch
  std::int64_t latest_input_ms = 0;

  const auto payload_limit = static_cast<std::size_t>(config_.limits.deadletter_payload_bytes);
  auto deadletter = [&](std::string_view reason, const InputRecord& rec, std::int64_t at_ms) {
    json::object ctx{{"topic", rec.topic}, {"partition", rec.partition}, {"offset", rec.offset}};
    std::string body =
        boost::json::serialize(deadletter_record("processor", reason, rec.value, at_ms, payload_limit, ctx));
    RecordHeaders headers = deadletter_headers("processor", body, format_time(at_ms), "",
                                               valid_traceparent(rec.traceparent).value_or(""));
    p.batch.outbox.push_back({0, "deadletter", "", std::move(body), std::move(headers), rec.partition});
    ++stats.deadlettered;
  };

  // Every record is parsed first, so the store is read once for the whole batch rather than twice
  // per input; what cannot be parsed is dead-lettered in its place below, keeping the outbox order.
  std::vector<Result<Input>> parsed;
  parsed.reserve(records.size());
  std::vector<std::string> input_ids, txn_ids;
  for (const InputRecord& rec : records) {
    if (rec.value.size() > static_cast<std::size_t>(config_.limits.input_bytes)) {
      parsed.push_back(fail(pipeline_errc::too_large, "input of " + std::to_string(rec.value.size()) +
                                                         " bytes is larger than limits.input_bytes (" +
                                                         std::to_string(config_.limits.input_bytes) + ")"));
      continue;
    }
    boost::system::error_code ec;
    // Each input is parsed into memory of its own, taken in a few blocks and given back whole when the
    // input and whatever was built from it are gone, instead of an allocation per key and string.
    json::value v = boost::json::parse(
        rec.value, ec, boost::json::make_shared_resource<boost::json::monotonic_resource>(2 * rec.value.size() + 512));
    if (ec) {
      parsed.push_back(fail(pipeline_errc::not_json, "input is not valid JSON: " + ec.message()));
      continue;
    }
    if (!finite_numbers(v)) {
      parsed.push_back(fail(pipeline_errc::number_out_of_range, "input holds a number beyond a double's range"));
      continue;
    }
    auto in = input_from_json(std::move(v));
    if (!in) in = fail(pipeline_errc::invalid_record, "invalid input: " + in.error().message);
    if (in) {
      input_ids.push_back(in->input_id);
      txn_ids.push_back(in->txn_id);
    }
    parsed.push_back(std::move(in));
  }
  // The batch still committing is as good as applied: its input ids are processed and its
  // transactions are the newest (copied: that batch is being written from).
  std::unordered_map<std::string_view, const Transaction*> committing_txns;
  std::map<std::string, std::string> known_traces;  // txn_id -> the traceparent its creating command brought
  std::vector<std::size_t> traced;                  // the outbox rows of events, which carry it
  auto processed = store_.processed_among(input_ids);
  if (!processed) return processed.error();
  if (committing != nullptr) {
    for (const auto& done : committing->processed_inputs) processed->insert_or_assign(done.input_id, done.digest);
    for (const auto& t : committing->transactions) committing_txns.emplace(t.txn_id, &t);
    known_traces.insert(committing->traceparents.begin(), committing->traceparents.end());
    for_each_event_trace(*committing,
                         [&](const std::string& txn_id, std::string_view trace) { known_traces.try_emplace(txn_id, trace); });
  }
  std::vector<std::string> unknown;
  std::map<std::string, Transaction> kept;
  for (const auto& id : txn_ids) {
    if (kept.contains(id)) continue;
    const auto committing_txn = committing_txns.find(id);
    if (committing_txn != committing_txns.end()) kept.emplace(id, *committing_txn->second);
    for (auto* generation : {&recent_, &older_}) {
      if (auto it = generation->find(id); it != generation->end()) {
        if (!kept.contains(id)) kept.emplace(id, std::move(it->second));
        generation->erase(it);  // a copy older than the committing batch's goes too
      }
    }
    if (!kept.contains(id)) unknown.push_back(id);
  }
  auto stored = store_.load_many(unknown);
  if (!stored) return stored.error();
  stored->merge(kept);

  for (std::size_t i = 0; i < records.size(); ++i) {
    const InputRecord& rec = records[i];
    next_offsets[{rec.topic, rec.partition}] = rec.offset + 1;
    if (!parsed[i]) {
      deadletter(parsed[i].error().message, rec, rec.timestamp_ms);
      continue;
    }
    if (auto bad = poisoned.find(i); bad != poisoned.end()) {
      deadletter("the flow failed on this input (" + bad->second + "): not applied", rec, rec.timestamp_ms);
      continue;
    }
    try {  // a flow that throws on this input: see process()
      Input& in = *parsed[i];
      // The executor's answer to a call (its input id is the call's answer id): the call row goes with
      // the batch that consumes it, a repeated answer included, instead of in a commit of its own.
      if (in.kind == InputKind::provider_response) p.batch.calls_completed.push_back(in.input_id);

      const bool is_command = in.kind == InputKind::command;
      // The flow a rejection is about (CloudEvents' ce_source): the command's until its transaction is found.
      std::string source_flow;
      if (!get_string(in.data, "provider").empty() && !get_string(in.data, "flow").empty())
        source_flow = std::string(get_string(in.data, "provider")) + "." + std::string(get_string(in.data, "flow"));
      // `rejection_id` names the rejection's event (event_id "rejected:<it>"): the input id, unless
      // several commands share that id. A rejection is traced by the rejected command's own trace.
      auto reject_command = [&](std::string reason, std::string_view rejection_id = {}) {
        CommandRejection r{std::move(reason), std::string(get_string(in.data, "command_id")),
                           std::string(get_string(in.data, "merchant")), std::string(get_string(in.data, "reference")),
                           in.txn_id};
        const std::string_view id = rejection_id.empty() ? std::string_view(in.input_id) : rejection_id;
        const std::string trace = traceparent_or_derived(rec.traceparent, in.txn_id);
        const json::object event = command_rejected_event(r, id, in.at_ms);
        p.batch.outbox.push_back({0, "events", in.txn_id, boost::json::serialize(event),
                                  event_headers(get_string(event, "event_id"), "command.rejected", source_flow,
                                                in.txn_id, get_string(event, "occurred_at"), trace),
                                  rec.partition});
        std::string body =
            boost::json::serialize(deadletter_record("processor", r.reason, boost::json::serialize(to_json(in)), in.at_ms,
                                                     payload_limit, {{"input_id", in.input_id}}));
        RecordHeaders headers = deadletter_headers("processor", body, format_time(in.at_ms), in.txn_id, trace);
        p.batch.outbox.push_back({0, "deadletter", in.txn_id, std::move(body), std::move(headers), rec.partition});
        ++stats.commands_rejected;
        ++stats.deadlettered;
        const CommandLabels labels = command_labels(*config_.registry, in.name, in.data);
        stats.rejections.push_back({labels.type, labels.provider, labels.flow});
      };

      // Applied before (this batch, the one committing, or the store): the same input again is a
      // redelivery; a command under the same id with another digest is another command reusing it.
      const auto seen_here = seen.find(in.input_id);
      const auto seen_before = seen_here == seen.end() ? processed->find(in.input_id) : processed->end();
      if (seen_here != seen.end() || seen_before != processed->end()) {
        const std::string& first = seen_here != seen.end() ? seen_here->second : seen_before->second;
        if (is_command && !in.digest.empty() && !first.empty() && first != in.digest) {
          // Each other command reusing the id is rejected under an event id of its own (its digest's
          // start), which neither the first command's events nor another reuse's can take.
          reject_command("command_id '" + std::string(get_string(in.data, "command_id")) +
                             "' was already used for another command of this transaction: an id names one command",
                         in.input_id + ":" + in.digest.substr(0, 12));
        } else {
          ++stats.duplicates;
        }
        continue;
      }
      seen.emplace(in.input_id, in.digest);
      latest_input_ms = std::max(latest_input_ms, in.at_ms);
      p.batch.processed_inputs.push_back({in.input_id, in.digest, in.at_ms});

      Transaction* txn = nullptr;
      if (auto it = p.txns.find(in.txn_id); it != p.txns.end()) {
        txn = &it->second;
      } else if (auto loaded = stored->find(in.txn_id); loaded != stored->end()) {
        txn = &(p.txns[in.txn_id] = std::move(loaded->second));
        stored->erase(loaded);
      }

      Effects effects;
      const Flow* flow = nullptr;
      const bool creates = is_command && (in.name == "payment.create" || in.name == "payout.create");

      if (creates && txn == nullptr) {
        flow = config_.registry->resolve_flow(get_string(in.data, "provider"), get_string(in.data, "flow"));
        if (flow == nullptr) {
          reject_command("unknown flow for provider '" + std::string(get_string(in.data, "provider")) + "'");
          continue;
        }
        txn = &(p.txns[in.txn_id] = start(*flow, in, effects));
        if (auto trace = valid_traceparent(rec.traceparent)) {
          known_traces[in.txn_id] = *trace;
          p.batch.traceparents.emplace_back(in.txn_id, std::move(*trace));
        }
      } else if (creates) {
        if (same_create(*txn, in)) {
          ++stats.duplicates;  // the same create sent twice: one transaction, no new events
          continue;
        }
        reject_command("idempotency conflict: (merchant, reference) already used for a different payment");
        continue;
      } else if (txn == nullptr) {
        if (is_command) {
          reject_command("unknown transaction for merchant '" + std::string(get_string(in.data, "merchant")) +
                         "' and reference '" + std::string(get_string(in.data, "reference")) + "'");
        } else {
          deadletter("unknown transaction " + in.txn_id, rec, in.at_ms);
        }
        continue;
      }
      source_flow = txn->flow_id();
      if (flow == nullptr) flow = config_.registry->find_flow(txn->flow_id());
      if (flow == nullptr) {
        deadletter("transaction " + in.txn_id + " has unknown flow " + txn->flow_id(), rec, in.at_ms);
        continue;
      }

      const std::int64_t rejections_before = txn->rejected_inputs;
      const StepResult r = step_(*flow, *txn, in, settings_[txn->provider], effects);
      switch (r.outcome) {
        case Outcome::applied:
          ++stats.applied;
          // A row may refuse a command while staying in its state (a refund over the remaining
          // amount): the sender still gets command.rejected.
          if (is_command && txn->rejected_inputs > rejections_before && txn->last_rejection)
            reject_command(txn->last_rejection->reason);
          break;
        case Outcome::rejected:
          ++stats.rejected;
          if (is_command) reject_command(r.reason);
          break;
        case Outcome::absorbed:
        case Outcome::stale_timer: break;
      }

      p.batch.journal.push_back(journal_row(in, r, *txn, effects));
      for (const auto& e : effects.events) {
        if (!e.attention.empty()) stats.attention.push_back(e.attention);
        // A late outcome that is an amount mismatch needs both looks: counted under both codes.
        if (e.status == Status::amount_mismatch && e.attention == attention::kLateOutcome)
          stats.attention.push_back(attention::kAmountMismatch);
        stats.event_samples.push_back(
            {flow, e.state, e.previous_state, e.attention, e.status, e.version, txn->created_at_ms, e.occurred_at_ms});
        std::string body = serialize(e);
        p.batch.events.push_back({in.txn_id, e.version, body});
        // The traceparent is added once the batch knows every transaction's (below).
        traced.push_back(p.batch.outbox.size());
        p.batch.outbox.push_back({0, "events", in.txn_id, std::move(body),
                                  event_headers(e.event_id(), "transaction.state_changed", source_flow, in.txn_id,
                                                format_time(e.occurred_at_ms), ""),
                                  rec.partition, e.version});
        ++stats.events;
      }
      const json::object* card = is_command ? get_object(in.data, "card") : nullptr;
      for (auto& c : effects.calls) {
        // The call that needs the card gets the sealed copy; it is deleted with the call row.
        if (card != nullptr && card->contains("sealed") && c.params.text("card") == "attached")
          c.params["card"] = *card;
        p.batch.calls.push_back(std::move(c));
        p.batch.call_partitions.push_back(rec.partition);
      }
      for (const auto& name : effects.cancelled_timers) {
        if (name == "*") {
          auto it = p.timers.lower_bound({in.txn_id, ""});
          while (it != p.timers.end() && it->first.first == in.txn_id) it = p.timers.erase(it);
          p.cancel_all.push_back(in.txn_id);
        } else {
          p.timers[{in.txn_id, name}] = std::nullopt;
        }
      }
      for (const auto& t : effects.timers) p.timers[{in.txn_id, t.name}] = TimerRow{in.txn_id, t.name, t.due_at_ms, t.input_id, rec.partition};
    } catch (const std::exception& e) {
      throw PoisonedInput{i, e.what()};
    }
  }

  // Every event carries the traceparent of the command that created its transaction: kept by this
  // batch, the one committing, those committed lately (traces_recent_, traces_older_) or the store;
  // derived from the txn_id when that command had none.
  std::set<std::string> unknown_traces;
  for (std::size_t row : traced) {
    const std::string& txn_id = p.batch.outbox[row].key;
    if (known_traces.contains(txn_id)) continue;
    if (auto kept = traces_recent_.find(txn_id); kept != traces_recent_.end()) {
      known_traces.emplace(txn_id, kept->second);
    } else if (auto older = traces_older_.find(txn_id); older != traces_older_.end()) {
      known_traces.emplace(txn_id, older->second);
    } else {
      unknown_traces.insert(txn_id);
    }
  }
  if (!unknown_traces.empty()) {
    auto stored_traces = store_.traceparents_among({unknown_traces.begin(), unknown_traces.end()});
    if (!stored_traces) return stored_traces.error();
    known_traces.insert(stored_traces->begin(), stored_traces->end());
    for (const auto& id : unknown_traces) known_traces.try_emplace(id, derived_traceparent(id));
  }
  for (std::size_t row : traced) {
    OutboxRow& r = p.batch.outbox[row];
    r.headers.emplace_back("traceparent", known_traces.at(r.key));
  }

  p.batch.transactions.reserve(p.txns.size());
  p.batch.statuses.reserve(p.txns.size());
  for (auto& [_, t] : p.txns) {
    // The canonical status the list filters on (store.hpp StoreBatch::statuses).
    const Flow* f = config_.registry->find_flow(t.flow_id());
    const StateInfo* info = f != nullptr ? f->state(t.state) : nullptr;
    p.batch.statuses.emplace_back(info != nullptr ? to_string(info->status) : std::string_view("unknown"));
    // The commit thread writes the transaction while this thread may copy it (a batch still
    // committing): both only read, so its provider ids' text must be made already (a step makes it).
    assert(t.provider_refs.text_made());
    p.batch.transactions.push_back(std::move(t));
  }
  for (const auto& id : p.cancel_all) p.batch.timers_cancelled.emplace_back(id, "*");
  for (auto& [key, op] : p.timers) {
    if (op) {
      p.batch.timers_set.push_back(std::move(*op));
    } else {
      p.batch.timers_cancelled.push_back(key);
    }
  }
  for (const auto& [tp, next] : next_offsets) {
    p.batch.offsets.push_back({tp.first, tp.second, next});
    // The batch commits only while this process still owns each of its partitions.
    if (auto owned = epochs_.find(tp); owned != epochs_.end()) p.batch.fences.push_back({tp.first, tp.second, owned->second});
  }
  // Ids of inputs older than the retention are forgotten: by then a redelivery comes from nowhere in
  // corridor (the log's retention is shorter), and the flows' own guards (the same create, a refund's
  // command id, a final state) still hold. Times are the inputs' own, so replays prune alike.
  if (!p.batch.processed_inputs.empty())
    p.batch.prune_processed_before_ms = latest_input_ms - config_.store.processed_retention_ms;
  return std::move(p.batch);
}

void BatchProcessor::committed(StoreBatch&& batch, const StoreBatch* next) {
  constexpr std::size_t kGeneration = 8192;  // transactions; a few KiB each
  std::unordered_set<std::string_view> newer;
  if (next != nullptr) {
    newer.reserve(next->transactions.size());
    for (const auto& t : next->transactions) newer.insert(t.txn_id);
  }
  constexpr std::size_t kTraces = 16384;  // traceparents; about 150 bytes each with their id
  for_each_event_trace(batch, [&](const std::string& txn_id, std::string_view trace) {
    if (traces_recent_.contains(txn_id)) return;
    if (traces_recent_.size() >= kTraces) traces_older_ = std::exchange(traces_recent_, {});
    traces_recent_.emplace(txn_id, trace);
  });
  for (auto& t : batch.transactions) {
    if (newer.contains(t.txn_id)) continue;
    if (recent_.size() >= kGeneration) older_ = std::exchange(recent_, {});
    older_.erase(t.txn_id);
    std::string id = t.txn_id;
    recent_.insert_or_assign(std::move(id), std::move(t));
  }
}

void BatchProcessor::forget() {
  recent_.clear();
  older_.clear();
  traces_recent_.clear();
  traces_older_.clear();
}

// A thread that commits one batch at a time, so the processor thread makes the next batch meanwhile.
class Processor::Committer {
 public:
  explicit Committer(Processor& processor) : processor_(processor), thread_([this] { loop(); }) {}
  ~Committer() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  void submit(const StoreBatch& batch, const BatchStats& stats) {
    std::lock_guard lock(mu_);
    batch_ = &batch;
    stats_ = stats;
    result_.reset();
    cv_.notify_all();
  }

  // The submitted batch's commit, once done.
  Result<Ok> wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return result_.has_value(); });
    return *std::exchange(result_, std::nullopt);
  }

 private:
  void loop() {
    pthread_setname_np(pthread_self(), "corridor-commit");
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stopping_ || batch_ != nullptr; });
      if (batch_ == nullptr) return;  // stopping, nothing submitted
      const StoreBatch* batch = std::exchange(batch_, nullptr);
      const BatchStats stats = stats_;
      lock.unlock();
      Result<Ok> r = processor_.store_.commit(*batch);
      if (r) processor_.after_commit(*batch, stats);
      lock.lock();
      result_ = std::move(r);
      cv_.notify_all();
    }
  }

  Processor& processor_;
  std::mutex mu_;
  std::condition_variable cv_;
  const StoreBatch* batch_ = nullptr;
  BatchStats stats_;
  std::optional<Result<Ok>> result_;
  bool stopping_ = false;
  std::thread thread_;  // last: started once everything above exists
};

// A batch made and handed to the committer: its records are kept to make it again if it fails.
struct Processor::InFlight {
  std::vector<InputRecord> records;
  StoreBatch batch;
};

namespace {

// A process's name in the store's ownership rows: host and pid, for an operator reading them.
std::string process_name() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host) + ":" + std::to_string(getpid());
}

bool is_fenced(const Error& e) { return e.code == store_errc::fenced; }

}  // namespace

Processor::Processor(Store& store, const Config& config, Hooks hooks, Ownership* ownership)
    : store_(store),
      config_(config),
      hooks_(std::move(hooks)),
      batch_(store, config),
      ownership_(ownership),
      owner_(process_name()) {}

std::optional<std::int64_t> Processor::claim(std::int32_t partition, const std::atomic<bool>& stop) {
  const std::string& topic = config_.kafka.inputs;
  for (int attempt = 0;; ++attempt) {
    // The claim first, then the offset: the claim waits for a commit of the partition's previous
    // owner under way, so the offset read after it includes that commit.
    auto epoch = store_.claim_partition(topic, partition, owner_);
    auto offsets = epoch ? store_.offsets(topic) : Result<std::map<std::int32_t, std::int64_t>>(epoch.error());
    if (epoch && offsets) {
      owned_[partition] = *epoch;
      batch_.hold(topic, partition, *epoch);
      batch_.forget();  // kept copies may predate what another owner applied meanwhile
      if (ownership_ != nullptr) ownership_->claimed(partition, *epoch);
      if (hooks_.claimed) hooks_.claimed(partition, *epoch);
      auto it = offsets->find(partition);
      return it == offsets->end() ? -1 : it->second;
    }
    std::cerr << "processor: cannot claim " << topic << " partition " << partition << ": "
              << (epoch ? offsets.error().message : epoch.error().message) << "; retrying" << std::endl;
    if (hooks_.commit_failed) hooks_.commit_failed();
    if (stop.load()) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(100 << std::min(attempt, 6), 5000)));
  }
}

void Processor::release(const std::vector<std::int32_t>& partitions) {
  for (std::int32_t p : partitions) {
    owned_.erase(p);
    batch_.release(config_.kafka.inputs, p);
    if (ownership_ != nullptr) ownership_->released(p);
  }
  // Their transactions may change elsewhere from now on.
  batch_.forget();
  if (hooks_.released) hooks_.released(partitions);
}

void Processor::recover_from_fence(KafkaConsumer& consumer, const std::atomic<bool>& stop) {
  const std::string& topic = config_.kafka.inputs;
  batch_.forget();
  for (int attempt = 0; !stop.load(); ++attempt) {
    auto epochs = store_.partition_epochs(topic);
    auto offsets = epochs ? store_.offsets(topic) : Result<std::map<std::int32_t, std::int64_t>>(epochs.error());
    if (!epochs || !offsets) {
      std::cerr << "processor: " << (epochs ? offsets.error().message : epochs.error().message) << "; retrying"
                << std::endl;
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(100 << std::min(attempt, 6), 5000)));
      continue;
    }
    std::vector<std::int32_t> lost;
    for (const auto& [partition, epoch] : owned_) {
      const auto now = epochs->find(partition);
      if (now != epochs->end() && now->second == epoch) {
        const auto next = offsets->find(partition);
        if (auto r = consumer.seek(topic, partition, next == offsets->end() ? -1 : next->second); !r)
          std::cerr << "processor: " << r.error().message << std::endl;
        continue;
      }
      lost.push_back(partition);
      consumer.pause(topic, partition);
      std::cerr << "processor: " << topic << " partition " << partition << " was taken by another process (epoch "
                << epoch << " here, " << (now == epochs->end() ? 0 : now->second)
                << " in the store): not applied here any more" << std::endl;
      if (hooks_.fenced) hooks_.fenced(partition, epoch);
    }
    release(lost);
    return;
  }
}

void Processor::after_commit(const StoreBatch& batch, const BatchStats& stats) {
  if (hooks_.stats) hooks_.stats(stats);
  if (hooks_.applied) hooks_.applied(batch);
  if (hooks_.committed) hooks_.committed();
}

Processor::Applied Processor::apply_now(const std::vector<InputRecord>& records, const std::atomic<bool>& stop) {
  // The batch is applied whatever happens to the store meanwhile (disk full, read-only): it is
  // retried, never skipped, so no input is lost. Only a fence ends it: the partition's new owner
  // applies those inputs.
  for (int attempt = 0;; ++attempt) {
    BatchStats stats;
    auto batch = batch_.process(records, stats);
    Result<Ok> committed = batch ? store_.commit(*batch) : Result<Ok>(batch.error());
    if (committed) {
      after_commit(*batch, stats);
      batch_.committed(std::move(*batch));
      return Applied::committed;
    }
    if (is_fenced(committed.error())) return Applied::fenced;
    if (hooks_.commit_failed) hooks_.commit_failed();
    if (stop.load()) return Applied::stopped;  // not committed: the inputs are read again on the next start
    std::cerr << "processor: batch of " << records.size() << " inputs not committed (" << committed.error().message
              << "); retrying" << std::endl;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(100 << std::min(attempt, 6), 5000)));
  }
}

void Processor::run(const std::string& bootstrap, const std::atomic<bool>& stop) {
  KafkaConsumer consumer(bootstrap, config_.kafka.group, config_.kafka.properties);
  Committer committer(*this);
  std::optional<InFlight> in_flight;
  // A commit was refused by a fence (a partition has a newer owner): the batch and the records read
  // since are dropped, and recover_from_fence sorts out what is still this process's.
  bool fenced = false;
  enum class Settled { committed, redone, stopped, fenced };
  // Waits for the batch in flight. Committed: its transactions are kept (but those `next` changed
  // again). Redone: it failed, so it was made and committed again on its own, and `next`, made on
  // top of it, must be made again. Stopped: it failed and the engine is stopping. Fenced: refused.
  auto settle = [&](const StoreBatch* next) -> Settled {
    if (!in_flight) return Settled::committed;
    Result<Ok> r = committer.wait();
    InFlight done = std::move(*in_flight);
    in_flight.reset();
    if (r) {
      batch_.committed(std::move(done.batch), next);
      return Settled::committed;
    }
    if (is_fenced(r.error())) {
      fenced = true;
      return Settled::fenced;
    }
    if (hooks_.commit_failed) hooks_.commit_failed();
    std::cerr << "processor: batch of " << done.records.size() << " inputs not committed (" << r.error().message
              << "); retrying" << std::endl;
    switch (apply_now(done.records, stop)) {
      case Applied::committed: return Settled::redone;
      case Applied::stopped: return Settled::stopped;
      case Applied::fenced: fenced = true; return Settled::fenced;
    }
    return Settled::stopped;
  };

  std::vector<InputRecord> held;  // hooks_.batch_end's records for a later batch
  // Starts from the store's offsets, never Kafka's: the store knows what was applied. Each partition
  // is claimed first (store.hpp, partition ownership).
  auto on_assign = [&](const std::string&, std::int32_t partition) -> std::int64_t {
    return claim(partition, stop).value_or(-1);
  };
  if (config_.kafka.assignment == "group") {
    consumer.subscribe(
        {config_.kafka.inputs}, on_assign,
        [&](const std::vector<std::pair<std::string, std::int32_t>>& taken, bool lost) {
          // The batch in flight ends before they go: committed, or refused when they were lost to
          // another process already.
          (void)lost;
          if (settle(nullptr) == Settled::stopped) return;
          std::vector<std::int32_t> partitions;
          for (const auto& [_, p] : taken) partitions.push_back(p);
          std::erase_if(held, [&](const InputRecord& r) {
            return std::find(partitions.begin(), partitions.end(), r.partition) != partitions.end();
          });
          release(partitions);
        },
        [&](const std::vector<std::pair<std::string, std::int32_t>>& given) {
          std::vector<std::int32_t> partitions;
          for (const auto& [_, p] : given) partitions.push_back(p);
          if (hooks_.assigned) hooks_.assigned(partitions);
        });
  } else {
    if (hooks_.assigned) {
      std::vector<std::int32_t> every(static_cast<std::size_t>(std::max(consumer.partition_count(config_.kafka.inputs), 0)));
      for (std::size_t p = 0; p < every.size(); ++p) every[p] = static_cast<std::int32_t>(p);
      hooks_.assigned(every);
    }
    consumer.assign_all(config_.kafka.inputs, on_assign);
  }
  const std::shared_ptr<void> watched = hooks_.consuming ? hooks_.consuming(consumer) : nullptr;
  // The callbacks above use this function's locals, which go before the consumer closes (and
  // serves its last rebalance): they are dropped first, whichever way the function returns.
  struct Forget {
    KafkaConsumer& consumer;
    ~Forget() { consumer.forget_callbacks(); }
  } forget{consumer};

  // hooks_.batch_end made no batch of the records in hand: the next poll waits for more, rather than
  // spinning while a batch is in flight.
  bool end_waits = false;
  while (!stop.load()) {
    // While a batch commits, only what is already here is taken, and the commit is waited for.
    std::vector<KafkaMessage> messages = consumer.poll(static_cast<std::size_t>(config_.processor.batch_size),
                                                       std::chrono::milliseconds(in_flight && !end_waits ? 0 : 100));
    if (fenced) {  // refused while the group took partitions away (inside poll)
      fenced = false;
      held.clear();
      recover_from_fence(consumer, stop);
      continue;
    }
    std::vector<InputRecord> records;
    records.reserve(messages.size());
    for (const auto& m : messages) {
      // Only partitions claimed here are applied (one whose claim failed at stop is not).
      if (!m.error().empty() || !owned_.contains(m.partition())) continue;
      records.push_back({std::string(m.topic()), m.partition(), m.offset(), m.timestamp_ms(), std::string(m.value()),
                         m.header("traceparent").value_or("")});
    }
    if (hooks_.batch_end && !(records.empty() && held.empty())) {
      records.insert(records.begin(), std::make_move_iterator(held.begin()), std::make_move_iterator(held.end()));
      held.clear();
      const std::size_t end = std::min(hooks_.batch_end(records), records.size());
      held.assign(std::make_move_iterator(records.begin() + static_cast<std::ptrdiff_t>(end)),
                  std::make_move_iterator(records.end()));
      records.resize(end);
      end_waits = end == 0;
      if (end_waits) continue;
    }
    if (records.empty()) {
      const Settled settled = settle(nullptr);
      if (settled == Settled::stopped) return;
      if (settled == Settled::fenced) {
        fenced = false;
        held.clear();
        recover_from_fence(consumer, stop);
      }
      continue;
    }

    BatchStats stats;
    auto next = batch_.process(records, stats, in_flight ? &in_flight->batch : nullptr);
    const Settled settled = settle(next ? &*next : nullptr);
    if (settled == Settled::stopped) return;
    if (settled == Settled::fenced) {
      // The records in hand were read after the refused batch: read again from the store's offsets.
      fenced = false;
      held.clear();
      recover_from_fence(consumer, stop);
      continue;
    }
    if (settled == Settled::redone || !next) {
      stats = {};
      next = batch_.process(records, stats);
    }
    if (!next) {
      // A read failed: the store's retries, one batch at a time.
      const Applied applied = apply_now(records, stop);
      if (applied == Applied::stopped) return;
      if (applied == Applied::fenced) {
        held.clear();
        recover_from_fence(consumer, stop);
      }
      continue;
    }
    in_flight.emplace(InFlight{std::move(records), std::move(*next)});
    committer.submit(in_flight->batch, stats);
  }
  settle(nullptr);
}

}  // namespace corridor
