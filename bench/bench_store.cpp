// rss_mb and store_bytes_per_txn after 1,000,000 stored transactions, and restart_s: on SQLite, then
// on PostgreSQL 15 in the same run (a server started as the tests start theirs, tests/support/
// postgres.hpp, with fsync on: commits are as durable as SQLite's synchronous=FULL). Each line says
// its store ("store": "sqlite" | "postgres").
//
// The store is filled directly through BatchProcessor + Store::commit (no Kafka), in large batches of
// synthetic NovaSend payins: the create command, the session answer and the status answer that
// completes it (create -> session_requested -> awaiting_confirmation -> succeeded, four events).
// Each batch holds the creates of one group, the session answers of the group before and the status
// answers of the group before that, so most inputs load their transaction from the store. Between
// batches the outbox and the call rows are deleted, as the relay and the executor would have done.
// Then the Runtime is started on that store (embedded Kafka, sandboxes) and restart_s is the time
// from Runtime::start to the first event of a new command consumed from corridor.events.
// Prints JSON lines; asserts nothing.
#include <libpq-fe.h>
#include <sqlite3.h>

#include <boost/json/serialize.hpp>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <thread>

#include "bench/bench_support.hpp"
#include "engine/cli/sandboxes.hpp"
#include "engine/pipeline/commands.hpp"
#include "engine/io/kafka.hpp"
#include "engine/pipeline/processor.hpp"
#include "engine/runtime/runtime.hpp"
#include "engine/store/open_store.hpp"
#include "engine/store/store.hpp"
#include "tests/support/postgres.hpp"

using namespace corridor;
using namespace corridor::bench;

