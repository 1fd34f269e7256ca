// lifecycle_per_s, lifecycle_p50_ms, lifecycle_p99_ms: complete NovaSend payins through the whole
// Runtime (embedded Kafka, SQLite store, router, processor, relay, executor, ingress) against the
// NovaSend sandbox over loopback HTTP, from the command published on corridor.commands to its final
// event consumed from corridor.events. Two runs: a fixed offered load of 1,000/s, and saturation
// (every command published at once). Each payin is: create -> POST /v1/payin/sessions -> webhook
// payin.confirmed -> GET /v1/payin/{reference} -> succeeded (five events).
// The sandbox's simulated customer confirms after `customer_delay` (0 here: the engine's own latency
// is measured, not a human's; the JSON says so). Prints JSON lines; asserts nothing.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <algorithm>
#include <array>
#include <map>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "bench/bench_support.hpp"
#include "engine/pipeline/commands.hpp"
#include "engine/io/kafka.hpp"
#include "engine/runtime/runtime.hpp"
#include "sandbox/novasend/novasend_sandbox.hpp"

using namespace corridor;
using namespace corridor::bench;
using SteadyClock = std::chrono::steady_clock;

namespace {

bool final_status(std::string_view s) {
  return s == "succeeded" || s == "failed" || s == "declined" || s == "expired" || s == "cancelled" || s == "unknown";
}

struct Run {
  std::string label;
  double rate = 0;  // commands per second; 0: all at once
  int count = 0;
};

constexpr int kSandboxTaskThreads = 16;

void run(const Run& spec, std::chrono::milliseconds customer_delay) {
  TempDir dir;
  Config config = bench_config("embedded", dir.path());
  // The benchmark's own clients poll the embedded cluster as the engine's do.
  config.kafka.properties = EmbeddedKafka::client_properties();
  // CORRIDOR_BENCH_KAFKA="linger.ms=1,fetch.wait.max.ms=5": librdkafka settings to try, for every client.
  if (const char* extra = std::getenv("CORRIDOR_BENCH_KAFKA")) {
    std::string_view rest = extra;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      const std::string_view item = rest.substr(0, comma);
      if (const auto eq = item.find('='); eq != std::string_view::npos)
        config.kafka.properties[std::string(item.substr(0, eq))] = std::string(item.substr(eq + 1));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  config.sandbox.enabled = false;
  NovaSendSandboxOptions options;
  options.api_key = config.providers["novasend"]["api_key"];
  options.api_client = config.providers["novasend"]["api_client"];
  options.webhook_secret = config.providers["novasend"]["webhook_secret"];
  options.customer_delay = customer_delay;
  // A provider delivers many webhooks at once; the sandbox's default (2) would bound the engine.
  options.task_threads = kSandboxTaskThreads;
  NovaSendSandbox sandbox(options);
  sandbox.start();
  config.providers["novasend"]["base_url"] = sandbox.base_url();
  const std::string commands_topic = config.kafka.commands, events_topic = config.kafka.events;

  Runtime runtime(config);
  runtime.start();
  sandbox.set_webhook_url(runtime.public_url() + "/webhooks/novasend");

  // Every payment of the run, the warm-up one first.
  const int n = spec.count + 1;
  std::vector<std::string> keys(n), bodies(n);
  std::unordered_map<std::string, int> index_of;
  for (int i = 0; i < n; ++i) {
    const std::string reference = "LC-" + spec.label + "-" + std::to_string(i);
    keys[i] = "ZANDO:" + reference;
    bodies[i] = boost::json::serialize(bench::payin_command(reference));
    index_of[derive_txn_id("ZANDO", reference)] = i;
  }
  std::vector<SteadyClock::time_point> published(n), finished(n);
  std::vector<std::atomic<bool>> done(n);
  // When each event version of a payment was consumed: where the time goes, hop by hop.
  constexpr int kVersions = 6;
  std::vector<std::array<SteadyClock::time_point, kVersions>> seen_at(n);
  std::map<std::string, int, std::less<>> final_statuses;
  std::atomic<int> completed{0}, not_succeeded{0};

  std::atomic<bool> stop{false};
  KafkaConsumer consumer(runtime.bootstrap(), "bench-lifecycle-" + spec.label, config.kafka.properties);
  consumer.assign_all(events_topic, [](const std::string&, std::int32_t) -> std::int64_t { return -1; });
  std::thread collector([&] {
    while (!stop.load()) {
      for (const auto& m : consumer.poll(1000, std::chrono::milliseconds(20))) {
        if (!m.error().empty()) continue;
        const auto now = SteadyClock::now();
        boost::system::error_code ec;
        auto v = boost::json::parse(m.value(), ec);
        if (ec || !v.is_object()) continue;
        const auto& e = v.get_object();
        const std::string_view status = get_string(e, "status");
        auto it = index_of.find(std::string(get_string(e, "txn_id")));
        if (it == index_of.end() || done[it->second].load()) continue;
        if (const auto version = get_int(e, "version"); version >= 1 && version <= kVersions)
          seen_at[it->second][static_cast<std::size_t>(version - 1)] = now;
        if (!final_status(status)) continue;
        ++final_statuses[std::string(status)];
        finished[it->second] = now;  // only this thread writes: published by the store below
        done[it->second].store(true);
        if (status != "succeeded") ++not_succeeded;
        ++completed;
      }
    }
  });

  KafkaProducer producer(runtime.bootstrap(), config.kafka.properties);
  // Warm-up: one payin end to end, so that consumers are assigned and connections are open.
  published[0] = SteadyClock::now();
  producer.produce(commands_topic, keys[0], bodies[0], [](const std::string&) {});
  const auto warm_deadline = SteadyClock::now() + std::chrono::seconds(30);
  while (!done[0].load() && SteadyClock::now() < warm_deadline) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const double warmup_ms = std::chrono::duration<double, std::milli>(finished[0] - published[0]).count();

  const auto t0 = SteadyClock::now();
  for (int i = 1; i < n; ++i) {
    if (spec.rate > 0)
      std::this_thread::sleep_until(t0 + std::chrono::nanoseconds(static_cast<std::int64_t>((i - 1) * 1e9 / spec.rate)));
    published[i] = SteadyClock::now();
    producer.produce(commands_topic, keys[i], bodies[i], [](const std::string&) {});
  }
  const double publish_s = seconds_since(t0);
  const auto deadline = SteadyClock::now() + std::chrono::seconds(60);
  while (completed.load() < n && SteadyClock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  stop = true;
  collector.join();

  std::vector<double> latencies;
  SteadyClock::time_point last = t0;
  for (int i = 1; i < n; ++i) {
    if (!done[i].load()) continue;
    latencies.push_back(std::chrono::duration<double, std::milli>(finished[i] - published[i]).count());
    last = std::max(last, finished[i]);
  }
  std::sort(latencies.begin(), latencies.end());
  // Median time from the command's publication to each event version, over completed payments.
  std::string hops;
  for (int v = 0; v < kVersions; ++v) {
    std::vector<double> at;
    for (int i = 1; i < n; ++i)
      if (done[i].load() && seen_at[i][v] != SteadyClock::time_point{})
        at.push_back(std::chrono::duration<double, std::milli>(seen_at[i][v] - published[i]).count());
    if (at.empty()) continue;
    std::nth_element(at.begin(), at.begin() + static_cast<std::ptrdiff_t>(at.size() / 2), at.end());
    hops += (hops.empty() ? "" : ",") + std::string("\"v") + std::to_string(v + 1) + "\":" +
            std::to_string(static_cast<long long>(at[at.size() / 2]));
  }
  std::string statuses;
  for (const auto& [status, count] : final_statuses)
    statuses += (statuses.empty() ? "" : ",") + std::string("\"") + status + "\":" + std::to_string(count);
  auto pct = [&](double p) {
    if (latencies.empty()) return -1.0;
    return latencies[std::min(latencies.size() - 1, static_cast<std::size_t>(p * static_cast<double>(latencies.size())))];
  };
  const double span = std::chrono::duration<double>(last - t0).count();
  const double per_s = span > 0 ? static_cast<double>(latencies.size()) / span : 0;
  const std::string load = spec.rate > 0 ? spec.label + "/s" : "saturation";
  std::printf("{\"name\":\"lifecycle_per_s\",\"load\":\"%s\",\"value\":%.0f,\"unit\":\"payins/s\",\"completed\":%zu,"
              "\"offered\":%d,\"not_succeeded\":%d,\"seconds\":%.2f,\"publish_seconds\":%.2f,\"customer_delay_ms\":%lld,"
              "\"partitions\":%d,\"warmup_ms\":%.1f,\"sandbox_task_threads\":%d}\n",
              load.c_str(), per_s, latencies.size(), spec.count, not_succeeded.load(), span, publish_s,
              static_cast<long long>(customer_delay.count()), config.kafka.partitions, warmup_ms, kSandboxTaskThreads);
  std::printf("{\"name\":\"lifecycle_p50_ms\",\"load\":\"%s\",\"value\":%.1f,\"unit\":\"ms\"}\n", load.c_str(), pct(0.50));
  std::printf("{\"name\":\"lifecycle_p99_ms\",\"load\":\"%s\",\"value\":%.1f,\"unit\":\"ms\",\"max_ms\":%.1f}\n", load.c_str(),
              pct(0.99), latencies.empty() ? -1.0 : latencies.back());
  std::printf("{\"name\":\"lifecycle_event_p50_ms\",\"load\":\"%s\",\"by_version\":{%s},\"final_statuses\":{%s}}\n",
              load.c_str(), hops.c_str(), statuses.c_str());
  std::fflush(stdout);
  runtime.stop();
}

}  // namespace

int main(int argc, char** argv) {
  // Bounded: 10 s at 1,000/s, then 10,000 payins at once (each run waits at most 60 s more).
  const int fixed = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int burst = argc > 2 ? std::atoi(argv[2]) : 10000;
  const std::chrono::milliseconds customer_delay(argc > 3 ? std::atoi(argv[3]) : 0);
  const double rate = argc > 4 ? std::atof(argv[4]) : 1000.0;
  run({rate == 1000.0 ? "1000" : std::to_string(static_cast<int>(rate)), rate, fixed}, customer_delay);
  run({"saturation", 0, burst}, customer_delay);
  return 0;
}
