#include "engine/components.hpp"

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

#include "engine/commands.hpp"

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
  KafkaProducer::Delivered callback(std::size_t index) {
    return [this, index](const std::string& error) {
      std::lock_guard lock(mu_);
      if (!error.empty()) failed_.insert(index);
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
  bool succeeded(std::size_t index) {
    std::lock_guard lock(mu_);
    return index < done_ + failed_.size() && !failed_.contains(index);
  }
  // Waits for every callback to have run, so none outlives this object.
  void drain() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return done_ == expected_; });
  }
  const std::set<std::size_t>& failed() const { return failed_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::size_t expected_;
  std::function<void()> on_complete_;
  std::size_t done_ = 0;
  std::set<std::size_t> failed_;
};

std::string input_record(const Input& in) { return boost::json::serialize(to_json(in)); }

}  // namespace

void run_router(const Config& config, const std::string& bootstrap, KafkaProducer& producer, const Clock& clock,
                const CardVault* vault, Metrics& metrics, const std::atomic<bool>& stop) {
  name_thread("corridor-router");
  KafkaConsumer consumer(bootstrap, config.kafka.group + ".router", config.kafka.properties);
  consumer.assign_all(config.kafka.commands);
  while (!stop.load()) {
    auto messages = consumer.poll(500, std::chrono::milliseconds(100));
    if (messages.empty()) continue;
    std::vector<std::pair<std::string, std::string>> to_inputs;  // key, value
    std::vector<std::pair<std::string, std::string>> to_events;
    std::vector<std::string> to_deadletter;
    for (const auto& m : messages) {
      if (!m.error().empty()) continue;
      const std::int64_t at = m.timestamp_ms() > 0 ? m.timestamp_ms() : clock.now_ms();
      const std::string record_id =
          std::string(m.topic()) + ":" + std::to_string(m.partition()) + ":" + std::to_string(m.offset());
      auto routed = route_command(m.value(), config, record_id, at, vault);
      if (auto* ok = std::get_if<RoutedCommand>(&routed)) {
        to_inputs.emplace_back(ok->input.txn_id, input_record(ok->input));
        continue;
      }
      const auto& rej = std::get<CommandRejection>(routed);
      const std::string input_id =
          "cmd:" + (rej.command_id.empty() ? record_id : rej.command_id);
      to_events.emplace_back(rej.txn_id, boost::json::serialize(command_rejected_event(rej, input_id, at)));
      json::object ctx{{"topic", std::string(m.topic())}, {"partition", m.partition()}, {"offset", m.offset()},
                       {"key", mask_card_numbers(m.key())}};
      to_deadletter.push_back(boost::json::serialize(deadletter_record("router", rej.reason, m.value(), at, ctx)));
      std::cerr << "router: rejected command at " << record_id << ": " << rej.reason << std::endl;
    }
    // Nothing is committed until everything is acknowledged: a crash re-routes the batch, and the
    // processor recognises the repeated input ids.
    for (;;) {
      Acks acks(to_inputs.size() + to_events.size() + to_deadletter.size());
      std::size_t i = 0;
      for (const auto& [k, v] : to_inputs) producer.produce(config.kafka.inputs, k, v, acks.callback(i++));
      for (const auto& [k, v] : to_events) producer.produce(config.kafka.events, k, v, acks.callback(i++));
      for (const auto& v : to_deadletter) producer.produce(config.kafka.deadletter, "", v, acks.callback(i++));
      const bool ok = acks.wait(std::chrono::seconds(30));
      acks.drain();
      if (ok) break;
      std::cerr << "router: Kafka did not acknowledge a batch; producing it again" << std::endl;
      if (stop.load()) return;  // uncommitted: re-read on the next start
    }
    metrics.commands_routed += static_cast<std::int64_t>(to_inputs.size());
    metrics.commands_rejected += static_cast<std::int64_t>(to_events.size());
    metrics.deadletters_published += static_cast<std::int64_t>(to_deadletter.size());
    // The next batch does not wait for the coordinator: a commit lost with a crash re-routes
    // commands whose input ids the processor recognises, as a crash before any commit always did.
    if (auto r = consumer.commit_async(); !r) std::cerr << "router: " << r.error().message << std::endl;
  }
  // Everything consumed was acknowledged (a batch that was not returns above): the last positions
  // are committed before the consumer closes.
  if (auto r = consumer.commit(); !r) std::cerr << "router: " << r.error().message << std::endl;
}

void run_relay(const Config& config, Store& store, KafkaProducer& producer, Signal& wake, Metrics& metrics,
               const std::atomic<bool>& stop) {
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
  auto last_removal = std::chrono::steady_clock::now();

  auto publish_new = [&]() -> bool {
    if (read_again || rows_in_flight >= kMaxInFlight) return false;
    // Only the rows after those already handed over: the ones in flight, or acknowledged and not
    // removed yet, are not read (nor their bodies copied) again.
    auto rows = store.outbox(kBatch, produced_up_to);
    if (!rows) {
      std::cerr << "relay: " << rows.error().message << std::endl;
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
      std::cerr << "relay: " << r.error().message << std::endl;
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
        if (batch.acks->failed().contains(i)) {
          read_again = true;
          continue;
        }
        acknowledged.push_back(batch.rows[i].first);
        (batch.rows[i].second ? acknowledged_deadletters : acknowledged_events)++;
      }
      rows_in_flight -= batch.rows.size();
      in_flight.pop_front();
    }
  };

  auto settle = [&] {
    if (read_again && in_flight.empty()) {
      remove_acknowledged(true);
      produced_up_to = 0;
      read_again = false;
    }
  };

  while (!stop.load()) {
    collect_acknowledged(false);
    remove_acknowledged(false);
    settle();
    if (publish_new()) continue;
    // Woken by a committed batch (the processor) or a completed one (the delivery thread), or when
    // acknowledged rows are due for removal.
    wake.wait_for(acknowledged.empty() ? std::chrono::milliseconds(100) : kRemoveEvery);
  }
  // Drain what the last batches wrote, in bounded time.
  collect_acknowledged(true);
  remove_acknowledged(true);
  for (int i = 0; i < 50; ++i) {
    settle();
    const bool published = publish_new();
    collect_acknowledged(true);
    remove_acknowledged(true);
    if (!published && !read_again) break;
  }
}