namespace {

constexpr std::int64_t kT0 = 1795867200000;
const std::string kTopic = "bench.synthetic.inputs";  // not corridor.inputs: the runtime's log starts empty

std::string txn_of(std::int64_t i) { return derive_txn_id("ZANDO", "M" + std::to_string(i)); }

std::string create_record(std::int64_t i) {
  const std::string reference = "M" + std::to_string(i);
  Input in{"cmd:cmd-" + reference, derive_txn_id("ZANDO", reference), InputKind::command, "payment.create", kT0 + i,
           bench::payin_command(reference)};
  return boost::json::serialize(to_json(in));
}

json::object session_view(const std::string& txn, std::int64_t i) {
  return {{"type", "payin"},         {"fee", 6},
          {"reference", "tr_" + std::to_string(i)}, {"phoneNumber", "+2250700000001"},
          {"customerName", "John Doe"},   {"amount", 300},
          {"chargedAmount", 306},          {"status", "processing"},
          {"currency", "XOF"},             {"customerReference", txn},
          {"confirmationRequired", true},  {"confirmationStatus", "none"},
          {"paymentUrl", "http://127.0.0.1:40000/link/abcdefghij"}, {"createdAt", "2026-11-22T10:00:00.050Z"}};
}

std::string session_record(std::int64_t i) {
  const std::string txn = txn_of(i);
  Input in{txn + ":1:create_session", txn, InputKind::provider_response, "session.created", kT0 + i + 50,
           session_view(txn, i)};
  return boost::json::serialize(to_json(in));
}

std::string checked_record(std::int64_t i) {
  const std::string txn = txn_of(i);
  json::object v = session_view(txn, i);
  v["status"] = "processed";
  v["confirmationStatus"] = "accepted";
  v["transaction"] = json::object{{"reference", "tr_core" + std::to_string(i)}, {"status", "completed"},
                                  {"amount", "300.00"}, {"fees", "0.00"}, {"chargedAmount", "306.00"}, {"currency", "XOF"}};
  v["failure"] = nullptr;
  Input in{txn + ":4:check_status", txn, InputKind::provider_response, "status.checked", kT0 + i + 150, std::move(v)};
  return boost::json::serialize(to_json(in));
}

// Fills `store` as the header says; the relay's and the executor's deletions through `clear_side`.
// Prints the fill's lines; false when a batch fails.
bool fill(Store& store, const Config& config, const std::string& kind, std::int64_t total,
          const std::function<void()>& clear_side, const std::function<std::int64_t()>& store_bytes) {
  const std::int64_t group = 2000;  // a batch: 2,000 creates + 2,000 session answers + 2,000 completions
  const double rss_start = rss_mb();
  std::int64_t applied = 0, events = 0, batches = 0;
  double process_s = 0, commit_s = 0;
  const auto t_fill = std::chrono::steady_clock::now();
  BatchProcessor processor(store, config);
  std::vector<std::int64_t> next_offset(12, 0);
  auto record = [&](std::vector<InputRecord>& out, std::int64_t i, std::string value) {
    const auto p = static_cast<std::int32_t>(i % 12);
    out.push_back({kTopic, p, next_offset[static_cast<std::size_t>(p)]++, kT0 + i, std::move(value)});
  };
  for (std::int64_t g = 0; g * group < total + 2 * group; ++g) {
    std::vector<InputRecord> records;
    records.reserve(3 * group);
    for (std::int64_t i = g * group; i < std::min(total, (g + 1) * group); ++i) record(records, i, create_record(i));
    for (std::int64_t i = (g - 1) * group; g >= 1 && i < std::min(total, g * group); ++i)
      record(records, i, session_record(i));
    for (std::int64_t i = (g - 2) * group; g >= 2 && i < std::min(total, (g - 1) * group); ++i)
      record(records, i, checked_record(i));
    if (records.empty()) break;
    BatchStats stats;
    auto t0 = std::chrono::steady_clock::now();
    auto batch = processor.process(records, stats);
    process_s += seconds_since(t0);
    if (!batch) {
      std::fprintf(stderr, "bench_store: %s\n", batch.error().message.c_str());
      return false;
    }
    t0 = std::chrono::steady_clock::now();
    if (auto r = store.commit(*batch); !r) {
      std::fprintf(stderr, "bench_store: %s\n", r.error().message.c_str());
      return false;
    }
    commit_s += seconds_since(t0);
    applied += static_cast<std::int64_t>(stats.applied);
    events += static_cast<std::int64_t>(stats.events);
    ++batches;
    clear_side();
    if (batches % 100 == 0)
      std::fprintf(stderr, "bench_store: %s: %lld transactions, %.0f s\n", kind.c_str(),
                   static_cast<long long>(g * group), seconds_since(t_fill));
  }
  auto count = store.count_transactions();
  const double fill_s = seconds_since(t_fill);
  const std::int64_t bytes = store_bytes();
  const std::int64_t txns = count ? *count : -1;
  const char* k = kind.c_str();
  std::printf("{\"name\":\"store_fill_s\",\"store\":\"%s\",\"value\":%.1f,\"unit\":\"s\",\"transactions\":%lld,"
              "\"inputs_applied\":%lld,\"events\":%lld,\"batches\":%lld,\"process_s\":%.1f,\"commit_s\":%.1f,"
              "\"inputs_per_s\":%.0f,\"commit_ms_per_batch\":%.1f}\n",
              k, fill_s, static_cast<long long>(txns), static_cast<long long>(applied), static_cast<long long>(events),
              static_cast<long long>(batches), process_s, commit_s, static_cast<double>(applied) / fill_s,
              1000.0 * commit_s / static_cast<double>(batches));
  std::printf("{\"name\":\"store_bytes_per_txn\",\"store\":\"%s\",\"value\":%.0f,\"unit\":\"bytes\",\"store_bytes\":%lld,"
              "\"transactions\":%lld,\"holds\":\"transaction doc, 4 events of history, 3 processed input ids\"}\n",
              k, static_cast<double>(bytes) / static_cast<double>(txns), static_cast<long long>(bytes),
              static_cast<long long>(txns));
  std::printf("{\"name\":\"rss_mb\",\"store\":\"%s\",\"phase\":\"after filling the store (BatchProcessor + commit)\","
              "\"value\":%.1f,\"unit\":\"MB\",\"peak_mb\":%.1f,\"at_start_mb\":%.1f,\"transactions\":%lld}\n",
              k, rss_mb(), peak_rss_mb(), rss_start, static_cast<long long>(txns));
  std::fflush(stdout);
  return true;
}

// The whole Runtime on the filled store, then one new command to its first event.
void restart(const Config& config, const std::string& kind) {
  const auto t_start = std::chrono::steady_clock::now();
  RuntimeOptions options;
  options.start_sandboxes = start_sandboxes;
  Runtime runtime(config, options);
  runtime.start();
  const double start_s = seconds_since(t_start);
  KafkaProducer producer(runtime.bootstrap());
  const std::string reference = "RESTART-1";
  const std::string txn = derive_txn_id("ZANDO", reference);
  producer.produce(config.kafka.commands, "ZANDO:" + reference, boost::json::serialize(bench::payin_command(reference)),
                   [](const std::string&) {});
  KafkaConsumer consumer(runtime.bootstrap(), "bench-restart");
  consumer.assign_all(config.kafka.events, [](const std::string&, std::int32_t) -> std::int64_t { return -1; });
  bool seen = false;
  const auto deadline = t_start + std::chrono::seconds(120);
  while (!seen && std::chrono::steady_clock::now() < deadline) {
    for (const auto& m : consumer.poll(100, std::chrono::milliseconds(5)))
      if (m.error().empty() && m.key() == txn) seen = true;
  }
  const double restart_s = seconds_since(t_start);
  std::printf("{\"name\":\"restart_s\",\"store\":\"%s\",\"value\":%.3f,\"unit\":\"s\",\"first_event\":%s,"
              "\"runtime_start_s\":%.3f,"
              "\"from\":\"Runtime::start on the filled store to the first event of a new command consumed\"}\n",
              kind.c_str(), seen ? restart_s : -1.0, seen ? "true" : "false", start_s);
  std::printf("{\"name\":\"rss_mb\",\"store\":\"%s\",\"phase\":\"runtime running on the filled store\",\"value\":%.1f,"
              "\"unit\":\"MB\",\"peak_mb\":%.1f}\n",
              kind.c_str(), rss_mb(), peak_rss_mb());
  std::fflush(stdout);
  runtime.stop();
}

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t total = argc > 1 ? std::atoll(argv[1]) : 1000000;
  TempDir dir;
  Config config = bench_config("embedded", dir.path());
  {
    auto store = open_sqlite_store(config.store.path);
    sqlite3* side = nullptr;  // the relay and the executor, in bulk: outbox and calls emptied
    sqlite3_open(config.store.path.c_str(), &side);
    sqlite3_busy_timeout(side, 5000);
    const bool ok = fill(
        *store, config, "sqlite", total,
        [&] { sqlite3_exec(side, "DELETE FROM outbox; DELETE FROM calls;", nullptr, nullptr, nullptr); },
        [&] {
          sqlite3_exec(side, "PRAGMA wal_checkpoint(TRUNCATE);", nullptr, nullptr, nullptr);
          return file_bytes(config.store.path) + file_bytes(config.store.path + "-wal");
        });
    sqlite3_close(side);
    if (!ok) return 1;
  }
  restart(config, "sqlite");

  // PostgreSQL: the same fill and restart, on a server of this run's own.
  Config pg = bench_config("embedded", dir.path() + "/pg");
  pg.store.kind = "postgres";
  pg.store.url = testing::PostgresServer::shared({.durable = true}).fresh_database();
  {
    auto store = open_store(pg.store);
    if (!store) {
      std::fprintf(stderr, "bench_store: %s\n", store.error().message.c_str());
      return 1;
    }
    PGconn* side = PQconnectdb(pg.store.url.c_str());
    const bool ok = fill(
        **store, pg, "postgres", total,
        [&] { PQclear(PQexec(side, "DELETE FROM outbox; DELETE FROM calls;")); },
        [&] {
          auto size = (*store)->size_bytes();
          return size ? *size : -1;
        });
    PQfinish(side);
    if (!ok) return 1;
  }
  restart(pg, "postgres");
  return 0;
}
