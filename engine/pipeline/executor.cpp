// The executor. One file: the dispatcher, the call workers and Kafka's delivery callbacks share
// Executor::Impl's state under its locks (Impl::mu, Published::mu); together, every use of them
// reads in one place.
#include "engine/pipeline/executor.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <deque>
#include <future>
#include <iostream>
#include <random>
#include <set>
#include <thread>
#include <variant>

#include "engine/pipeline/circuit_breaker.hpp"
#include "engine/pipeline/commands.hpp"
#include "engine/pipeline/delivery.hpp"
#include "engine/pipeline/errc.hpp"
#include "engine/pipeline/metric_labels.hpp"

namespace corridor {

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
  const Ownership* ownership = nullptr;  // nullptr: every call is this executor's
  Health own_health;  // when the runtime gives none (tests)
  Health* health = &own_health;

  CircuitBreaker breaker;

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
      : config(c), store(s), producer(p), http(h), adapters(a), clock(cl), metrics(m),
        breaker(c.executor.breaker_failures, c.executor.breaker_open_ms, cl, m) {}

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
      const bool partitions = batch.call_partitions.size() == batch.calls.size();
      for (std::size_t i = 0; i < batch.calls.size(); ++i)
        enqueue(PendingCall{batch.calls[i], false, partitions ? batch.call_partitions[i] : -1});
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
    const auto owned = ownership != nullptr ? ownership->filter() : std::nullopt;
    auto calls = store.pending_calls(1024, owned ? &*owned : nullptr);
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
                              fail(pipeline_errc::answer_too_large,
                                   "the provider's answer takes " + std::to_string(record.size()) +
                                       " bytes, more than limits.input_bytes (" +
                                       std::to_string(config.limits.input_bytes) + "): not kept"),
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

  Input call_failed(const ProviderCall& call, const Error& error, int attempts, bool outcome_unknown = false,
                    Sent sent = Sent::maybe) {
    metrics.provider_call_failures++;
    Input in;
    in.input_id = call.answer_input_id();
    in.txn_id = call.call_id.substr(0, call.call_id.find(':'));
    in.kind = InputKind::provider_response;
    in.name = "call.failed";
    in.at_ms = clock.now_ms();
    CallFailed failed;
    failed.op = call.op;
    // Whatever an adapter or the client put in the message, no card number leaves in clear.
    failed.error = redact_bounded(error.message, 1000);
    failed.code = code_text(error.code);
    failed.attempts = attempts;
    if (outcome_unknown) failed.outcome = "unknown";
    if (error.code == failure::not_found) failed.not_found = true;  // the provider does not hold what was looked up
    if (sent != Sent::maybe) failed.sent = false;
    if (sent == Sent::refused) failed.refused = true;
    in.data = fields::to_object(failed);
    return in;
  }

  Input refused(const ProviderCall& call, const Error& error) { return call_failed(call, error, 0, false, Sent::refused); }

