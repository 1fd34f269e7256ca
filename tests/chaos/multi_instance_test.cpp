// The multi-instance chaos test (issue 15, item 4): `corridor kafka`, a PostgreSQL 15 of the test's own
// (tests/support/postgres.hpp), `corridor sandbox` as a process of its own and three `corridor run`
// in one Kafka group (kafka.assignment: group) on one PostgreSQL store, behind a balancer that sends
// the sandboxes' webhooks and return URLs to whichever engine is up, as a load balancer does in front
// of replicas. 2,000 payments over every provider's demo scenarios while engines are killed (SIGKILL),
// paused (SIGSTOP, then SIGCONT; some past the session timeout, so that the group gives their
// partitions away and they come back as zombies) and stopped and restarted, at moments drawn from a
// seed. Then the crash test's verdict (tests/chaos/chaos_judge.hpp), `corridor replay` on the
// PostgreSQL store must match, and the commits refused by fencing are counted from the engines'
// stderr ("... was taken by another process").
//
// One disruption at a time, as a deployment's failure budget allows (deploy/k8s: a disruption budget
// of one replica out of three): before the next one the groups must have settled again, every engine
// that runs ready, each partition of corridor.inputs owned and each of corridor.commands routed by
// exactly one of them, within a bounded wait that fails the test when it passes. Each disruption
// moves partitions through rebalances, and on the embedded cluster a rebalance of a group that has
// members stays open for the session timeout less a second; disruptions that do not wait for the
// last one's rebalances to end keep partitions unowned for tens of seconds and the payments on them
// rightly expire (their TTLs run from publication). How long each settling took is printed: it is the
// failover of that disruption. A settling that takes long prints each engine's partitions.
//
// Replay a run with CORRIDOR_CHAOS_SEED=<seed>; CORRIDOR_CHAOS_PAYMENTS overrides the 2,000 and
// CORRIDOR_CHAOS_ACTIONS the 16 disruptions; CORRIDOR_CHAOS_LOGS=<folder> keeps the processes' stderr.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/chaos/chaos_judge.hpp"
#include "tests/chaos/chaos_processes.hpp"
#include "tests/support/postgres.hpp"
#include "tests/support/runtime_harness.hpp"

#ifndef CORRIDOR_BINARY
#error "CORRIDOR_BINARY must name the corridor executable (tests/CMakeLists.txt)"
#endif