void run_scheduler(const Config& config, Store& store, KafkaProducer& producer, const Clock& clock, Signal& wake,
                   Metrics& metrics, const std::atomic<bool>& stop) {
  name_thread("corridor-timers");
  while (!stop.load()) {
    auto due = store.due_timers(clock.now_ms(), 1000);
    if (!due || due->empty()) {
      if (!due) std::cerr << "scheduler: " << due.error().message << std::endl;
      wake.wait_for(std::chrono::milliseconds(50));
      continue;
    }
    Acks acks(due->size());
    for (std::size_t i = 0; i < due->size(); ++i) {
      const TimerRow& t = (*due)[i];
      Input in;
      in.input_id = t.input_id;
      in.txn_id = t.txn_id;
      in.kind = InputKind::timer;
      in.name = t.name;
      in.at_ms = t.due_at_ms;  // the flow sees the time the timer was due: replays agree
      producer.produce(config.kafka.inputs, t.txn_id, input_record(in), acks.callback(i));
    }
    acks.wait(std::chrono::seconds(30));
    acks.drain();
    std::vector<TimerRow> fired;
    for (std::size_t i = 0; i < due->size(); ++i)
      if (!acks.failed().contains(i)) fired.push_back((*due)[i]);
    if (auto r = store.remove_timers(fired); !r) std::cerr << "scheduler: " << r.error().message << std::endl;
    metrics.timers_fired += static_cast<std::int64_t>(fired.size());
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
    std::mutex mu;
    std::condition_variable cv;
    std::map<std::string, bool, std::less<>> calls;  // call id -> acknowledged by Kafka
    std::size_t unacknowledged = 0;
  };
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
        for (const auto& id : batch.calls_completed) published->calls.erase(id);
        // A call made again under its id (a flow's retry) is a new call, whatever became of the first.
        for (const auto& c : batch.calls) published->calls.erase(c.answer_input_id());
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
      // The row stays until a processor batch consumes the result: a crash before that makes the call
      // again under the same idempotency key (or reports its outcome unknown when it is not
      // retry-safe), and the processor recognises the repeated result by its input id.
      producer.produce(config.kafka.inputs, result->txn_id, input_record(*result),
                       [pub = published, call_id](const std::string& error) {
                         std::lock_guard pub_lock(pub->mu);
                         --pub->unacknowledged;
                         if (auto it = pub->calls.find(call_id); it != pub->calls.end()) {
                           if (error.empty()) {
                             it->second = true;
                           } else {
                             pub->calls.erase(it);  // made again after the next read of the store
                           }
                         }
                         if (!error.empty())
                           std::cerr << "executor: result of " << call_id << " not published: " << error << std::endl;
                         pub->cv.notify_all();
                       });
    }
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
    in.data = {{"op", call.op}, {"error", mask_card_numbers(error)}, {"attempts", attempts}};
    if (outcome_unknown) in.data["outcome"] = "unknown";
    if (not_found) in.data["not_found"] = true;  // the provider does not hold what was looked up
    if (sent != Sent::maybe) in.data["sent"] = false;
    if (sent == Sent::refused) in.data["refused"] = true;
    return in;
  }

  Input refused(const ProviderCall& call, const std::string& error) {
    return call_failed(call, error, 0, false, false, Sent::refused);
  }

  // The call as the adapter sees it: a sealed card is opened, in memory only.
  Result<ProviderCall> unsealed(const ProviderCall& call) {
    const json::object* card = get_object(call.params, "card");
    if (card == nullptr || !card->contains("sealed")) return call;
    if (!vault) return fail("card data unavailable: CORRIDOR_CARD_KEY is not set");
    auto plain = vault->open(get_string(*card, "sealed"));
    if (!plain) return fail("card data unavailable: " + plain.error().message);
    boost::system::error_code ec;
    json::value v = boost::json::parse(*plain, ec);
    if (ec || !v.is_object()) return fail("card data unavailable: sealed content is not JSON");
    ProviderCall open = call;
    json::object& c = v.get_object();
    c["masked"] = get_string(*card, "number");
    open.params["card"] = std::move(c);
    return open;
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
    auto request = adapter->second->build_request(*open);
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
    auto parsed = adapter.parse_response(call, *response);
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
                   const AdapterMap& adapters, const Clock& clock, const CardVault* vault, Metrics& metrics)
    : impl_(std::make_unique<Impl>(config, store, producer, http, adapters, clock, metrics)) {
  impl_->wake = &wake_;
  impl_->vault = vault;
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