  // The call as the adapter sees it, sealed data opened in memory only: a sealed card (card.sealed
  // beside the masked number) becomes the card's fields, and any value {"sealed": "..."} (an
  // e-Transfer security answer) the text it seals.
  Result<ProviderCall> unsealed(const ProviderCall& call) {
    ProviderCall open = call;
    bool opened = false;
    Result<Ok> ok = open_sealed(open.params.edit(), opened);
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
      if (!vault) return fail(pipeline_errc::sealed_unavailable, "sealed data unavailable: CORRIDOR_CARD_KEY is not set");
      auto plain = vault->open(get_string(child, "sealed"));
      if (!plain) return fail(pipeline_errc::sealed_unavailable, "sealed data unavailable: " + plain.error().message);
      opened = true;
      if (child.size() == 1) {
        kv.value() = json::string(*plain);
        continue;
      }
      // A card: its sealed fields beside the masked number, which the adapter may show.
      boost::system::error_code ec;
      json::value v = boost::json::parse(*plain, ec);
      if (ec || !v.is_object())
        return fail(pipeline_errc::sealed_unavailable, "sealed data unavailable: sealed content is not JSON");
      json::object& c = v.get_object();
      c["masked"] = get_string(child, "number");
      kv.value() = std::move(c);
    }
    return Ok{};
  }

  std::optional<Input> execute(const PendingCall& pending) {
    const ProviderCall& call = pending.call;
    // A partition given up since the call was queued: its new owner makes the call.
    if (ownership != nullptr && !ownership->owns(pending.partition)) return std::nullopt;
    auto adapter = adapters.find(call.provider);
    if (adapter == adapters.end())
      return refused(call, fail(pipeline_errc::no_adapter, "no adapter for provider " + call.provider));
    const bool retry_safe = adapter->second->retry_safe(call);
    if (!retry_safe && pending.attempted)
      return call_failed(call,
                         fail(pipeline_errc::stopped_in_flight, "outcome unknown: corridor stopped while the call was in flight"),
                         1, true);
    auto open = unsealed(call);
    if (!open) return refused(call, open.error());
    // An adapter that throws (a bug meeting parameters it did not expect) refuses the call: nothing
    // was sent, and the worker goes on.
    Result<HttpRequest> request = fail(adapter_errc::adapter_threw, "");
    try {
      request = adapter->second->build_request(*open);
    } catch (const std::exception& e) {
      request = fail(adapter_errc::adapter_threw, "the adapter failed on the call's parameters: " + std::string(e.what()));
    }
    if (!request) return refused(call, request.error());
    if (!retry_safe) {
      const CircuitBreaker::Pass pass = breaker.allows(call.provider);
      if (!pass)
        return call_failed(call, fail(pipeline_errc::circuit_open, "circuit open for " + call.provider + ": not sent"), 0,
                           false, Sent::no);
      // Sent at most once: the attempt is recorded durably before the request leaves, under the
      // partition's epoch, so that only its owner records it. A call that stops here is not made: a
      // trial it held goes to the next call.
      const auto fence = ownership != nullptr && pending.partition >= 0 ? ownership->fence(pending.partition) : std::nullopt;
      if (ownership != nullptr && pending.partition >= 0 && !fence) {
        breaker.not_made(call.provider, pass);
        return std::nullopt;
      }
      if (auto marked = store.mark_call_attempted(call.answer_input_id(), fence ? &*fence : nullptr); !marked) {
        std::cerr << "executor: " << marked.error().message << std::endl;
        breaker.not_made(call.provider, pass);
        return std::nullopt;  // not sent; tried again later
      }
    }

    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::int64_t delay = config.executor.initial_backoff_ms;
    Error last_error;
    bool sent = !retry_safe;  // a call that is not retry-safe was marked attempted: it may have left
    const int max_attempts = retry_safe ? static_cast<int>(config.executor.max_attempts) : 1;
    for (int attempt = 1; attempt <= max_attempts; ++attempt) {
      if (retry_safe && !breaker.allows(call.provider)) {
        last_error = fail(pipeline_errc::circuit_open, "circuit open for " + call.provider + ": not sent");
      } else {
        sent = true;
        Attempt a = attempt_once(call, *request, *adapter->second, retry_safe);
        const std::string_view provider = provider_label(*config.registry, call.provider);
        if (a.input) {
          metrics.provider_calls.add({provider, call.op, "ok"});
          return std::move(a.input);
        }
        const bool ends = !a.error.retryable() || attempt == max_attempts;
        metrics.provider_calls.add({provider, call.op, ends ? "failed" : "retried"});
        // A call sent at most once that got an answer corridor cannot use: the provider may have acted.
        if (!a.error.retryable()) return call_failed(call, a.error, attempt, !retry_safe);
        last_error = std::move(a.error);
      }
      if (attempt == max_attempts) break;
      metrics.provider_call_retries++;
      // Capped exponential backoff with full jitter.
      std::uniform_int_distribution<std::int64_t> jitter(delay / 2, delay);
      if (!backoff(jitter(rng))) return std::nullopt;  // stopping: the call stays pending
      delay = std::min(delay * 2, config.executor.max_backoff_ms);
    }
    return call_failed(call, last_error, max_attempts, !retry_safe, sent ? Sent::maybe : Sent::no);
  }

  struct Attempt {
    std::optional<Input> input;  // the provider's answer as an input
    Error error;                 // otherwise, why not: its code says whether to try again
  };

  // One HTTP exchange, sent at most once when the call is not retry-safe. The breaker hears whether
  // the provider answered at all.
  Attempt attempt_once(const ProviderCall& call, const HttpRequest& request, const ProviderAdapter& adapter,
                       bool retry_safe) {
    // The round trip on the machine's own clock: a measure of the provider, never an input's time.
    const auto sent_at = std::chrono::steady_clock::now();
    const std::chrono::milliseconds timeout(config.executor.timeout_ms);
    auto response = retry_safe ? http.send(request, timeout) : http.send_at_most_once(request, timeout);
    metrics.provider_call_seconds.observe_ms(
        {provider_label(*config.registry, call.provider), call.op},
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - sent_at).count());
    if (!response) {
      breaker.record(call.provider, false);
      return {std::nullopt, response.error()};
    }
    // An adapter that throws on the provider's answer: the answer could not be read, as if malformed.
    Result<ParsedInput> parsed = fail(adapter_errc::adapter_threw, "");
    try {
      parsed = adapter.parse_response(call, *response);
    } catch (const std::exception& e) {
      parsed = fail(adapter_errc::adapter_threw, "the provider's answer could not be read: " + std::string(e.what()));
    }
    if (parsed && !finite_numbers(parsed->data))
      parsed = fail(pipeline_errc::number_out_of_range,
                    "the provider's answer holds a number beyond a double's range: not kept");
    breaker.record(call.provider, parsed || !parsed.error().retryable());
    if (!parsed) return {std::nullopt, parsed.error()};
    Input in;
    in.input_id = call.answer_input_id();
    in.txn_id = parsed->txn_id.empty() ? call.call_id.substr(0, call.call_id.find(':')) : parsed->txn_id;
    in.kind = InputKind::provider_response;
    in.name = parsed->name;
    in.at_ms = clock.now_ms();
    in.data = std::move(parsed->data);
    return {std::move(in), {}};
  }
};

Executor::Executor(const Config& config, Store& store, KafkaProducer& producer, HttpClient& http,
                   const AdapterMap& adapters, const Clock& clock, const CardVault* vault, Metrics& metrics,
                   Health* health, const Ownership* ownership)
    : impl_(std::make_unique<Impl>(config, store, producer, http, adapters, clock, metrics)) {
  impl_->wake = &wake_;
  impl_->ownership = ownership;
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
