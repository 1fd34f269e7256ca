#include "engine/pipeline/components.hpp"

#include <pthread.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <deque>
#include <future>
#include <iostream>
#include <random>
#include <set>
#include <thread>
#include <variant>

#include "engine/pipeline/commands.hpp"

namespace corridor {

std::int64_t SystemClock::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void name_thread(const char* name) { pthread_setname_np(pthread_self(), name); }

void Signal::notify() {
  {
    std::lock_guard lock(mu_);
    raised_ = true;
  }
  cv_.notify_all();
}

void Signal::wait_for(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return raised_; });
  raised_ = false;
}

namespace {

// Counts acknowledgements of a group of records produced together.
class Acks {
 public:
  // `on_complete` runs once, on the delivery thread, when the last record is acknowledged or refused.
  explicit Acks(std::size_t expected, std::function<void()> on_complete = {})
      : expected_(expected), on_complete_(std::move(on_complete)) {}
  KafkaProducer::Reported callback(std::size_t index) {
    return [this, index](const DeliveryReport& report) {
      std::lock_guard lock(mu_);
      if (!report.ok()) {
        failed_.insert(index);
        if (report.permanent) permanent_.insert(index);
        last_error_ = report.error;
      }
      if (++done_ == expected_) {
        cv_.notify_all();
        if (on_complete_) on_complete_();
      }
    };
  }
  // Every record acknowledged or refused: failed() is final.
  bool complete() {
    std::lock_guard lock(mu_);
    return done_ == expected_;
  }
  // True when every record was acknowledged within the timeout.
  bool wait(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return done_ == expected_; });
    return done_ == expected_ && failed_.empty();
  }
  // Waits for every callback to have run, so none outlives this object.
  void drain() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return done_ == expected_; });
  }
  // After drain(): the records refused, those refused for what they are, and the last error.
  const std::set<std::size_t>& failed() const { return failed_; }
  const std::set<std::size_t>& permanent() const { return permanent_; }
  const std::string& last_error() const { return last_error_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::size_t expected_;
  std::function<void()> on_complete_;
  std::size_t done_ = 0;
  std::set<std::size_t> failed_, permanent_;
  std::string last_error_;
};

std::string input_record(const Input& in) { return boost::json::serialize(to_json(in)); }

// Waits `ms` unless `stop` is raised first (checked every 50 ms); false when stopping.
bool pause(std::int64_t ms, const std::atomic<bool>& stop) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!stop.load()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(until - now, std::chrono::milliseconds(50)));
  }
  return false;
}

}  // namespace

std::vector<Outgoing> minimal_deadletter(std::string_view source, const Outgoing& refused, std::string_view error,
                                         std::int64_t at_ms, json::object context) {
  context["refused_topic"] = refused.topic;
  context["record_bytes"] = refused.value.size();
  json::object d = deadletter_record(source, "Kafka refused the record (" + std::string(error) + "): its minimal form",
                                     refused.value, at_ms, 0, std::move(context));
  return {Outgoing{refused.deadletter_topic, "", boost::json::serialize(d), "", {}}};
}

bool deliver(KafkaProducer& producer, std::vector<Outgoing> records, Health& health, Health::Part part,
             const Clock& clock, Metrics& metrics, const std::atomic<bool>& stop) {
  std::int64_t backoff_ms = 100;
  std::vector<Outgoing> batch = std::move(records);
  while (!batch.empty()) {
    Acks acks(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i)
      producer.produce(batch[i].topic, batch[i].key, batch[i].value, acks.callback(i));
    acks.wait(std::chrono::seconds(30));
    acks.drain();
    if (acks.failed().empty()) break;
    const bool unavailable = acks.failed().size() > acks.permanent().size();
    // Refused for what they are: their minimal forms instead, once. A minimal form refused again is
    // dropped, counted and said: it names nothing that could be sent.
    std::vector<Outgoing> next;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!acks.permanent().contains(i)) {
        if (unavailable) next.push_back(std::move(batch[i]));
        continue;
      }
      metrics.records_refused++;
      if (!batch[i].instead) {
        metrics.records_dropped++;
        std::cerr << "corridor: Kafka refused a record of " << batch[i].value.size() << " bytes for "
                  << batch[i].topic << ", which has no smaller form; dropped" << std::endl;
        continue;
      }
      for (auto& r : batch[i].instead(batch[i], acks.last_error())) next.push_back(std::move(r));
    }
    batch = std::move(next);
    if (unavailable) {
      // Kafka is not taking records: the whole batch again (its order kept; repeated records are
      // recognised downstream), backing off.
      health.stalled(part, "Kafka does not take its records: " + acks.last_error(), clock.now_ms());
      if (!pause(backoff_ms, stop)) return false;
      backoff_ms = std::min<std::int64_t>(backoff_ms * 2, 5000);
    }
  }
  health.progressed(part);
  return true;
}

