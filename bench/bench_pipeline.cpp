// pipeline_inputs_per_s, bare_pipeline_inputs_per_s and pipeline_vs_bare, in the same run.
//
// corridor.inputs on embedded Kafka is pre-loaded with NovaSend payins' happy paths, records shaped as
// the router, the executor and the ingress produce them (create, session answer, webhook, status
// answer), so provider HTTP is not measured. Then:
//  - pipeline: the Processor (BatchProcessor + one durable SQLite commit per batch, as corridor runs
//    it) and the relay publishing the outbox to corridor.events; timed from the start of the
//    processor to the acknowledgement of the last event;
//  - bare: the same records consumed, batch-inserted into SQLite with the same durability (WAL,
//    synchronous=FULL, one transaction per polled batch) and as many records produced to Kafka as the
//    pipeline published events, of the same average size; timed the same way.
// Prints JSON lines; asserts nothing. `bench_pipeline [payins] [batch_size]`: 20,000 payins and
// corridor's processor.batch_size (5,000) without them; both runs poll batches of that size.
#include <pthread.h>
#include <sqlite3.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>

#include "bench/bench_support.hpp"
#include "engine/pipeline/relay.hpp"
#include "engine/io/kafka.hpp"
#include "engine/pipeline/processor.hpp"
#include "engine/store/store.hpp"

using namespace corridor;
using namespace corridor::bench;

namespace {

struct Preloaded {
  std::size_t inputs = 0;
  std::size_t events = 0;
  std::size_t event_bytes = 0;
  std::size_t input_bytes = 0;
  std::size_t resent = 0;
};

Preloaded preload(const Config& config, KafkaProducer& producer, int payments) {
  Preloaded p;
  constexpr int kWave = 500;  // payments per wave: their creates, then answers, then webhooks, then checks
  const std::int64_t t0 = 1795867200000;
  for (int base = 0; base < payments; base += kWave) {
    std::vector<std::vector<InputBytes>> wave;
    for (int i = base; i < std::min(payments, base + kWave); ++i)
      wave.push_back(novasend_payin_inputs(config, i, t0 + i, true, &p.events, &p.event_bytes));
    for (std::size_t k = 0; k < wave.front().size(); ++k) {
      // One kind at a time, every record acknowledged before the next kind goes: a transaction's
      // inputs stay in order even when a record has to be sent again.
      std::vector<char> failed(wave.size(), 0);
      std::atomic<std::size_t> answered{0};
      for (std::size_t j = 0; j < wave.size(); ++j) {
        producer.produce(config.kafka.inputs, wave[j][k].key, wave[j][k].value,
                         [&failed, &answered, j](const std::string& e) {
                           if (!e.empty()) failed[j] = 1;
                           ++answered;
                         });
      }
      while (answered.load() < wave.size()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      for (std::size_t j = 0; j < wave.size(); ++j) {
        while (failed[j] && !producer.produce_sync(config.kafka.inputs, wave[j][k].key, wave[j][k].value)) {
        }
        if (failed[j]) ++p.resent;
        ++p.inputs;
        p.input_bytes += wave[j][k].value.size();
      }
    }
  }
  return p;
}

struct RunResult {
  double seconds = 0;
  double cpu_seconds = 0;  // every thread of the process, the embedded cluster's included
  std::size_t inputs = 0;
  std::size_t produced = 0;
  std::size_t batches = 0;
};

RunResult run_pipeline(const Config& config, const Preloaded& pre) {
  auto store = open_sqlite_store(config.store.path);
  KafkaProducer producer(config.kafka.bootstrap, config.kafka.properties);
  Metrics metrics;
  Signal wake;
  std::atomic<bool> stop_processor{false}, stop_relay{false};
  std::atomic<std::size_t> inputs{0}, batches{0};
  Processor processor(*store, config,
                      Processor::Hooks{[&] {
                                         ++batches;
                                         wake.notify();
                                       },
                                       [&](const BatchStats& s) {
                                         inputs += s.applied + s.duplicates + s.rejected + s.deadlettered;
                                       }});
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = process_cpu_seconds();
  Health health;
  SystemClock clock;
  std::thread relay([&] { run_relay(config, *store, producer, wake, clock, metrics, health, stop_relay); });
  std::thread proc([&] {
    pthread_setname_np(pthread_self(), "corridor-proc");  // as the Runtime names it
    processor.run(config.kafka.bootstrap, stop_processor);
  });
  const auto deadline = t0 + std::chrono::seconds(120);
  while (static_cast<std::size_t>(metrics.events_published.load()) < pre.events &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  RunResult r{seconds_since(t0), process_cpu_seconds() - cpu0, inputs.load(),
              static_cast<std::size_t>(metrics.events_published.load()), batches.load()};
  stop_processor = true;
  proc.join();
  stop_relay = true;
  wake.notify();
  relay.join();
  return r;
}

void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "?";
    sqlite3_free(err);
    throw std::runtime_error(std::string(sql) + ": " + msg);
  }
}

RunResult run_bare(const Config& config, const Preloaded& pre, const std::string& db_path) {
  sqlite3* db = nullptr;
  if (sqlite3_open(db_path.c_str(), &db) != SQLITE_OK) throw std::runtime_error("open bare db");
  exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
  exec(db,
       "CREATE TABLE inputs (topic TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL, value TEXT NOT "
       "NULL, PRIMARY KEY (topic, partition, offset)) WITHOUT ROWID");
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO inputs (topic, partition, offset, value) VALUES (?, ?, ?, ?)", -1, &insert,
                     nullptr);

