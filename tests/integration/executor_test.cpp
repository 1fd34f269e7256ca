// The executor against a scripted HTTP client and adapter, a real store and embedded Kafka: retries
// with backoff for retry-safe calls, at most one attempt for the others, outcome unknown after a
// crash in flight, and sealed card data opened only in memory.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <algorithm>
#include <atomic>
#include <deque>
#include <functional>
#include <mutex>

#include "engine/store/card_vault.hpp"
#include "engine/pipeline/executor.hpp"
#include "engine/pipeline/ownership.hpp"
#include "engine/io/health.hpp"
#include "engine/store/errc.hpp"
#include "tests/support/delegating_store.hpp"
#include "tests/support/runtime_harness.hpp"
#include "engine/io/errc.hpp"

namespace corridor {
namespace {

using namespace testing;

class ScriptedHttp final : public HttpClient {
 public:
  // Each send takes the next scripted answer; an empty script answers 200 "{}".
  std::deque<Result<HttpResponse>> script;
  std::vector<HttpRequest> sent;
  std::mutex mu;

  Result<HttpResponse> send(const HttpRequest& request, std::chrono::milliseconds) override {
    std::lock_guard lock(mu);
    sent.push_back(request);
    if (script.empty()) return HttpResponse{200, {}, "{}"};
    auto r = std::move(script.front());
    script.pop_front();
    return r;
  }
  std::size_t count() {
    std::lock_guard lock(mu);
    return sent.size();
  }
};

class ScriptedAdapter final : public ProviderAdapter {
 public:
  bool safe = true;
  mutable std::string last_card;  // what build_request saw
  mutable json::object last_params;
  mutable std::mutex mu;
  std::function<void(const ProviderCall&)> on_build;  // set before the executor starts

  std::string_view provider() const override { return "acme"; }
  Result<HttpRequest> build_request(const ProviderCall& call) const override {
    if (on_build) on_build(call);
    std::lock_guard lock(mu);
    const json::object params = call.params.object();
    if (params.contains("throw_building")) throw std::runtime_error("adapter bug while building");
    last_params = params;
    if (const json::object* card = get_object(params, "card")) last_card = std::string(get_string(*card, "number"));
    return HttpRequest{"POST", "http://127.0.0.1:1/pay", {}, "{}", ""};
  }
  Result<ParsedInput> parse_response(const ProviderCall& call, const HttpResponse& r) const override {
    if (call.params.object().contains("throw_parsing")) throw std::runtime_error("adapter bug while parsing");
    if (r.status >= 500) return fail(adapter_errc::provider_unavailable, "provider answered " + std::to_string(r.status));
    if (r.status == 404) return fail(adapter_errc::not_found, "no such payment");
    return ParsedInput{std::string(call.call_id.substr(0, call.call_id.find(':'))), "paid", {{"status", r.status}}, ""};
  }
  Result<ParsedInput> parse_webhook(const HttpRequest&) const override { return fail(adapter_errc::malformed, "no webhooks"); }
  bool retry_safe(const ProviderCall&) const override { return safe; }
};

class FixedClock final : public Clock {
 public:
  std::int64_t now_ms() const override { return now.load(); }
  std::atomic<std::int64_t> now{1795867200000};
};

class ExecutorTest : public ::testing::Test {
 protected:
  ExecutorTest() {
    config.kafka.inputs = "corridor.inputs";
    config.executor.initial_backoff_ms = 1;
    config.executor.max_backoff_ms = 4;
    config.executor.max_attempts = 4;
    config.executor.threads = 2;
    adapter = new ScriptedAdapter();
    adapters.emplace("acme", std::unique_ptr<ProviderAdapter>(adapter));
  }

  // Stores a pending call, runs the executor until its result is on corridor.inputs.
  json::object run_call(ProviderCall call, bool attempted = false, const CardVault* vault = nullptr) {
    StoreBatch b;
    b.calls.push_back(call);
    EXPECT_TRUE(store->commit(b));
    if (attempted) {
      EXPECT_TRUE(store->mark_call_attempted(call.answer_input_id()));
    }
    Executor executor(config, *store, producer, http, adapters, clock, vault, metrics);
    executor.start();
    EXPECT_TRUE(inputs.wait_until([&](const auto& recs) {
      for (const auto& r : recs)
        if (get_string(r, "input_id") == call.answer_input_id()) return true;
      return false;
    }));
    executor.stop();
    for (const auto& r : inputs.records())
      if (get_string(r, "input_id") == call.answer_input_id()) return r;
    return {};
  }