void run_router(const Config& config, const std::string& bootstrap, KafkaProducer& producer, const Clock& clock,
                const CardVault* vault, Metrics& metrics, Health& health, const std::atomic<bool>& stop) {
  name_thread("corridor-router");
  KafkaConsumer consumer(bootstrap, config.kafka.group + ".router", config.kafka.properties);
  consumer.assign_all(config.kafka.commands);
  const auto payload_limit = static_cast<std::size_t>(config.limits.deadletter_payload_bytes);
  constexpr std::int64_t kClockSkewMs = 300000;
  while (!stop.load()) {
    auto messages = consumer.poll(500, std::chrono::milliseconds(100));
    if (messages.empty()) continue;
    std::vector<Outgoing> out;
    std::int64_t routed = 0, rejected = 0;
    for (const auto& m : messages) {
      if (!m.error().empty()) continue;
      // The record's own time, unless it claims to come from the future: a producer's clock is not
      // corridor's, and inputs' times drive flows and the pruning of processed ids.
      const std::int64_t now = clock.now_ms();
      const std::int64_t at = m.timestamp_ms() > 0 && m.timestamp_ms() <= now + kClockSkewMs ? m.timestamp_ms() : now;
      const std::string record_id =
          std::string(m.topic()) + ":" + std::to_string(m.partition()) + ":" + std::to_string(m.offset());
      json::object where{{"topic", std::string(m.topic())},
                         {"partition", m.partition()},
                         {"offset", m.offset()},
                         {"key", redact_bounded(m.key(), 256)}};
      std::variant<RoutedCommand, CommandRejection> result = CommandRejection{};
      try {
        result = route_command(m.value(), config, record_id, at, vault);
      } catch (const std::exception& e) {
        // A bug meeting a command it did not expect: the command is rejected, the router goes on.
        result = CommandRejection{"the command could not be read: " + std::string(e.what()), "", "", "", ""};
      }
      if (auto* ok = std::get_if<RoutedCommand>(&result)) {
        ++routed;
        // A routed command Kafka refuses: rejected after all, with a note of where it was.
        const json::object& cmd = ok->input.data;
        auto refused = [&config, at, where, txn = ok->input.txn_id, id = ok->input.input_id,
                        command_id = std::string(get_string(cmd, "command_id")),
                        merchant = std::string(get_string(cmd, "merchant")),
                        reference = std::string(get_string(cmd, "reference"))](const Outgoing& record,
                                                                               const std::string& error) {
          const CommandRejection r{"Kafka refused the command's input record (" + error + ")", command_id, merchant,
                                   reference, txn};
          auto outs = minimal_deadletter("router", record, error, at, where);
          outs.insert(outs.begin(), Outgoing{config.kafka.events, txn,
                                             boost::json::serialize(command_rejected_event(r, id, at)), "", {}});
          return outs;
        };
        out.push_back(Outgoing{config.kafka.inputs, ok->input.txn_id, input_record(ok->input), config.kafka.deadletter,
                               std::move(refused)});
        continue;
      }
      ++rejected;
      const auto& rej = std::get<CommandRejection>(result);
      const std::string input_id =
          rej.command_id.empty() || rej.txn_id.empty() ? "cmd:" + record_id : command_input_id(rej.txn_id, rej.command_id);
      out.push_back(Outgoing{config.kafka.events, rej.txn_id,
                             boost::json::serialize(command_rejected_event(rej, input_id, at)), "", {}});
      const std::optional<std::string> hidden = shown_payload(m.value());
      const std::optional<std::string_view> shown = hidden ? std::optional<std::string_view>(*hidden) : std::nullopt;
      const std::string record =
          boost::json::serialize(deadletter_record("router", rej.reason, m.value(), at, payload_limit, where, shown));
      out.push_back(Outgoing{config.kafka.deadletter, "", record, config.kafka.deadletter,
                             [at, where](const Outgoing& record, const std::string& error) {
                               return minimal_deadletter("router", record, error, at, where);
                             }});
      std::cerr << "router: rejected command at " << record_id << ": " << redact_bounded(rej.reason, 300) << std::endl;
    }
    // Nothing is committed until everything is acknowledged: a crash re-routes the batch, and the
    // processor recognises the repeated input ids.
    const auto deadletters = std::count_if(out.begin(), out.end(), [&](const Outgoing& o) { return o.topic == config.kafka.deadletter; });
    if (!deliver(producer, std::move(out), health, Health::Part::router, clock, metrics, stop)) return;
    metrics.deadletters_published += deadletters;
    metrics.commands_routed += routed;
    metrics.commands_rejected += rejected;
    // The next batch does not wait for the coordinator: a commit lost with a crash re-routes
    // commands whose input ids the processor recognises, as a crash before any commit always did.
    if (auto r = consumer.commit_async(); !r) std::cerr << "router: " << r.error().message << std::endl;
  }
  // Everything consumed was acknowledged (a batch that was not returns above): the last positions
  // are committed before the consumer closes.
  if (auto r = consumer.commit(); !r) std::cerr << "router: " << r.error().message << std::endl;
}