  const std::string payload(pre.event_bytes / pre.events, 'x');
  const std::string topic = "bench.bare.events";
  KafkaProducer producer(config.kafka.bootstrap, config.kafka.properties);
  std::atomic<std::size_t> acked{0};
  RunResult r;
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = process_cpu_seconds();
  KafkaConsumer consumer(config.kafka.bootstrap, "bench-bare", config.kafka.properties);
  consumer.assign_all(config.kafka.inputs, [](const std::string&, std::int32_t) -> std::int64_t { return -1; });
  const auto deadline = t0 + std::chrono::seconds(120);
  while (r.inputs < pre.inputs && std::chrono::steady_clock::now() < deadline) {
    auto messages = consumer.poll(static_cast<std::size_t>(config.processor.batch_size), std::chrono::milliseconds(100));
    if (messages.empty()) continue;
    exec(db, "BEGIN IMMEDIATE");
    for (const auto& m : messages) {
      if (!m.error().empty()) continue;
      const std::string t(m.topic());
      sqlite3_bind_text(insert, 1, t.data(), static_cast<int>(t.size()), SQLITE_TRANSIENT);
      sqlite3_bind_int(insert, 2, m.partition());
      sqlite3_bind_int64(insert, 3, m.offset());
      sqlite3_bind_text(insert, 4, m.value().data(), static_cast<int>(m.value().size()), SQLITE_TRANSIENT);
      sqlite3_step(insert);
      sqlite3_reset(insert);
    }
    exec(db, "COMMIT");
    ++r.batches;
    for (const auto& m : messages) {
      if (!m.error().empty()) continue;
      // As many records out as the pipeline publishes events for these inputs.
      const std::size_t i = r.inputs++;
      const std::size_t n = (i + 1) * pre.events / pre.inputs - i * pre.events / pre.inputs;
      for (std::size_t k = 0; k < n; ++k) {
        producer.produce(topic, m.key(), payload, [&acked](const std::string&) { ++acked; });
        ++r.produced;
      }
    }
  }
  while (acked.load() < r.produced && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  r.seconds = seconds_since(t0);
  r.cpu_seconds = process_cpu_seconds() - cpu0;
  sqlite3_finalize(insert);
  sqlite3_close(db);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const int payments = argc > 1 ? std::atoi(argv[1]) : 20000;
  TempDir dir;
  EmbeddedKafka kafka(3);
  Config config = bench_config(kafka.bootstrap(), dir.path());
  if (argc > 2) config.processor.batch_size = std::atoi(argv[2]);  // the processor's batch, corridor's default without it
  for (const auto& t : {config.kafka.inputs, config.kafka.events, config.kafka.deadletter, std::string("bench.bare.events")})
    kafka.create_topic(t, config.kafka.partitions);

  Preloaded pre;
  {
    KafkaProducer producer(kafka.bootstrap(), config.kafka.properties);
    const auto t0 = std::chrono::steady_clock::now();
    pre = preload(config, producer, payments);
    std::fprintf(stderr, "bench_pipeline: preloaded %zu inputs (%d payins, %zu events expected, %zu sent again) in %.1f s\n",
                 pre.inputs, payments, pre.events, pre.resent, seconds_since(t0));
  }

  const RunResult p = run_pipeline(config, pre);
  const RunResult b = run_bare(config, pre, dir.path() + "/bare.db");
  if (p.inputs < pre.inputs || p.produced < pre.events || b.inputs < pre.inputs)
    std::fprintf(stderr, "bench_pipeline: a run did not finish within 120 s: its figure counts what it did\n");
  const double pipeline = static_cast<double>(p.inputs) / p.seconds;
  const double bare = static_cast<double>(b.inputs) / b.seconds;
  std::printf("{\"name\":\"pipeline_inputs_per_s\",\"value\":%.0f,\"unit\":\"inputs/s\",\"inputs\":%zu,\"events\":%zu,"
              "\"batches\":%zu,\"seconds\":%.2f,\"cpu_us_per_input\":%.1f,\"partitions\":%d,\"batch_size\":%lld,\"input_bytes_avg\":%.0f,"
              "\"mix\":\"novasend.payin: create, session.created, payin.confirmed webhook, status.checked\"}\n",
              pipeline, p.inputs, p.produced, p.batches, p.seconds, p.cpu_seconds * 1e6 / static_cast<double>(p.inputs),
              config.kafka.partitions,
              static_cast<long long>(config.processor.batch_size),
              static_cast<double>(pre.input_bytes) / static_cast<double>(pre.inputs));
  std::printf("{\"name\":\"bare_pipeline_inputs_per_s\",\"value\":%.0f,\"unit\":\"inputs/s\",\"inputs\":%zu,"
              "\"produced\":%zu,\"batches\":%zu,\"seconds\":%.2f,\"cpu_us_per_input\":%.1f}\n",
              bare, b.inputs, b.produced, b.batches, b.seconds, b.cpu_seconds * 1e6 / static_cast<double>(b.inputs));
  std::printf("{\"name\":\"pipeline_vs_bare\",\"value\":%.3f,\"unit\":\"ratio\"}\n", pipeline / bare);
  return 0;
}