namespace corridor {
namespace {

using namespace chaos;
using chaos::Clock;  // not corridor::Clock, the runtime's seam

constexpr int kEngines = 3;
constexpr int kPartitions = 12;
// The group's session timeout in the engines' kafka.properties, shorter than corridor's 10 s so that
// a pause past it (a zombie) fits in a test of a few minutes; the long pauses are drawn beyond it.
constexpr int kSessionTimeoutMs = 6000;
// The TTLs (Interac handle, FlexPay page, Cynod wallet) run from the command's publication, and a
// partition waits out its rebalances: inputs were seen applied 15 to 25 s after their publication,
// where the crash test's 10 s expire them. 90 s is too long: the Interac handle's polls (the demo's
// max_polls) run out first and the expiry scenario ends unknown.
constexpr int kTtlSeconds = 45;
// The payments are published over about as long as the disruptions last (each waits for the group to
// settle, 10 to 25 s after a kill or a long pause), so that they meet payments at every stage.
constexpr auto kSliceEvery = std::chrono::milliseconds(2000);
// The longest a settling may take: a kill is seen after the session timeout, then a rebalance or two
// of the session less a second each; beyond this a partition has gone unowned for too long.
constexpr auto kSettleBound = std::chrono::seconds(60);
constexpr std::string_view kFencedLine = "was taken by another process";

// One engine's slot: the same port and configuration across restarts.
struct Slot {
  std::string config;
  std::string log;
  std::uint16_t port = 0;
  std::unique_ptr<Child> child;
  std::string operations;  // its operations listener, once printed
  bool paused = false;
  Clock::time_point paused_at{};
  Clock::time_point resume_at{};
};

std::size_t count_in(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

TEST(Chaos, ThreeEnginesOnePostgresKilledPausedAndRestarted) {
  const std::uint64_t seed = seed_from_env();
  const int kPayments = int_from_env("CORRIDOR_CHAOS_PAYMENTS", 2000);
  const int kActions = int_from_env("CORRIDOR_CHAOS_ACTIONS", 16);
  std::printf("chaos: seed %llu (replay: CORRIDOR_CHAOS_SEED=%llu), %d payments, %d engines, %d disruptions\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed), kPayments, kEngines, kActions);
  std::fflush(stdout);
  std::mt19937_64 rng(seed);
  setenv("CORRIDOR_CARD_KEY", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 0);

  testing::TempDir dir;
  const std::string log = dir.path() + "/stderr.log";
  const auto t0 = Clock::now();

  // 1. The database, the log, the balancer, the providers, then the engines.
  const std::string store_url = testing::PostgresServer::shared().fresh_database();
  const KafkaProcess kafka = start_kafka(CORRIDOR_BINARY, dir.path(), kPartitions, log);
  const std::string& bootstrap = kafka.bootstrap;

  std::mutex slots_mu;  // guards the slots' children and pause marks against the balancer's reads
  std::vector<Slot> slots(kEngines);
  Balancer balancer([&] {
    std::lock_guard lock(slots_mu);
    std::vector<std::uint16_t> up;
    for (const auto& s : slots)
      if (s.child && s.child->running() && !s.paused) up.push_back(s.port);
    return up;
  });
  const SandboxProcess sandboxes = start_sandboxes(CORRIDOR_BINARY, dir.path(), bootstrap, balancer.port(), log, kTtlSeconds);

  for (int i = 0; i < kEngines; ++i) {
    Slot& s = slots[static_cast<std::size_t>(i)];
    s.port = free_port();
    s.config = dir.path() + "/corridor-" + std::to_string(i) + ".yaml";
    s.log = dir.path() + "/engine-" + std::to_string(i) + ".log";
    EngineConfig c;
    c.bootstrap = bootstrap;
    c.partitions = kPartitions;
    c.store_kind = "postgres";
    c.store = store_url;
    c.port = s.port;
    c.public_url = "http://127.0.0.1:" + std::to_string(balancer.port());
    c.assignment = "group";
    c.kafka_properties = {{"session.timeout.ms", std::to_string(kSessionTimeoutMs)}, {"heartbeat.interval.ms", "1000"}};
    c.base_urls = sandboxes.base_urls;
    c.ttl_seconds = kTtlSeconds;
    write_file(s.config, config_yaml(c));
  }
  auto spawn = [&](Slot& s) {
    auto child = std::make_unique<Child>(CORRIDOR_BINARY, std::vector<std::string>{"run", "--config", s.config}, s.log);
    std::lock_guard lock(slots_mu);
    s.child = std::move(child);
    s.operations.clear();
    s.paused = false;
  };
  // Settled: every engine that runs unpaused answers ready and together they own each partition once.
  // The operations listeners of the engines that run unpaused (nullopt: one has not printed its own yet).
  auto running_engines = [&]() -> std::optional<std::vector<std::string>> {
    std::vector<std::string> running;
    for (auto& s : slots) {
      if (!s.child || !s.child->running() || s.paused) continue;
      if (s.operations.empty()) s.operations = s.child->line_after("operations listening: ", milliseconds(0)).value_or("");
      if (s.operations.empty()) return std::nullopt;
      running.push_back(s.operations);
    }
    return running;
  };
  auto group_settled_now = [&] {
    const auto running = running_engines();
    return running && group_settled(*running, kPartitions);
  };
  std::mutex settle_mu;
  std::condition_variable settle_never;
  std::vector<double> settle_s;  // how long each settling took
  // Waits (bounded by kSettleBound) for the group to settle; false when it did not.
  auto wait_group_settled = [&](const char* after) {
    const auto from = Clock::now();
    auto shown = from;
    bool settled = false;
    while (!(settled = group_settled_now()) && Clock::now() < from + kSettleBound) {
      if (Clock::now() - shown >= std::chrono::seconds(10)) {  // a settling that takes long shows how it stands
        shown = Clock::now();
        const auto running = running_engines();
        std::printf("chaos: %6.2fs not settled yet:\n%s", seconds_since(t0),
                    running ? describe_group(*running).c_str() : "    an engine is starting\n");
        std::fflush(stdout);
      }
      std::unique_lock lock(settle_mu);
      wait_until(lock, settle_never, Clock::now() + milliseconds(200), [] { return false; });
    }
    settle_s.push_back(seconds_since(from));
    std::printf("chaos: %6.2fs group %s %.2fs after %s\n", seconds_since(t0), settled ? "settled" : "NOT settled",
                settle_s.back(), after);
    std::fflush(stdout);
    return settled;
  };
  for (auto& s : slots) spawn(s);
  for (std::size_t i = 0; i < slots.size(); ++i)
    ASSERT_TRUE(slots[i].child->line_after("http listening: ", std::chrono::seconds(60)))
        << "corridor run " << i << " did not start; see " << slots[i].log;

  // 2. The payments, published in slices of 25 every 300 ms.
  Workload workload = make_workload(seed, kPayments, rng);
  KafkaProducer producer(bootstrap);
  EventLog log_of_events(bootstrap, workload.payments, producer);
  std::atomic<std::size_t> published{0};
  ASSERT_TRUE(wait_group_settled("the start")) << "the group did not settle; see the engines' logs in " << dir.path();
  std::thread publisher = publish_paced(workload, log_of_events, producer, published, kSliceEvery);

  // 3. The disruptions, one 0.5 to 2.5 s after the group settled from the previous one, each on an
  // engine that runs while the others run too: SIGKILL then a restart; SIGSTOP for 0.3 to 3 s (inside the session);
  // SIGSTOP for the session timeout plus 1 to 3 s (the group moves its partitions: a zombie when it
  // resumes); SIGTERM then a restart (a clean leave). The third is the third disruption whatever the
  // draw, so that every run has a zombie.
  enum Action { kKill, kShortPause, kLongPause, kRestart };
  const char* kActionNames[] = {"SIGKILL+restart", "SIGSTOP (short)", "SIGSTOP past the session", "SIGTERM+restart"};
  std::uniform_int_distribution<int> gap_ms(500, 2500), pick_action(0, 3), short_pause_ms(300, 3000),
      long_pause_extra_ms(1000, 3000);
  Disruptions disruptions;
  std::map<Action, int> done;
  std::mutex wait_mu;
  std::condition_variable never;
  auto pause_until = [&](Clock::time_point at) {
    std::unique_lock lock(wait_mu);
    wait_until(lock, never, at, [] { return false; });
  };
  auto resume = [&](Slot& s) {
    s.child->signal(SIGCONT);
    disruptions.add(s.paused_at, Clock::now());
    std::lock_guard lock(slots_mu);
    s.paused = false;
  };
  // Resumes the paused engines whose time has come, up to `until`, in order.
  auto resume_due = [&](Clock::time_point until) {
    for (;;) {
      Slot* next = nullptr;
      for (auto& s : slots)
        if (s.paused && s.resume_at <= until && (next == nullptr || s.resume_at < next->resume_at)) next = &s;
      if (next == nullptr) return;
      pause_until(next->resume_at);
      resume(*next);
      std::printf("chaos: %6.2fs engine %zu resumed (SIGCONT)\n", seconds_since(t0),
                  static_cast<std::size_t>(next - slots.data()));
    }
  };
  int unsettled = 0;
  for (int a = 0; a < kActions; ++a) {
    const int gap = gap_ms(rng);
    const Action action = a == 2 ? kLongPause : static_cast<Action>(pick_action(rng));
    const std::size_t target = static_cast<std::size_t>(std::uniform_int_distribution<int>(0, kEngines - 1)(rng));
    const int pause_ms = action == kShortPause ? short_pause_ms(rng) : kSessionTimeoutMs + long_pause_extra_ms(rng);
    // One engine disrupted at a time: a paused engine is resumed, and the group settles, before the
    // next disruption.
    resume_due(Clock::time_point::max());
    if (a > 0 && !wait_group_settled(("disruption " + std::to_string(a)).c_str())) ++unsettled;
    pause_until(Clock::now() + milliseconds(gap));
    // The drawn engine, or the next one that runs, when at least one other runs beside it.
    std::size_t running = 0;
    for (const auto& s : slots) running += !s.paused ? 1 : 0;
    if (running < 2) {
      std::printf("chaos: %6.2fs disruption %d skipped: only one engine runs\n", seconds_since(t0), a + 1);
      continue;
    }
    std::size_t i = target;
    while (slots[i].paused) i = (i + 1) % slots.size();
    Slot& s = slots[i];
    const auto now = Clock::now();
    switch (action) {
      case kKill:
      case kRestart:
        s.child->stop(action == kKill ? SIGKILL : SIGTERM);
        disruptions.add(now, now);
        spawn(s);  // not waited for: the next disruption may find it recovering
        break;
      case kShortPause:
      case kLongPause: {
        s.child->signal(SIGSTOP);
        {
          std::lock_guard lock(slots_mu);
          s.paused = true;
          s.paused_at = now;
          s.resume_at = now + milliseconds(pause_ms);
        }
        balancer.drop(s.port);
        break;
      }
    }
    ++done[action];
    std::printf("chaos: %6.2fs engine %zu %s%s, %zu payments published\n", seconds_since(t0), i, kActionNames[action],
                action == kShortPause || action == kLongPause ? (" for " + std::to_string(pause_ms) + " ms").c_str() : "",
                published.load());
    std::fflush(stdout);
  }
  resume_due(Clock::time_point::max());
  if (!wait_group_settled(("disruption " + std::to_string(kActions)).c_str())) ++unsettled;
  publisher.join();
  for (std::size_t i = 0; i < slots.size(); ++i)
    ASSERT_TRUE(slots[i].child->line_after("http listening: ", std::chrono::seconds(60)))
        << "corridor run " << i << " did not start after the disruptions; see " << slots[i].log;
  const double chaos_end = seconds_since(t0);
  std::printf("chaos: disruptions done at %.2fs; all %zu payments published; waiting for final statuses\n", chaos_end,
              published.load());
  std::fflush(stdout);

  // 4. Final statuses, then the sandboxes' charges.
  const auto final_deadline = Clock::now() + std::chrono::seconds(int_from_env("CORRIDOR_CHAOS_SETTLE_S", 180));
  const bool all_settled = wait_settled(log_of_events, workload, final_deadline);
  const double settled_at = seconds_since(t0);
  std::printf("chaos: %s at %.2fs\n", all_settled ? "every payment settled" : "deadline passed", settled_at);
  const auto charges = read_charges(sandboxes.base_urls);
  ASSERT_TRUE(charges) << "GET /_sandbox/charges failed";
  for (auto& s : slots) s.child->stop(SIGTERM);

  // 5. The commits refused by fencing, as each engine told on its stderr.
  std::size_t fenced = 0;
  for (std::size_t i = 0; i < slots.size(); ++i) {
    const std::size_t n = count_in(read_file(slots[i].log), kFencedLine);
    std::printf("chaos: engine %zu: %zu partition(s) given up after a refused commit or claim\n", i, n);
    fenced += n;
  }

  // 6. corridor replay on the PostgreSQL store: the log read again gives the store's states.
  Child replay(CORRIDOR_BINARY, {"replay", "--config", slots[0].config}, dir.path() + "/replay.log");
  const auto replay_rc = replay.wait_exit(std::chrono::seconds(300));
  std::ostringstream replay_out;
  for (const auto& l : replay.lines()) replay_out << "    " << l << "\n";

  std::lock_guard lock(log_of_events.mu);
  const Verdict verdict = judge(workload, log_of_events.events, disruptions, *charges, t0, true);

  std::printf("chaos: ---- what it did ----\n");
  std::printf("  seed %llu; %d payments over %zu scenarios of %zu providers; %d engines, %d partitions, session %d ms\n",
              static_cast<unsigned long long>(seed), kPayments, workload.scenarios, kProviders.size(), kEngines,
              kPartitions, kSessionTimeoutMs);
  std::printf("  disruptions:");
  for (const auto& [action, count] : done) std::printf(" %s=%d", kActionNames[action], count);
  std::printf("\n  chaos ended %.1fs, settled %.1fs, total %.1fs\n", chaos_end, settled_at, seconds_since(t0));
  std::printf("  commits refused by fencing (partitions given up, from the engines' stderr): %zu\n", fenced);
  if (settle_s.size() > 1)
    std::printf("  the group settled after each disruption in %.1fs at most (%d did not within %llds)\n",
                *std::max_element(settle_s.begin() + 1, settle_s.end()), unsettled,
                static_cast<long long>(kSettleBound.count()));
  std::printf("  corridor replay exited %d:\n%s", replay_rc.value_or(-1), replay_out.str().c_str());
  print_verdict(verdict, workload.payments.size());
  std::printf("chaos: seed %llu, fenced %zu, %s\n", static_cast<unsigned long long>(seed), fenced,
              ::testing::Test::HasFailure() || !all_settled || unsettled > 0 || verdict.ok != workload.payments.size() || replay_rc != 0
                  ? "FAILED"
                  : "passed");
  std::fflush(stdout);

  // The processes' stderr outlives the temporary folder when asked (CORRIDOR_CHAOS_LOGS=<folder>).
  if (const char* keep = std::getenv("CORRIDOR_CHAOS_LOGS"); keep != nullptr && *keep != '\0') {
    std::filesystem::create_directories(keep);
    for (const auto& f : std::filesystem::directory_iterator(dir.path()))
      if (f.path().extension() == ".log")
        std::filesystem::copy_file(f.path(), std::filesystem::path(keep) / f.path().filename(),
                                   std::filesystem::copy_options::overwrite_existing);
  }

  EXPECT_TRUE(all_settled);
  EXPECT_EQ(unsettled, 0) << "the group did not settle within " << kSettleBound.count() << " s after a disruption";
  EXPECT_EQ(verdict.ok, workload.payments.size());
  EXPECT_EQ(replay_rc, 0) << "corridor replay found differences; its report:\n" << replay_out.str();
  EXPECT_GE(done[kLongPause], 1);
}

}  // namespace
}  // namespace corridor