namespace {

// An event Kafka refused for what it is (a body too large): its version still reaches consumers, with
// the fields that identify the change and "truncated": true, and the whole is said in a dead letter.
std::vector<Outgoing> minimal_event(const Outgoing& refused, const std::string& error, std::int64_t at_ms) {
  json::object context;
  std::vector<Outgoing> out;
  boost::system::error_code ec;
  json::value v = boost::json::parse(refused.value, ec);
  if (!ec && v.is_object()) {
    const json::object& e = v.get_object();
    json::object small;
    for (std::string_view key : {"event_id", "type", "txn_id", "merchant", "reference", "provider", "flow", "version",
                                 "state", "previous_state", "status", "amount", "attention", "cause", "occurred_at"}) {
      if (auto* f = e.if_contains(key); f != nullptr && json_text(*f).size() <= 1024) small[key] = *f;
    }
    small["truncated"] = true;
    context["event_id"] = small.contains("event_id") ? small["event_id"] : json::value(nullptr);
    out.push_back(Outgoing{refused.topic, refused.key, boost::json::serialize(small), "", {}});
  }
  for (auto& d : minimal_deadletter("relay", refused, error, at_ms, std::move(context))) out.push_back(std::move(d));
  return out;
}

}  // namespace

void run_relay(const Config& config, Store& store, KafkaProducer& producer, Signal& wake, const Clock& clock,
               Metrics& metrics, Health& health, const std::atomic<bool>& stop) {
  name_thread("corridor-relay");
  // What the relay handed to Kafka and Kafka has not yet acknowledged. The relay does not wait for
  // it before publishing what the next batches committed (it used to, and an event committed during
  // that wait waited for it too, under load for tens of ms): the producer keeps each partition's
  // order, and rows leave the outbox once acknowledged. Outbox ids only grow (AUTOINCREMENT), so
  // the rows above `produced_up_to` are the ones not yet handed over.
  struct Published {
    std::vector<std::pair<std::int64_t, bool>> rows;  // outbox id, dead letter
    std::unique_ptr<Acks> acks;
  };
  constexpr std::size_t kBatch = 2000;
  constexpr std::size_t kMaxInFlight = 20000;  // rows; beyond it the relay waits for acknowledgements
  std::deque<Published> in_flight;
  std::size_t rows_in_flight = 0;
  std::int64_t produced_up_to = 0;
  // A row was refused or could not be removed: once nothing is in flight, the outbox is read from its
  // oldest row again and what is still there is published again (consumers deduplicate by event_id).
  bool read_again = false;
  // Acknowledged rows leave the outbox a few at a time: each removal is a write transaction on the
  // processor's one writing connection, which waits for it (one per acknowledged batch took that
  // lock about 70 times a second at 1,000 payins/s). Until removed they are only published again
  // after a crash, as any acknowledged row not yet removed always was.
  constexpr auto kRemoveEvery = std::chrono::milliseconds(50);
  std::vector<std::int64_t> acknowledged;
  std::int64_t acknowledged_events = 0, acknowledged_deadletters = 0;
  std::vector<std::pair<std::int64_t, std::string>> refused;  // outbox id, Kafka's error
  std::string last_error;
  // The store failed to give or remove outbox rows: the relay stalls, and retries after a pause.
  std::string store_error;
  auto last_removal = std::chrono::steady_clock::now();

  auto publish_new = [&]() -> bool {
    if (read_again || rows_in_flight >= kMaxInFlight) return false;
    // Only the rows after those already handed over: the ones in flight, or acknowledged and not
    // removed yet, are not read (nor their bodies copied) again.
    auto rows = store.outbox(kBatch, produced_up_to);
    if (!rows) {
      store_error = rows.error().message;
      return false;
    }
    if (rows->empty()) return false;
    Published batch;
    batch.acks = std::make_unique<Acks>(rows->size(), [&wake] { wake.notify(); });
    for (std::size_t i = 0; i < rows->size(); ++i) {
      const OutboxRow& row = (*rows)[i];
      const bool deadletter = row.topic == "deadletter";
      producer.produce(deadletter ? config.kafka.deadletter : config.kafka.events, row.key, row.body,
                       batch.acks->callback(i));
      batch.rows.emplace_back(row.id, deadletter);
    }
    produced_up_to = rows->back().id;
    rows_in_flight += batch.rows.size();
    in_flight.push_back(std::move(batch));
    return true;
  };

  auto remove_acknowledged = [&](bool now) {
    if (acknowledged.empty()) return;
    if (!now && acknowledged.size() < kBatch && std::chrono::steady_clock::now() - last_removal < kRemoveEvery) return;
    last_removal = std::chrono::steady_clock::now();
    auto r = store.remove_outbox(acknowledged);
    acknowledged.clear();
    if (!r) {
      // Published but still in the outbox: published again; consumers deduplicate by event_id.
      store_error = r.error().message;
      read_again = true;
    } else {
      metrics.events_published += acknowledged_events;
      metrics.deadletters_published += acknowledged_deadletters;
    }
    acknowledged_events = acknowledged_deadletters = 0;
  };

  // Collects the acknowledged batches, oldest first; `wait` waits for every batch.
  auto collect_acknowledged = [&](bool wait) {
    while (!in_flight.empty()) {
      Published& batch = in_flight.front();
      if (wait) {
        batch.acks->drain();
      } else if (!batch.acks->complete()) {
        break;
      }
      for (std::size_t i = 0; i < batch.rows.size(); ++i) {
        if (batch.acks->permanent().contains(i)) {
          refused.push_back({batch.rows[i].first, batch.acks->last_error()});
          continue;
        }
        if (batch.acks->failed().contains(i)) {
          read_again = true;
          last_error = batch.acks->last_error();
          continue;
        }
        acknowledged.push_back(batch.rows[i].first);
        (batch.rows[i].second ? acknowledged_deadletters : acknowledged_events)++;
      }
      rows_in_flight -= batch.rows.size();
      in_flight.pop_front();
    }
  };

  // Rows Kafka refused for what they are: their minimal forms go instead, then the rows leave the
  // outbox like acknowledged ones. Each row is read again and refused again until that succeeds.
  auto replace_refused = [&] {
    if (refused.empty()) return;
    std::vector<std::int64_t> ids;
    for (const auto& [id, error] : refused) ids.push_back(id);
    auto rows = store.outbox_rows(ids);
    if (!rows) {
      store_error = rows.error().message;
      read_again = true;
      refused.clear();
      return;
    }
    std::vector<Outgoing> out;
    for (const OutboxRow& row : *rows) {
      const bool deadletter = row.topic == "deadletter";
      Outgoing original{deadletter ? config.kafka.deadletter : config.kafka.events, row.key, row.body,
                        config.kafka.deadletter, {}};
      std::string error;
      for (const auto& [id, e] : refused)
        if (id == row.id) error = e;
      auto replacement = deadletter ? minimal_deadletter("relay", original, error, clock.now_ms(), {})
                                    : minimal_event(original, error, clock.now_ms());
      for (auto& r : replacement) out.push_back(std::move(r));
    }
    if (deliver(producer, std::move(out), health, Health::Part::relay, clock, metrics, stop)) {
      metrics.records_refused += static_cast<std::int64_t>(rows->size());
      for (const OutboxRow& row : *rows) acknowledged.push_back(row.id);
    } else {
      read_again = true;
    }
    refused.clear();
  };

  std::int64_t backoff_ms = 100;
  // A pause that grows while the trouble lasts, the relay named stuck meanwhile.
  auto back_off = [&] {
    const std::string why = store_error.empty() ? "Kafka does not take outbox rows: " + last_error
                                                : "the store does not give or remove outbox rows: " + store_error;
    if (!store_error.empty()) std::cerr << "relay: " << store_error << std::endl;
    health.stalled(Health::Part::relay, why, clock.now_ms());
    store_error.clear();
    // The whole pause: commits and acknowledgements raise `wake` many times a second.
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(backoff_ms);
    for (auto now = std::chrono::steady_clock::now(); now < until && !stop.load(); now = std::chrono::steady_clock::now())
      wake.wait_for(std::chrono::duration_cast<std::chrono::milliseconds>(until - now) + std::chrono::milliseconds(1));
    backoff_ms = std::min<std::int64_t>(backoff_ms * 2, 5000);
  };
  auto settle = [&] {
    if (read_again && in_flight.empty()) {
      remove_acknowledged(true);
      // Rows were not taken or not removed: read from the oldest again, after the pause.
      back_off();
      produced_up_to = 0;
      read_again = false;
    }
  };

  while (!stop.load()) {
    collect_acknowledged(false);
    replace_refused();
    remove_acknowledged(false);
    settle();
    if (publish_new()) continue;
    if (!store_error.empty() && !read_again) {
      back_off();
      continue;
    }
    if (in_flight.empty() && !read_again && store_error.empty()) {
      backoff_ms = 100;
      health.progressed(Health::Part::relay);
    }
    // Woken by a committed batch (the processor) or a completed one (the delivery thread), or when
    // acknowledged rows are due for removal.
    wake.wait_for(acknowledged.empty() ? std::chrono::milliseconds(100) : kRemoveEvery);
  }
  // Drain what the last batches wrote, in bounded time.
  collect_acknowledged(true);
  remove_acknowledged(true);
  for (int i = 0; i < 50; ++i) {
    if (read_again && in_flight.empty()) {
      produced_up_to = 0;
      read_again = false;
    }
    const bool published = publish_new();
    collect_acknowledged(true);
    remove_acknowledged(true);
    if (!published && !read_again) break;
  }
}

