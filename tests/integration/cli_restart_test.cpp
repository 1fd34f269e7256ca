// `corridor run` and `corridor demo` on the embedded defaults, as a user runs them: run stopped with
// Ctrl-C and started again; the demo's timelines, summary and what to try next.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "engine/io/kafka.hpp"
#include "engine/io/http_client.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/runtime_harness.hpp"

#ifndef CORRIDOR_BINARY
#error "CORRIDOR_BINARY must name the corridor executable (tests/CMakeLists.txt)"
#endif

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class CliRestart : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() / ("cli_restart_test_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::filesystem::path dir;
};

// `corridor run` as a process, stdout and stderr to files in `dir`.
class RunningCorridor {
 public:
  RunningCorridor(const std::filesystem::path& dir, const std::string& config, const std::string& name)
      : RunningCorridor(dir, std::vector<std::string>{"run", "--config", config}, name) {}
  RunningCorridor(const std::filesystem::path& dir, std::vector<std::string> args, const std::string& name)
      : out_(dir / (name + ".out")), err_(dir / (name + ".err")) {
    std::vector<char*> argv{const_cast<char*>(CORRIDOR_BINARY)};
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      if (chdir(dir.c_str()) != 0 || !freopen(out_.c_str(), "w", stdout) || !freopen(err_.c_str(), "w", stderr)) _exit(127);
      execv(CORRIDOR_BINARY, argv.data());
      _exit(127);
    }
  }
  ~RunningCorridor() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  // The rest of the stdout line starting with `prefix`, once printed (empty: not within `timeout`).
  std::string line_after(const std::string& prefix, std::chrono::seconds timeout = std::chrono::seconds(60)) const {
    std::string found;
    corridor::testing::eventually(
        [&] {
          std::ifstream in(out_);
          for (std::string line; std::getline(in, line);)
            if (line.starts_with(prefix)) found = line.substr(prefix.size());
          return !found.empty();
        },
        timeout);
    return found;
  }
  std::string out() const { return slurp(out_); }
  // SIGINT, as Ctrl-C sends, and the exit code (-1: not a clean exit within 60 s).
  int interrupt() {
    kill(pid_, SIGINT);
    int status = 0;
    const bool exited = corridor::testing::eventually([&] { return waitpid(pid_, &status, WNOHANG) == pid_; },
                                                      std::chrono::seconds(60));
    if (!exited) return -1;
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string err() const { return slurp(err_); }

 private:
  std::filesystem::path out_, err_;
  pid_t pid_ = -1;
};

// The embedded log dies with the process, the store lives on: after Ctrl-C, `corridor run` starts
// again on the same store, reads the new log from its start and keeps its transactions.
TEST_F(CliRestart, RunOnTheEmbeddedLogStartsAgainAfterCtrlC) {
  std::string config = slurp(std::string(CORRIDOR_SOURCE_DIR) + "/config/corridor.yaml");
  for (const std::string fixed : {"127.0.0.1:8080", "127.0.0.1:8081"})
    for (std::size_t at; (at = config.find(fixed)) != std::string::npos;) config.replace(at, fixed.size(), "127.0.0.1:0");
  std::ofstream(dir / "corridor.yaml") << config;
  ASSERT_NE(config.find("bootstrap: embedded"), std::string::npos);
  setenv("CORRIDOR_CARD_KEY", std::string(64, 'a').c_str(), 1);

  {
    RunningCorridor first(dir, "corridor.yaml", "first");
    const std::string bootstrap = first.line_after("kafka bootstrap: ");
    ASSERT_FALSE(bootstrap.empty()) << first.err();
    ASSERT_FALSE(first.line_after("operations listening: ").empty()) << first.err();
    {
      // One payment in: its command is applied, so the store holds offsets of the embedded log.
      corridor::testing::TopicCollector events(bootstrap, "corridor.events");
      corridor::KafkaProducer producer(bootstrap);
      const std::string command =
          boost::json::serialize(corridor::testing::payin_command("restart-1", "+2250700000001"));
      ASSERT_TRUE(producer.produce_sync("corridor.commands", "ZANDO:restart-1", command));
      ASSERT_TRUE(events.wait_until([](const auto& records) { return !records.empty(); }));
    }
    EXPECT_EQ(first.interrupt(), 0) << first.err();
  }
  RunningCorridor second(dir, "corridor.yaml", "second");
  ASSERT_FALSE(second.line_after("operations listening: ").empty()) << second.err();
  EXPECT_NE(second.err().find("was reset; reading the new log from its start"), std::string::npos) << second.err();
  EXPECT_EQ(second.interrupt(), 0) << second.err();
}

}  // namespace

