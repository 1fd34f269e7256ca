// The crash harness (issue 5, item 2): `corridor kafka`, `corridor sandbox` and `corridor run` as
// processes of their own; 2,000 payments over every provider's demo scenarios; `corridor run` killed
// with SIGKILL at moments drawn from a seed and restarted on the same store, at least ten times.
// Then: every payment at its expected final status, versions 1..n with no gap and one body per
// event_id, no second charge at any sandbox (GET /_sandbox/charges), every timer effective once
// (tests/chaos/chaos_judge.hpp). The processes and the payments are tests/chaos/chaos_processes.hpp's.
// Replay a run with CORRIDOR_CHAOS_SEED=<seed>; CORRIDOR_CHAOS_PAYMENTS overrides the 2,000;
// CORRIDOR_CHAOS_LOGS=<folder> keeps the processes' stderr.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <csignal>
#include <limits>
#include <optional>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/chaos/chaos_judge.hpp"
#include "tests/chaos/chaos_processes.hpp"
#include "statemachines/sensitive.hpp"
#include "tests/support/on_exit.hpp"
#include "tests/support/runtime_harness.hpp"

#ifndef CORRIDOR_BINARY
#error "CORRIDOR_BINARY must name the corridor executable (tests/CMakeLists.txt)"
#endif