  Config config;
  Cluster cluster;
  TempDir dir;
  std::unique_ptr<Store> store = open_sqlite_store(dir.path() + "/s.db");
  KafkaProducer producer{cluster.bootstrap};
  ScriptedHttp http;
  ScriptedAdapter* adapter;
  AdapterMap adapters;
  FixedClock clock;
  Metrics metrics;
  TopicCollector inputs{cluster.bootstrap, "corridor.inputs"};
};

ProviderCall call(std::string id) { return {"tx_a:" + id + ":pay", "acme", "pay", {{"amount", 300}}}; }

TEST_F(ExecutorTest, RetrySafeCallIsRetriedThroughTransientErrors) {
  http.script.push_back(fail(http_errc::connect_failed, "connection refused"));
  http.script.push_back(HttpResponse{503, {}, ""});
  auto result = run_call(call("1"));
  EXPECT_EQ(get_string(result, "name"), "paid");
  EXPECT_EQ(get_string(result, "kind"), "provider_response");
  EXPECT_EQ(get_string(result, "txn_id"), "tx_a");
  EXPECT_EQ(http.count(), 3u);
  EXPECT_EQ(metrics.provider_call_retries.load(), 2);
  EXPECT_TRUE(store->pending_calls(10)->empty());  // completed once published
  // Each HTTP attempt by its outcome and timed; "acme" is no provider of the registry: none.
  EXPECT_EQ(metrics.provider_calls.value({"none", "pay", "retried"}), 2);
  EXPECT_EQ(metrics.provider_calls.value({"none", "pay", "ok"}), 1);
  EXPECT_EQ(metrics.provider_calls.value({"none", "pay", "failed"}), 0);
  EXPECT_EQ(metrics.provider_call_seconds.count({"none", "pay"}), 3);
}

TEST_F(ExecutorTest, RetriesSpentBecomeCallFailed) {
  for (int i = 0; i < 4; ++i) http.script.push_back(HttpResponse{500, {}, ""});
  auto result = run_call(call("2"));
  EXPECT_EQ(get_string(result, "name"), "call.failed");
  const auto& data = result.at("data").as_object();
  EXPECT_EQ(get_string(data, "op"), "pay");
  EXPECT_EQ(get_int(data, "attempts"), 4);
  EXPECT_EQ(get_string(data, "code"), "adapter.provider_unavailable");  // the adapter's code, kept
  EXPECT_FALSE(data.contains("outcome"));
  EXPECT_EQ(http.count(), 4u);
  EXPECT_EQ(metrics.provider_calls.value({"none", "pay", "retried"}), 3);
  EXPECT_EQ(metrics.provider_calls.value({"none", "pay", "failed"}), 1);
  EXPECT_EQ(metrics.provider_calls.value({"none", "pay", "ok"}), 0);
}

// A look-up of something the provider does not hold: call.failed says not_found (reconciliation).
TEST_F(ExecutorTest, ALookUpOfNothingIsCallFailedNotFound) {
  http.script.push_back(HttpResponse{404, {}, ""});
  auto result = run_call(call("nf"));
  EXPECT_EQ(get_string(result, "name"), "call.failed");
  EXPECT_TRUE(get_bool(result.at("data").as_object(), "not_found"));
  EXPECT_EQ(get_string(result.at("data").as_object(), "code"), "adapter.not_found");
  EXPECT_EQ(http.count(), 1u);  // not retried
}

// An answer too large for corridor.inputs cannot reach the flow: it is told the outcome is unknown,
// under the answer's own input id, and reconciliation asks again.
TEST_F(ExecutorTest, AnAnswerLargerThanAnInputRecordIsCallFailedOutcomeUnknown) {
  config.limits.input_bytes = 64;  // smaller than any answer's record
  auto result = run_call(call("big"));
  EXPECT_EQ(get_string(result, "name"), "call.failed");
  EXPECT_EQ(get_string(result.at("data").as_object(), "code"), "pipeline.answer_too_large");
  EXPECT_EQ(get_string(result.at("data").as_object(), "outcome"), "unknown");
  EXPECT_NE(get_string(result.at("data").as_object(), "error").find("more than limits.input_bytes (64)"),
            std::string_view::npos);
  EXPECT_EQ(http.count(), 1u);
}

// A flow's re-send keeps its idempotency key; its answer carries the re-send's own answer id, so the
// processor does not take it for the first send's.
TEST_F(ExecutorTest, AReSentCallIsAnsweredUnderItsAnswerId) {
  ProviderCall again = call("rs");
  again.answer_id = again.call_id + ":resend:1";
  auto result = run_call(again);
  EXPECT_EQ(get_string(result, "input_id"), again.answer_id);
  EXPECT_EQ(get_string(result, "name"), "paid");
  EXPECT_TRUE(store->pending_calls(10)->empty());
}

TEST_F(ExecutorTest, NotRetrySafeCallIsSentOnceAndATimeoutIsUnknown) {
  adapter->safe = false;
  http.script.push_back(fail(http_errc::timeout, "timed out"));
  auto result = run_call(call("3"));
  EXPECT_EQ(get_string(result, "name"), "call.failed");
  EXPECT_EQ(get_string(result.at("data").as_object(), "outcome"), "unknown");
  EXPECT_EQ(get_string(result.at("data").as_object(), "code"), "http.timeout");
  EXPECT_EQ(http.count(), 1u);
}

// Kafka cannot take the result for a while: the same result is produced again later, and the call,
// which is not retry-safe, is not made again (made again, it would end "outcome unknown").
TEST_F(ExecutorTest, AResultKafkaCannotTakeNowIsProducedAgainNotTheCallMadeAgain) {
  adapter->safe = false;
  KafkaProducer impatient{cluster.bootstrap, {{"message.timeout.ms", "500"}}};
  for (std::int32_t p = 0; p < 4; ++p) cluster.kafka->set_partition_leader("corridor.inputs", p, -1);
  StoreBatch b;
  b.calls.push_back(call("9"));
  ASSERT_TRUE(store->commit(b));
  Health health;
  Executor executor(config, *store, impatient, http, adapters, clock, nullptr, metrics, &health);
  executor.start();
  ASSERT_TRUE(eventually([&] { return !health.problems(clock.now_ms() + Health::kGraceMs).empty(); },
                         std::chrono::seconds(60)));
  for (std::int32_t p = 0; p < 4; ++p) cluster.kafka->set_partition_leader("corridor.inputs", p, 1 + p % 3);
  const std::string id = call("9").answer_input_id();
  ASSERT_TRUE(inputs.wait_until(
      [&](const auto& recs) {
        return std::any_of(recs.begin(), recs.end(), [&](const auto& r) { return get_string(r, "input_id") == id; });
      },
      std::chrono::seconds(60)));
  executor.stop();
  for (const auto& r : inputs.records()) {
    if (get_string(r, "input_id") == id) {
      EXPECT_EQ(get_string(r, "name"), "paid");
    }
  }
  EXPECT_EQ(http.count(), 1u);
  EXPECT_TRUE(health.problems(clock.now_ms() + Health::kGraceMs).empty());
}

TEST_F(ExecutorTest, NotRetrySafeCallInFlightAtACrashIsNeverSentAgain) {
  adapter->safe = false;
  auto result = run_call(call("4"), /*attempted=*/true);
  EXPECT_EQ(get_string(result, "name"), "call.failed");
  EXPECT_EQ(get_string(result.at("data").as_object(), "outcome"), "unknown");
  EXPECT_EQ(get_string(result.at("data").as_object(), "code"), "pipeline.stopped_in_flight");
  EXPECT_EQ(http.count(), 0u);
}

TEST_F(ExecutorTest, SealedCardIsOpenedOnlyForTheAdapter) {
  std::array<unsigned char, 32> key{};
  key.fill(9);
  const CardVault vault(key);
  ProviderCall c = call("5");
  c.params["card"] = {{"number", "411111******1111"}, {"sealed", vault.seal(R"({"number":"4111111111111111"})")}};
  auto result = run_call(c, false, &vault);
  EXPECT_EQ(get_string(result, "name"), "paid");
  EXPECT_EQ(adapter->last_card, "4111111111111111");
}

TEST_F(ExecutorTest, CardThatCannotBeOpenedFailsTheCall) {
  ProviderCall c = call("6");
  c.params["card"] = {{"number", "411111******1111"}, {"sealed", "AAAA"}};
  auto result = run_call(c, false, nullptr);
  EXPECT_EQ(get_string(result, "name"), "call.failed");
  EXPECT_NE(get_string(result.at("data").as_object(), "error").find("sealed data unavailable"), std::string_view::npos);
  // Nothing left, and nothing will: the flow can fail the payment instead of leaving it unknown.
  EXPECT_FALSE(get_bool(result.at("data").as_object(), "sent", true));
  EXPECT_TRUE(get_bool(result.at("data").as_object(), "refused"));
  EXPECT_EQ(get_string(result.at("data").as_object(), "code"), "pipeline.sealed_unavailable");
  EXPECT_EQ(http.count(), 0u);
}

// An adapter that throws is a bug meeting data it did not expect: the call ends call.failed, and the
// worker thread (and the engine) goes on.
TEST_F(ExecutorTest, AnAdapterThatThrowsFailsTheCallNotTheEngine) {
  ProviderCall building = call("8");
  building.params["throw_building"] = true;
  auto refused = run_call(building, false);
  EXPECT_EQ(get_string(refused, "name"), "call.failed");
  EXPECT_NE(get_string(refused.at("data").as_object(), "error").find("adapter bug while building"), std::string_view::npos);
  EXPECT_TRUE(get_bool(refused.at("data").as_object(), "refused"));
  EXPECT_EQ(get_string(refused.at("data").as_object(), "code"), "adapter.adapter_threw");
  EXPECT_EQ(http.count(), 0u);
  ProviderCall parsing = call("9");
  parsing.params["throw_parsing"] = true;
  http.script.push_back(HttpResponse{200, {}, "{}"});
  auto unread = run_call(parsing, false);
  EXPECT_EQ(get_string(unread, "name"), "call.failed");
  EXPECT_NE(get_string(unread.at("data").as_object(), "error").find("could not be read"), std::string_view::npos);
  EXPECT_EQ(get_string(unread.at("data").as_object(), "code"), "adapter.adapter_threw");
}

TEST_F(ExecutorTest, ASealedAnswerIsOpenedForTheAdapterAsText) {
  std::array<unsigned char, 32> key{};
  key.fill(9);
  const CardVault vault(key);
  ProviderCall c = call("7");
  c.params["interacEtransfer"] = {{"question", "Colour?"}, {"answer", {{"sealed", vault.seal("vermilion-42")}}}};
  auto result = run_call(c, false, &vault);
  EXPECT_EQ(get_string(result, "name"), "paid");
  ASSERT_NE(get_object(adapter->last_params, "interacEtransfer"), nullptr);
  EXPECT_EQ(get_string(*get_object(adapter->last_params, "interacEtransfer"), "answer"), "vermilion-42");
}

TEST_F(ExecutorTest, CircuitOpensAfterConsecutiveFailures) {
  config.executor.breaker_failures = 3;
  config.executor.breaker_open_ms = 1000;
  for (int i = 0; i < 3; ++i) http.script.push_back(HttpResponse{502, {}, ""});
  // Three failures open the circuit; the fourth attempt is not sent.
  auto first = run_call(call("7"));
  EXPECT_EQ(get_string(first, "name"), "call.failed");
  EXPECT_NE(get_string(first.at("data").as_object(), "error").find("circuit open"), std::string_view::npos);
  EXPECT_EQ(get_string(first.at("data").as_object(), "code"), "pipeline.circuit_open");
  EXPECT_EQ(http.count(), 3u);
  EXPECT_EQ(metrics.circuit_opened.load(), 1);
}

TEST_F(ExecutorTest, OpenCircuitSendsNothingUntilItsTimeThenOneTrial) {
  config.executor.breaker_failures = 1;
  config.executor.breaker_open_ms = 1000;
  config.executor.max_attempts = 2;
  // One thread: a closed circuit lets through the calls already on their way, so with two threads
  // the second call could be sent before the first failure opens it (seen 1 run in 3 under load).
  config.executor.threads = 1;
  http.script.push_back(fail(http_errc::connect_failed, "connection refused"));
  {
    // One executor for the whole test: the breaker lives in it.
    StoreBatch b;
    b.calls = {call("8"), call("9")};
    ASSERT_TRUE(store->commit(b));
    Executor executor(config, *store, producer, http, adapters, clock, nullptr, metrics);
    executor.start();
    ASSERT_TRUE(inputs.wait_until([](const auto& recs) { return recs.size() >= 2; }));
    EXPECT_EQ(http.count(), 1u);  // the first failure opened the circuit: nothing else was sent
    for (const auto& r : inputs.records()) EXPECT_EQ(get_string(r, "name"), "call.failed");

    clock.now += 1000;  // the open time is over: the next call is the trial, and it succeeds
    StoreBatch later;
    later.calls = {call("10")};
    ASSERT_TRUE(store->commit(later));
    executor.notify();
    ASSERT_TRUE(inputs.wait_until([](const auto& recs) { return recs.size() >= 3; }));
    EXPECT_EQ(get_string(inputs.records().back(), "name"), "paid");
    EXPECT_EQ(http.count(), 2u);
    executor.stop();
  }
}

// A store that cannot record the next `refusals` attempts of calls sent at most once.
class MarkRefusingStore final : public corridor::testing::DelegatingStore {
 public:
  using DelegatingStore::DelegatingStore;
  Result<Ok> mark_call_attempted(const std::string& id, const PartitionEpoch* fence) override {
    if (refusals.load() > 0) {
      --refusals;
      return fail(store_errc::statement_failed, "the database cannot be written");
    }
    return DelegatingStore::mark_call_attempted(id, fence);
  }
  std::atomic<int> refusals{0};
};

// The trial of a half-open circuit, for a call sent at most once, stops before it leaves when its
// attempt cannot be recorded: the call stays pending, and when it is taken again it is the trial, so
// the circuit can close. It is never refused as "circuit open" for a trial nobody is making.
TEST_F(ExecutorTest, ATrialStoppedBeforeItLeavesLetsTheCircuitCloseLater) {
  config.executor.breaker_failures = 1;
  config.executor.breaker_open_ms = 1000;
  config.executor.threads = 1;
  adapter->safe = false;
  MarkRefusingStore refusing(*store);
  http.script.push_back(HttpResponse{502, {}, ""});
  StoreBatch b;
  b.calls = {call("8")};
  ASSERT_TRUE(store->commit(b));
  Executor executor(config, refusing, producer, http, adapters, clock, nullptr, metrics);
  executor.start();
  ASSERT_TRUE(inputs.wait_until([](const auto& recs) { return recs.size() >= 1; }));
  EXPECT_EQ(metrics.circuit_opened.load(), 1);

  clock.now += 1000;  // half-open: the next call is the trial, and its attempt cannot be recorded once
  refusing.refusals = 1;
  StoreBatch later;
  later.calls = {call("10")};
  ASSERT_TRUE(store->commit(later));
  executor.notify();
  ASSERT_TRUE(inputs.wait_until([](const auto& recs) { return recs.size() >= 2; }));
  executor.stop();
  EXPECT_EQ(refusing.refusals.load(), 0);
  const auto records = inputs.records();
  EXPECT_EQ(get_string(records.back(), "name"), "paid");
  EXPECT_EQ(http.count(), 2u);
  EXPECT_EQ(metrics.circuit_open.value({"acme"}), 0);
}

// A store that hands the executor its pending calls partition 0 first.
class PartitionZeroFirstStore final : public corridor::testing::DelegatingStore {
 public:
  using DelegatingStore::DelegatingStore;
  Result<std::vector<PendingCall>> pending_calls(std::size_t limit, PartitionFilter only) override {
    auto calls = DelegatingStore::pending_calls(limit, only);
    if (calls) std::stable_partition(calls->begin(), calls->end(), [](const PendingCall& c) { return c.partition == 0; });
    return calls;
  }
};

// The trial of a half-open circuit held by a call sent at most once whose partition is no longer
// owned here when it is about to leave: the call is not made (no fence to record its attempt under),
// and the trial goes to the next call, which closes the circuit. Without the give-back the next call
// would be refused as "circuit open" for a trial nobody is making.
TEST_F(ExecutorTest, ATrialWhosePartitionIsGoneGoesToTheNextCall) {
  config.executor.breaker_failures = 1;
  config.executor.breaker_open_ms = 1000;
  config.executor.threads = 1;  // one worker: the calls are tried in the order handed over
  adapter->safe = false;
  Ownership ownership(config.kafka.inputs, false);
  std::int64_t epochs[2] = {};
  for (const std::int32_t p : {0, 1}) {
    const auto epoch = store->claim_partition(config.kafka.inputs, p, "here");
    ASSERT_TRUE(epoch);
    epochs[p] = *epoch;
    ownership.claimed(p, *epoch);
  }
  // Partition 0 is revoked while call 10's request is being built: after the executor checked that
  // it owns the call, before the attempt is recorded.
  std::atomic<bool> revoke{false};
  std::mutex built_mu;
  std::vector<std::string> built;
  adapter->on_build = [&](const ProviderCall& c) {
    {
      std::lock_guard lock(built_mu);
      built.push_back(c.call_id);
    }
    if (c.call_id == call("10").call_id && revoke.exchange(false)) ownership.released(0);
  };
  PartitionZeroFirstStore ordered(*store);
  http.script.push_back(HttpResponse{502, {}, ""});
  StoreBatch b;
  b.calls = {call("8")};
  b.call_partitions = {1};
  ASSERT_TRUE(store->commit(b));
  Executor executor(config, ordered, producer, http, adapters, clock, nullptr, metrics, nullptr, &ownership);
  executor.start();
  ASSERT_TRUE(inputs.wait_until([](const auto& recs) { return recs.size() >= 1; }));
  EXPECT_EQ(get_string(inputs.records().front(), "name"), "call.failed");
  EXPECT_EQ(metrics.circuit_opened.load(), 1);

  // Half-open. Call 10 (partition 0) is handed over first and takes the trial; its partition goes
  // before it leaves. Call 11 (partition 1) comes next.
  clock.now += 1000;
  revoke = true;
  StoreBatch later;
  later.calls = {call("10"), call("11")};
  later.call_partitions = {0, 1};
  ASSERT_TRUE(store->commit(later));
  executor.notify();
  const std::string eleven = call("11").answer_input_id();
  ASSERT_TRUE(inputs.wait_until([&](const auto& recs) {
    return std::any_of(recs.begin(), recs.end(), [&](const auto& r) { return get_string(r, "input_id") == eleven; });
  }));
  {
    std::lock_guard lock(built_mu);
    ASSERT_EQ(built, (std::vector<std::string>{call("8").call_id, call("10").call_id, call("11").call_id}));
  }
  EXPECT_FALSE(revoke.load());  // partition 0 went while call 10 was on its way
  for (const auto& r : inputs.records()) {
    if (get_string(r, "input_id") == eleven) {
      EXPECT_EQ(get_string(r, "name"), "paid");
    }
  }
  EXPECT_EQ(http.count(), 2u);  // call 10 never left
  EXPECT_EQ(metrics.circuit_open.value({"acme"}), 0);

  // Partition 0 back here: call 10 is made, through the closed circuit.
  ownership.claimed(0, epochs[0]);
  executor.notify();
  const std::string ten = call("10").answer_input_id();
  ASSERT_TRUE(inputs.wait_until([&](const auto& recs) {
    return std::any_of(recs.begin(), recs.end(), [&](const auto& r) { return get_string(r, "input_id") == ten; });
  }));
  executor.stop();
  for (const auto& r : inputs.records()) {
    if (get_string(r, "input_id") == ten) {
      EXPECT_EQ(get_string(r, "name"), "paid");
    }
  }
  EXPECT_EQ(http.count(), 3u);
}

}  // namespace
}  // namespace corridor