namespace {

// `corridor demo --serve`, as `make demo` runs it at a terminal: after the scenarios the engine stays
// up, names the console's address, takes a payment over HTTP, and stops on Ctrl-C.
TEST_F(CliRestart, DemoServesUntilCtrlC) {
  RunningCorridor demo(dir, {"demo", "--data-dir", "served", "--serve", "--operations", "127.0.0.1:0"}, "served");
  const std::string console = demo.line_after("Serving until Ctrl-C. The console: ", std::chrono::seconds(300));
  ASSERT_TRUE(console.starts_with("http://127.0.0.1:")) << demo.out() << demo.err();
  ASSERT_TRUE(console.ends_with("/console")) << console;
  const std::string ops = console.substr(0, console.size() - std::string("/console").size());
  auto http = corridor::make_http_client();
  const std::string payment =
      R"({"merchant":"ZANDO","reference":"SERVED-1","provider":"novasend","flow":"payin",)"
      R"("amount":{"value":300,"currency":"XOF"},"customer":{"msisdn":"+2250700000001"}})";
  auto accepted = http->send(corridor::HttpRequest{"POST", ops + "/v1/payments", {{"Idempotency-Key", "served-1"}}, payment, ""},
                             std::chrono::seconds(10));
  ASSERT_TRUE(accepted);
  ASSERT_EQ(accepted->status, 202) << accepted->body;
  const std::string location(accepted->header("Location"));
  EXPECT_TRUE(corridor::testing::eventually(
      [&] {
        auto r = http->send(corridor::HttpRequest{"GET", ops + location, {}, "", ""}, std::chrono::seconds(10));
        return r && r->status == 200 && r->body.find(R"("status":"succeeded")") != std::string::npos;
      },
      std::chrono::seconds(60)));
  EXPECT_EQ(demo.interrupt(), 0) << demo.out() << demo.err();
}

// `corridor demo` as a new user sees it: every scenario ends, each payment's timeline is printed
// together with times from its events' occurred_at, then a summary and what to try next; and a second
// demo on the same --data-dir starts too.
TEST_F(CliRestart, DemoPrintsTimelinesASummaryAndWhatToTryNext) {
  const std::string cmd = "cd '" + dir.string() + "' && timeout 300 " + std::string(CORRIDOR_BINARY) +
                          " demo --data-dir demo > demo.out 2> demo.err";
  const int status = std::system(cmd.c_str());
  const std::string out = slurp(dir / "demo.out");
  ASSERT_TRUE(WIFEXITED(status)) << out;
  EXPECT_EQ(WEXITSTATUS(status), 0) << out << slurp(dir / "demo.err");
  EXPECT_NE(out.find("  done  novasend  accepted-completed"), std::string::npos) << out;
  const std::size_t timelines = out.find("Timelines (times from each event's occurred_at):");
  const std::size_t summary = out.find("Summary:");
  const std::size_t next = out.find("What to try next:");
  ASSERT_NE(timelines, std::string::npos);
  ASSERT_NE(summary, std::string::npos);
  ASSERT_NE(next, std::string::npos);
  EXPECT_LT(timelines, summary);
  EXPECT_LT(summary, next);
  // One payment's events together: its header, then its first event at its occurred_at time.
  const std::size_t header = out.find("novasend.payin · accepted-completed · DEMO-", timelines);
  ASSERT_NE(header, std::string::npos) << out;
  const std::string first = out.substr(out.find('\n', header) + 1, 80);
  EXPECT_TRUE(first.starts_with("    20")) << first;  // 2026-…Z, the event's occurred_at
  EXPECT_NE(first.find("Z +0.000s"), std::string::npos) << first;
  EXPECT_NE(first.find("· → created"), std::string::npos) << first;
  EXPECT_NE(out.find("demo: all "), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir / "demo" / "corridor.db"));

  // Again on the same store: the runtime's embedded log starts empty, and that is no refusal.
  const int again = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(again));
  EXPECT_EQ(WEXITSTATUS(again), 0) << slurp(dir / "demo.out") << slurp(dir / "demo.err");
  EXPECT_NE(slurp(dir / "demo.err").find("was reset; reading the new log from its start"), std::string::npos);
}

}  // namespace