void run_scheduler(const Config& config, Store& store, KafkaProducer& producer, const Clock& clock, Signal& wake,
                   Metrics& metrics, Health& health, const std::atomic<bool>& stop) {
  name_thread("corridor-timers");
  std::int64_t backoff_ms = 50;
  while (!stop.load()) {
    auto due = store.due_timers(clock.now_ms(), 1000);
    if (!due) {
      health.stalled(Health::Part::scheduler, due.error().message, clock.now_ms());
      std::cerr << "scheduler: " << due.error().message << std::endl;
      wake.wait_for(std::chrono::milliseconds(backoff_ms));
      backoff_ms = std::min<std::int64_t>(backoff_ms * 2, 5000);
      continue;
    }
    if (due->empty()) {
      backoff_ms = 50;
      health.progressed(Health::Part::scheduler);
      wake.wait_for(std::chrono::milliseconds(50));
      continue;
    }
    std::vector<Outgoing> out;
    out.reserve(due->size());
    for (const TimerRow& t : *due) {
      Input in;
      in.input_id = t.input_id;
      in.txn_id = t.txn_id;
      in.kind = InputKind::timer;
      in.name = t.name;
      in.at_ms = t.due_at_ms;  // the flow sees the time the timer was due: replays agree
      out.push_back(Outgoing{config.kafka.inputs, t.txn_id, input_record(in), config.kafka.deadletter, {}});
    }
    if (!deliver(producer, std::move(out), health, Health::Part::scheduler, clock, metrics, stop)) return;
    if (auto r = store.remove_timers(*due); !r) {
      // Fired again on the next read: the flow's input id makes the second firing a duplicate.
      health.stalled(Health::Part::scheduler, r.error().message, clock.now_ms());
      std::cerr << "scheduler: " << r.error().message << std::endl;
      wake.wait_for(std::chrono::milliseconds(backoff_ms));
      backoff_ms = std::min<std::int64_t>(backoff_ms * 2, 5000);
      continue;
    }
    metrics.timers_fired += static_cast<std::int64_t>(due->size());
  }
}