namespace corridor {
namespace {

using namespace chaos;
using chaos::Clock;  // not corridor::Clock, the runtime's seam

// A run's commands carry nothing the router takes for a card number, whatever the seed: the seed is
// in every reference, and written in digits some seeds (3009557600012804888: 19 digits that pass the
// Luhn check) made the router refuse every command of the run.
TEST(Chaos, NoSeedMakesAWorkloadLookLikeCardNumbers) {
  for (const std::uint64_t seed : {std::uint64_t{3009557600012804888ULL}, std::uint64_t{4111111111111111ULL},
                                   std::uint64_t{0}, std::numeric_limits<std::uint64_t>::max()}) {
    std::mt19937_64 rng(seed);
    const Workload w = make_workload(seed, 100, rng);
    ASSERT_EQ(w.commands.size(), 100u);
    for (const auto& [key, body] : w.commands) {  // the fields that carry the seed; card.number carries a card
      const json::object cmd = boost::json::parse(body).as_object();
      EXPECT_EQ(find_card_number(key), std::nullopt) << key;
      EXPECT_EQ(find_card_number(get_string(cmd, "command_id")), std::nullopt) << body;
      EXPECT_EQ(find_card_number(get_string(cmd, "reference")), std::nullopt) << body;
    }
  }
  EXPECT_EQ(run_id_of(0), "a");
  EXPECT_EQ(run_id_of(27), "bb");
  EXPECT_NE(run_id_of(3009557600012804888ULL), run_id_of(3009557600012804889ULL));
}

// When the judge takes a payment for settled: a refund sent is answered only by a later version (the
// partial refund's "succeeded" is not the end), and an esipay refund left unknown counts only from
// corridor's own announcement.
TEST(Chaos, APaymentWithARefundOnItsWayIsNotSettled) {
  Payment p;
  p.provider = "esipay";
  p.expected = "refunded";
  p.follow_ups = {{"succeeded", {{"type", "refund.create"}}}, {"partially_refunded", {{"type", "refund.create"}}}};
  EXPECT_FALSE(settled(p, nullptr));
  EventLog::Latest latest{2, "succeeded", ""};
  EXPECT_FALSE(settled(p, &latest));  // the first refund is not sent yet: "succeeded" triggers it

  // The first refund sent at version 2: the same version, or its status, is not the end.
  p.next_follow_up = 1;
  p.follow_up_sent.push_back(Clock::now());
  p.follow_up_version = 2;
  EXPECT_FALSE(settled(p, &latest));
  latest = {3, "partially_refunded", ""};
  EXPECT_FALSE(settled(p, &latest));  // it triggers the second refund

  // The second refund sent at version 3, answered at 4.
  p.next_follow_up = 2;
  p.follow_up_sent.push_back(Clock::now());
  p.follow_up_version = 3;
  EXPECT_FALSE(settled(p, &latest));
  latest = {4, "refunded", ""};
  EXPECT_TRUE(settled(p, &latest));

  // A refund in flight at a disruption: settled on corridor's announcement, not on any later version.
  latest = {4, "partially_refunded", "refund outcome unknown: the status call failed"};
  EXPECT_FALSE(settled(p, &latest));
  latest.reason = "refund outcome unknown: corridor stopped while the call was in flight";
  EXPECT_TRUE(settled(p, &latest));
  p.provider = "cynod";
  EXPECT_FALSE(settled(p, &latest));  // only esipay refunds are left unknown so
}

TEST(Chaos, KilledEngineLosesNothingAndDoesNothingTwice) {
  const std::uint64_t seed = seed_from_env();
  const int kPayments = int_from_env("CORRIDOR_CHAOS_PAYMENTS", 2000);
  const int kKills = int_from_env("CORRIDOR_CHAOS_KILLS", 12);
  std::printf("chaos: seed %llu (replay: CORRIDOR_CHAOS_SEED=%llu), %d payments, %d kills\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed), kPayments, kKills);
  std::fflush(stdout);
  std::mt19937_64 rng(seed);
  setenv("CORRIDOR_CARD_KEY", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 0);

  testing::TempDir dir;
  const std::string log = dir.path() + "/stderr.log";
  // The processes' stderr outlives the temporary folder when asked (CORRIDOR_CHAOS_LOGS=<folder>),
  // however the test ends: after the processes below are stopped, before the folder goes.
  const testing::OnExit keep_logs([&log] {
    const char* keep = std::getenv("CORRIDOR_CHAOS_LOGS");
    if (keep == nullptr || *keep == '\0') return;
    std::error_code ec;
    std::filesystem::create_directories(keep, ec);
    std::filesystem::copy_file(log, std::filesystem::path(keep) / "stderr.log",
                               std::filesystem::copy_options::overwrite_existing, ec);
  });
  const auto t0 = Clock::now();

  // 1. The log, then the providers, then the engine.
  const KafkaProcess kafka = start_kafka(CORRIDOR_BINARY, dir.path(), 4, log);
  const std::string& bootstrap = kafka.bootstrap;
  const std::uint16_t port = free_port();
  const SandboxProcess sandboxes = start_sandboxes(CORRIDOR_BINARY, dir.path(), bootstrap, port, log);
  const std::map<std::string, std::string>& base_urls = sandboxes.base_urls;
  const std::string run_config = dir.path() + "/corridor.yaml";
  EngineConfig engine_config;
  engine_config.bootstrap = bootstrap;
  engine_config.store = dir.path() + "/corridor.db";
  engine_config.port = port;
  engine_config.base_urls = base_urls;
  write_file(run_config, config_yaml(engine_config));

  std::unique_ptr<Child> engine;
  std::vector<double> ready_after;  // seconds from spawn to "http listening", each start
  auto start_engine = [&] {
    const auto spawned = Clock::now();
    engine = std::make_unique<Child>(CORRIDOR_BINARY, std::vector<std::string>{"run", "--config", run_config}, log);
    const auto listening = engine->line_after("http listening: ", std::chrono::seconds(60));
    if (listening) ready_after.push_back(seconds_since(spawned));
    return listening.has_value();
  };
  ASSERT_TRUE(start_engine()) << "corridor run did not start; see " << log;

  // 2. The payments: every provider's demo scenarios, round robin in an order drawn from the seed,
  // published in slices of 25 every 300 ms (2,000 in 24 s), so that kills find payments at every stage.
  Workload workload = make_workload(seed, kPayments, rng);
  std::map<std::string, Payment>& payments = workload.payments;
  KafkaProducer producer(bootstrap);
  EventLog log_of_events(bootstrap, payments, producer);
  std::atomic<std::size_t> published{0};
  std::thread publisher = publish_paced(workload, log_of_events, producer, published);

  // 3. The kills: each engine lives a time drawn from the seed (0.3 to 4.5 s after its start was
  // asked for: some die while recovering, some in full flow), then SIGKILL and a restart.
  std::uniform_int_distribution<int> lifetime_ms(300, 4500);
  std::vector<double> kill_at;  // seconds since t0
  Disruptions disruptions;
  std::vector<int> lifetimes;
  for (int i = 0; i < kKills; ++i) lifetimes.push_back(lifetime_ms(rng));
  std::mutex kill_mu;
  std::condition_variable kill_cv;
  bool start_failed = false;
  auto spawned_at = Clock::now();
  int killed_listening = 0;  // the others died while starting or recovering
  for (int i = 0; i < kKills; ++i) {
    {
      std::unique_lock lock(kill_mu);
      wait_until(lock, kill_cv, spawned_at + milliseconds(lifetimes[static_cast<std::size_t>(i)]), [] { return false; });
    }
    kill_at.push_back(seconds_since(t0));
    disruptions.add(Clock::now(), Clock::now());
    if (engine->line_after("http listening: ", milliseconds(0))) ++killed_listening;
    engine->stop(SIGKILL);
    std::printf("chaos: kill %2d at %6.2fs (engine lived %d ms), %zu payments published\n", i + 1, kill_at.back(),
                lifetimes[static_cast<std::size_t>(i)], published.load());
    std::fflush(stdout);
    spawned_at = Clock::now();
    // Started without waiting for it to listen: the next kill may catch it recovering.
    engine = std::make_unique<Child>(CORRIDOR_BINARY, std::vector<std::string>{"run", "--config", run_config}, log);
  }
  {
    const auto listening = engine->line_after("http listening: ", std::chrono::seconds(60));
    start_failed = !listening;
  }
  publisher.join();
  const double chaos_end = seconds_since(t0);
  std::printf("chaos: %d kills and restarts done at %.2fs; all %zu payments published; waiting for final statuses\n",
              kKills, chaos_end, published.load());
  std::fflush(stdout);
  ASSERT_FALSE(start_failed) << "corridor run did not start after the last kill; see " << log;

  // 4. Final statuses. An esipay charge (or refund) in flight at a kill legitimately ends unknown.
  const auto final_deadline = Clock::now() + std::chrono::seconds(int_from_env("CORRIDOR_CHAOS_SETTLE_S", 150));
  const bool all_settled = wait_settled(log_of_events, workload, final_deadline);
  const double settled_at = seconds_since(t0);
  std::printf("chaos: %s at %.2fs\n", all_settled ? "every payment settled" : "deadline passed", settled_at);

  // The sandboxes' charge counts, read once everything has settled.
  const auto charges = read_charges(base_urls);
  ASSERT_TRUE(charges) << "GET /_sandbox/charges failed";
  engine->stop(SIGTERM);

  std::lock_guard lock(log_of_events.mu);
  const Verdict verdict = judge(workload, log_of_events.events, disruptions, *charges, t0);

  std::printf("chaos: ---- what it did ----\n");
  std::printf("  seed %llu; %d payments over %zu scenarios of %zu providers; %d SIGKILLs and restarts\n",
              static_cast<unsigned long long>(seed), kPayments, workload.scenarios, kProviders.size(), kKills);
  std::printf("  kill times (s):");
  for (double k : kill_at) std::printf(" %.2f", k);
  std::printf("\n  %d engines killed after listening, %d while starting or recovering; first start listened after %.2fs\n",
              killed_listening, kKills - killed_listening, ready_after.empty() ? -1.0 : ready_after.front());
  std::printf("  chaos ended %.1fs, settled %.1fs, total %.1fs\n", chaos_end, settled_at, seconds_since(t0));
  print_verdict(verdict, payments.size());
  std::fflush(stdout);

  EXPECT_TRUE(all_settled);
  EXPECT_EQ(verdict.ok, payments.size());
  EXPECT_GE(static_cast<int>(kill_at.size()), 10);
}

}  // namespace
}  // namespace corridor