// ---- executor ------------------------------------------------------------------------------------

struct Executor::Impl {
  const Config& config;
  Store& store;
  KafkaProducer& producer;
  HttpClient& http;
  const AdapterMap& adapters;
  const Clock& clock;
  Metrics& metrics;
  Signal* wake = nullptr;
  const CardVault* vault = nullptr;
  Health own_health;  // when the runtime gives none (tests)
  Health* health = &own_health;

  // A circuit breaker per provider: after `breaker_failures` consecutive transient failures the
  // provider is left alone for `breaker_open_ms`; then one trial call decides whether it closes.
  struct Breaker {
    int failures = 0;
    std::int64_t open_until = 0;  // 0: closed
    bool trial_in_flight = false;
  };
  std::mutex breaker_mu;
  std::map<std::string, Breaker, std::less<>> breakers;

  bool breaker_allows(const std::string& provider) {
    std::lock_guard lock(breaker_mu);
    Breaker& b = breakers[provider];
    if (b.open_until == 0) return true;
    if (clock.now_ms() < b.open_until || b.trial_in_flight) return false;
    b.trial_in_flight = true;  // half-open: this call is the trial
    return true;
  }

  void breaker_record(const std::string& provider, bool provider_answered) {
    std::lock_guard lock(breaker_mu);
    Breaker& b = breakers[provider];
    if (provider_answered) {
      if (b.open_until != 0) std::cerr << "executor: circuit for " << provider << " closed" << std::endl;
      b = Breaker{};
      return;
    }
    ++b.failures;
    if (b.trial_in_flight || (b.open_until == 0 && b.failures >= config.executor.breaker_failures)) {
      b.open_until = clock.now_ms() + config.executor.breaker_open_ms;
      b.trial_in_flight = false;
      metrics.circuit_opened++;
      std::cerr << "executor: circuit for " << provider << " open for " << config.executor.breaker_open_ms
                << " ms after " << b.failures << " failures" << std::endl;
    }
  }

  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::condition_variable cv;  // work queue and backoff waits
  std::deque<PendingCall> queue;
  std::set<std::string> in_flight;  // queued or being made
  // While the store is read for pending calls: the calls completed meanwhile, which the read may
  // still list.
  bool scanning = false;
  std::set<std::string> completed_during_scan;

  // Results handed to Kafka whose call rows no processor batch has removed yet: not made again.
  // Shared with the delivery callbacks, which may run after the executor stopped.
  struct Published {
    struct Replacement {
      std::string call_id, txn_id, op, error;
    };
    std::mutex mu;
    std::condition_variable cv;
    std::map<std::string, bool, std::less<>> calls;  // call id -> acknowledged by Kafka
    std::size_t unacknowledged = 0;
    struct Retry {
      std::string call_id, txn_id;
      std::shared_ptr<const std::string> record;
      std::string op;
    };
    std::vector<Replacement> replacements;  // results refused for what they are: call.failed instead
    std::set<std::string> replaced;         // a replacement refused too is not replaced again
    // Results Kafka could not take now: the same records again, after a pause (the call is not made
    // again: a call that is not retry-safe would end "outcome unknown" for a delivery problem).
    std::vector<Retry> retries;
    std::chrono::milliseconds retry_backoff{500};  // back to its start once Kafka takes a result
    bool stopped = false;  // the executor is gone: callbacks touch nothing of it
  };
  std::chrono::steady_clock::time_point retry_at{};
  std::shared_ptr<Published> published = std::make_shared<Published>();

  std::thread dispatcher;
  std::vector<std::thread> workers;

  Impl(const Config& c, Store& s, KafkaProducer& p, HttpClient& h, const AdapterMap& a, const Clock& cl, Metrics& m)
      : config(c), store(s), producer(p), http(h), adapters(a), clock(cl), metrics(m) {}

  // Under `mu`.
  void enqueue(PendingCall call) {
    if (in_flight.insert(call.call.answer_input_id()).second) queue.push_back(std::move(call));
  }

  void applied(const StoreBatch& batch) {
    if (batch.calls.empty() && batch.calls_completed.empty()) return;
    {
      std::lock_guard lock(mu);
      {
        std::lock_guard pub_lock(published->mu);
        auto forget = [&](const std::string& id) {
          published->calls.erase(id);
          published->replaced.erase(id);
          std::erase_if(published->retries, [&](const Published::Retry& r) { return r.call_id == id; });
        };
        for (const auto& id : batch.calls_completed) forget(id);
        // A call made again under its id (a flow's retry) is a new call, whatever became of the first.
        for (const auto& c : batch.calls) forget(c.answer_input_id());
      }
      if (scanning) completed_during_scan.insert(batch.calls_completed.begin(), batch.calls_completed.end());
      for (const auto& c : batch.calls) enqueue(PendingCall{c, false});
    }
    cv.notify_all();
  }

  // The store's pending calls: all of them at start (a restart), then what was not handed over or
  // not published.
  void scan() {
    {
      std::lock_guard lock(mu);
      scanning = true;
      completed_during_scan.clear();
    }
    auto calls = store.pending_calls(1024);
    {
      std::lock_guard lock(mu);
      scanning = false;
      if (calls) {
        std::lock_guard pub_lock(published->mu);
        for (auto& c : *calls) {
          if (completed_during_scan.contains(c.call.answer_input_id()) || published->calls.contains(c.call.answer_input_id())) continue;
          enqueue(std::move(c));
        }
      }
    }
    if (!calls) std::cerr << "executor: " << calls.error().message << std::endl;
    cv.notify_all();
  }

  void dispatch_loop() {
    name_thread("corridor-calls");
    while (!stopping.load()) {
      publish_replacements();
      publish_retries();
      scan();
      wake->wait_for(std::chrono::milliseconds(500));
    }
  }

  void work_loop() {
    name_thread("corridor-call");
    for (;;) {
      PendingCall pending;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return stopping.load() || !queue.empty(); });
        if (stopping.load()) return;
        pending = std::move(queue.front());
        queue.pop_front();
      }
      const std::string call_id = pending.call.answer_input_id();  // the row's key
      std::optional<Input> result = execute(pending);
      {
        std::lock_guard lock(mu);
        in_flight.erase(call_id);
        if (result) {
          std::lock_guard pub_lock(published->mu);
          published->calls[call_id] = false;
          ++published->unacknowledged;
        }
      }
      if (!result) continue;  // not made (stopping, store unavailable): read again from the store later
      // An answer too large to keep on corridor.inputs: the provider did answer, but what it said cannot
      // reach the flow, which is told the outcome is unknown (reconciliation asks again).
      std::string record = input_record(*result);
      if (record.size() > static_cast<std::size_t>(config.limits.input_bytes)) {
        *result = call_failed(pending.call,
                              "the provider's answer takes " + std::to_string(record.size()) +
                                  " bytes, more than limits.input_bytes (" + std::to_string(config.limits.input_bytes) +
                                  "): not kept",
                              1, true);
        record = input_record(*result);
      }
      publish(*result, std::move(record), call_id, pending.call.op);
    }
  }

  // The row stays until a processor batch consumes the result: a crash before that makes the call
  // again under the same idempotency key (or reports its outcome unknown when it is not retry-safe),
  // and the processor recognises the repeated result by its input id. A result Kafka refuses for what
  // it is gives way to a call.failed under the same input id (made by the dispatcher, never by the
  // delivery thread); one Kafka cannot take now is produced again by the dispatcher after a pause
  // (publish_retries), the call not made again.
  void publish(const Input& result, std::string record, const std::string& call_id, const std::string& op) {
    produce(result.txn_id, std::move(record), call_id, op);
  }

  void produce(const std::string& txn_id, std::string record, const std::string& call_id, const std::string& op) {
    // Kept for a retry; shared, so the bytes handed to the producer never move.
    auto kept = std::make_shared<const std::string>(std::move(record));
    producer.produce(config.kafka.inputs, txn_id, *kept,
                     [this, pub = published, call_id, op, txn = txn_id, kept](const DeliveryReport& report) {
                       std::lock_guard pub_lock(pub->mu);
                       --pub->unacknowledged;
                       auto it = pub->calls.find(call_id);
                       if (report.ok()) {
                         if (it != pub->calls.end()) it->second = true;
                         pub->retry_backoff = std::chrono::milliseconds(500);
                         if (!pub->stopped) health->progressed(Health::Part::executor);
                       } else if (report.permanent && !pub->replaced.contains(call_id)) {
                         pub->replaced.insert(call_id);
                         pub->replacements.push_back({call_id, txn, op, report.error});
                       } else if (report.permanent) {
                         // Its replacement refused too: nothing smaller can stand for it. The call stays
                         // held (not made again) and its row is read again at the next start.
                         if (!pub->stopped) metrics.records_dropped++;
                       } else if (!pub->stopped && it != pub->calls.end()) {
                         pub->retries.push_back({call_id, txn, kept, op});
                         health->stalled(Health::Part::executor, "results not published: " + report.error,
                                         clock.now_ms());
                       } else if (it != pub->calls.end()) {
                         pub->calls.erase(it);  // stopping: the row is read again at the next start
                       }
                       if (!report.ok())
                         std::cerr << "executor: result of " << call_id << " not published: " << report.error << std::endl;
                       pub->cv.notify_all();
                     });
  }

  // The call.failed inputs standing for results Kafka refused for what they were.
  void publish_replacements() {
    std::vector<Published::Replacement> due;
    {
      std::lock_guard pub_lock(published->mu);
      due.swap(published->replacements);
      published->unacknowledged += due.size();
    }
    for (const auto& r : due) {
      metrics.records_refused++;
      Input in;
      in.input_id = r.call_id;
      in.txn_id = r.txn_id;
      in.kind = InputKind::provider_response;
      in.name = "call.failed";
      in.at_ms = clock.now_ms();
      in.data = {{"op", r.op},
                 {"error", "the provider's answer was refused by Kafka (" + r.error + "): not kept"},
                 {"attempts", 1},
                 {"outcome", "unknown"}};
      publish(in, input_record(in), r.call_id, r.op);
    }
  }

  // The results Kafka could not take, produced again once their pause is over; the pause grows while
  // they keep failing, up to 5 s.
  void publish_retries() {
    std::vector<Published::Retry> due;
    {
      std::lock_guard pub_lock(published->mu);
      const auto now = std::chrono::steady_clock::now();
      if (published->retries.empty() || now < retry_at) return;
      due.swap(published->retries);
      published->unacknowledged += due.size();
      retry_at = now + published->retry_backoff;
      published->retry_backoff =
          std::min<std::chrono::milliseconds>(published->retry_backoff * 2, std::chrono::seconds(5));
    }
    for (auto& r : due) produce(r.txn_id, *r.record, r.call_id, r.op);
  }

  // At stop: the calls whose results Kafka holds are done; their rows go now, as no batch may consume
  // the results before the next start.
  void complete_published() {
    std::vector<std::string> done;
    {
      std::unique_lock lock(published->mu);
      published->cv.wait_for(lock, std::chrono::seconds(30), [&] { return published->unacknowledged == 0; });
      for (const auto& [id, acknowledged] : published->calls)
        if (acknowledged) done.push_back(id);
      published->calls.clear();
      published->stopped = true;
    }
    for (const auto& id : done)
      if (auto r = store.complete_call(id); !r) std::cerr << "executor: " << r.error().message << std::endl;
  }

  // Waits `ms`, or less when stopping; true when it waited the whole time.
  bool backoff(std::int64_t ms) {
    std::unique_lock lock(mu);
    return !cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stopping.load(); });
  }

  // What became of a call that got no usable answer, as the flow reads it (statemachines/flow_support.hpp).
  enum class Sent {
    maybe,    // a request may have reached the provider
    no,       // nothing left corridor (a circuit open): sending it later is safe
    refused,  // nothing left and nothing will: the adapter or the vault refuses the call itself
  };

  Input call_failed(const ProviderCall& call, const std::string& error, int attempts, bool outcome_unknown = false,
                    bool not_found = false, Sent sent = Sent::maybe) {
    metrics.provider_call_failures++;
    Input in;
    in.input_id = call.answer_input_id();
    in.txn_id = call.call_id.substr(0, call.call_id.find(':'));
    in.kind = InputKind::provider_response;
    in.name = "call.failed";
    in.at_ms = clock.now_ms();
    // Whatever an adapter or the client put in the message, no card number leaves in clear.
    in.data = {{"op", call.op}, {"error", redact_bounded(error, 1000)}, {"attempts", attempts}};
    if (outcome_unknown) in.data["outcome"] = "unknown";
    if (not_found) in.data["not_found"] = true;  // the provider does not hold what was looked up
    if (sent != Sent::maybe) in.data["sent"] = false;
    if (sent == Sent::refused) in.data["refused"] = true;
    return in;
  }

  Input refused(const ProviderCall& call, const std::string& error) {
    return call_failed(call, error, 0, false, false, Sent::refused);
  }

  // The call as the adapter sees it, sealed data opened in memory only: a sealed card (card.sealed
  // beside the masked number) becomes the card's fields, and any value {"sealed": "..."} (an
  // e-Transfer security answer) the text it seals.
  Result<ProviderCall> unsealed(const ProviderCall& call) {
    ProviderCall open = call;
    bool opened = false;
    Result<Ok> ok = open_sealed(open.params, opened);
    if (!ok) return ok.error();
    if (!opened) return call;
    return open;
  }

  Result<Ok> open_sealed(json::object& o, bool& opened) {
    for (auto& kv : o) {
      if (!kv.value().is_object()) continue;
      json::object& child = kv.value().get_object();
      const json::value* sealed = child.if_contains("sealed");
      if (sealed == nullptr || !sealed->is_string()) {
        if (auto r = open_sealed(child, opened); !r) return r;
        continue;
      }
      if (!vault) return fail("sealed data unavailable: CORRIDOR_CARD_KEY is not set");
      auto plain = vault->open(get_string(child, "sealed"));
      if (!plain) return fail("sealed data unavailable: " + plain.error().message);
      opened = true;
      if (child.size() == 1) {
        kv.value() = json::string(*plain);
        continue;
      }
      // A card: its sealed fields beside the masked number, which the adapter may show.
      boost::system::error_code ec;
      json::value v = boost::json::parse(*plain, ec);
      if (ec || !v.is_object()) return fail("sealed data unavailable: sealed content is not JSON");
      json::object& c = v.get_object();
      c["masked"] = get_string(child, "number");
      kv.value() = std::move(c);
    }
    return Ok{};
  }

  std::optional<Input> execute(const PendingCall& pending) {
    const ProviderCall& call = pending.call;
    auto adapter = adapters.find(call.provider);
    if (adapter == adapters.end()) return refused(call, "no adapter for provider " + call.provider);
    const bool retry_safe = adapter->second->retry_safe(call);
    if (!retry_safe && pending.attempted)
      return call_failed(call, "outcome unknown: corridor stopped while the call was in flight", 1, true);
    auto open = unsealed(call);
    if (!open) return refused(call, open.error().message);
    // An adapter that throws (a bug meeting parameters it did not expect) refuses the call: nothing
    // was sent, and the worker goes on.
    Result<HttpRequest> request = fail("");
    try {
      request = adapter->second->build_request(*open);
    } catch (const std::exception& e) {
      request = fail("the adapter failed on the call's parameters: " + std::string(e.what()));
    }
    if (!request) return refused(call, request.error().message);
    if (!retry_safe) {
      if (!breaker_allows(call.provider))
        return call_failed(call, "circuit open for " + call.provider + ": not sent", 0, false, false, Sent::no);
      // Sent at most once: the attempt is recorded durably before the request leaves.
      if (auto marked = store.mark_call_attempted(call.answer_input_id()); !marked) {
        std::cerr << "executor: " << marked.error().message << std::endl;
        return std::nullopt;  // not sent; tried again later
      }
    }

    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::int64_t delay = config.executor.initial_backoff_ms;
    std::string last_error;
    bool sent = !retry_safe;  // a call that is not retry-safe was marked attempted: it may have left
    const int max_attempts = retry_safe ? static_cast<int>(config.executor.max_attempts) : 1;
    for (int attempt = 1; attempt <= max_attempts; ++attempt) {
      if (retry_safe && !breaker_allows(call.provider)) {
        last_error = "circuit open for " + call.provider + ": not sent";
      } else {
        sent = true;
        Attempt a = attempt_once(call, *request, *adapter->second);
        if (a.input) return std::move(a.input);
        if (!a.retryable) return call_failed(call, a.error, attempt, false, a.not_found);
        last_error = std::move(a.error);
      }
      if (attempt == max_attempts) break;
      metrics.provider_call_retries++;
      // Capped exponential backoff with full jitter.
      std::uniform_int_distribution<std::int64_t> jitter(delay / 2, delay);
      if (!backoff(jitter(rng))) return std::nullopt;  // stopping: the call stays pending
      delay = std::min(delay * 2, config.executor.max_backoff_ms);
    }
    return call_failed(call, last_error, max_attempts, !retry_safe, false, sent ? Sent::maybe : Sent::no);
  }

  struct Attempt {
    std::optional<Input> input;  // the provider's answer as an input
    std::string error;           // otherwise, why not
    bool retryable = false;
    bool not_found = false;  // the adapter read the answer as "no such resource" (HTTP 404)
  };

  // One HTTP exchange. The breaker hears whether the provider answered at all.
  Attempt attempt_once(const ProviderCall& call, const HttpRequest& request, const ProviderAdapter& adapter) {
    auto response = http.send(request, std::chrono::milliseconds(config.executor.timeout_ms));
    metrics.provider_calls++;
    if (!response) {
      breaker_record(call.provider, false);
      return {std::nullopt, response.error().message, response.error().retryable};
    }
    // An adapter that throws on the provider's answer: the answer could not be read, as if malformed.
    Result<ParsedInput> parsed = fail("");
    try {
      parsed = adapter.parse_response(call, *response);
    } catch (const std::exception& e) {
      parsed = fail("the provider's answer could not be read: " + std::string(e.what()));
    }
    if (parsed && !finite_numbers(parsed->data))
      parsed = fail("the provider's answer holds a number beyond a double's range: not kept");
    breaker_record(call.provider, parsed || !parsed.error().retryable);
    if (!parsed) return {std::nullopt, parsed.error().message, parsed.error().retryable, parsed.error().http_status == 404};
    Input in;
    in.input_id = call.answer_input_id();
    in.txn_id = parsed->txn_id.empty() ? call.call_id.substr(0, call.call_id.find(':')) : parsed->txn_id;
    in.kind = InputKind::provider_response;
    in.name = parsed->name;
    in.at_ms = clock.now_ms();
    in.data = std::move(parsed->data);
    return {std::move(in), {}, false};
  }
};

Executor::Executor(const Config& config, Store& store, KafkaProducer& producer, HttpClient& http,
                   const AdapterMap& adapters, const Clock& clock, const CardVault* vault, Metrics& metrics,
                   Health* health)
    : impl_(std::make_unique<Impl>(config, store, producer, http, adapters, clock, metrics)) {
  impl_->wake = &wake_;
  impl_->vault = vault;
  if (health != nullptr) impl_->health = health;
}

Executor::~Executor() { stop(); }

void Executor::start() {
  impl_->dispatcher = std::thread([this] { impl_->dispatch_loop(); });
  for (std::int64_t i = 0; i < impl_->config.executor.threads; ++i)
    impl_->workers.emplace_back([this] { impl_->work_loop(); });
}

void Executor::applied(const StoreBatch& batch) { impl_->applied(batch); }

void Executor::stop() {
  if (impl_->stopping.exchange(true)) return;
  wake_.notify();
  impl_->cv.notify_all();
  if (impl_->dispatcher.joinable()) impl_->dispatcher.join();
  for (auto& w : impl_->workers) w.join();
  impl_->workers.clear();
  impl_->complete_published();
}

}  // namespace corridor
