// The command line as a user meets it: every subcommand's --help prints its usage and starts
// nothing, unknown options and bad values are refused with the usage and exit 2, and the exit codes
// are the documented ones. Each run of the binary is bounded by timeout(1): a command that started
// something instead of answering fails the test instead of hanging it.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#ifndef CORRIDOR_BINARY
#error "CORRIDOR_BINARY must name the corridor executable (tests/CMakeLists.txt)"
#endif

namespace {

struct Ran {
  int code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs `corridor <args>` in `dir` (a scratch folder by default), at most 20 s.
Ran corridor(const std::string& args, const std::filesystem::path& dir = std::filesystem::temp_directory_path()) {
  const auto out = std::filesystem::temp_directory_path() / ("cli_test_out_" + std::to_string(getpid()));
  const auto err = std::filesystem::temp_directory_path() / ("cli_test_err_" + std::to_string(getpid()));
  const std::string cmd = "cd '" + dir.string() + "' && timeout 20 " + std::string(CORRIDOR_BINARY) + " " + args + " >'" +
                          out.string() + "' 2>'" + err.string() + "'";
  const int status = std::system(cmd.c_str());
  Ran r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return r;
}

const char* const kCommands[] = {"run", "kafka", "demo", "sandbox", "diagram", "check-config", "replay", "reconcile"};

TEST(Cli, EverySubcommandsHelpPrintsItsUsageAndStartsNothing) {
  for (const std::string command : kCommands) {
    for (const std::string help : {"--help", "-h"}) {
      const Ran r = corridor(command + " " + help);
      EXPECT_EQ(r.code, 0) << command << " " << help << ": " << r.err;
      EXPECT_TRUE(r.out.starts_with("usage: corridor " + command)) << r.out;
      EXPECT_NE(r.out.find("exit codes:"), std::string::npos) << command;
      EXPECT_EQ(r.err, "") << command;
    }
  }
  // Wherever it stands, even beside options that would be refused.
  const Ran r = corridor("replay --txn X --nonsense --help");
  EXPECT_EQ(r.code, 0);
  EXPECT_TRUE(r.out.starts_with("usage: corridor replay"));
}

TEST(Cli, TheCommandListAndUnknownCommands) {
  const Ran help = corridor("help");
  EXPECT_EQ(help.code, 0);
  for (const std::string command : kCommands) EXPECT_NE(help.out.find("  " + command + " "), std::string::npos) << command;
  const Ran none = corridor("");
  EXPECT_EQ(none.code, 2);
  EXPECT_TRUE(none.err.starts_with("usage: corridor <command>"));
  const Ran unknown = corridor("deploy");
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.err.find("unknown command 'deploy'"), std::string::npos);
}

TEST(Cli, UnknownOptionsAreRefusedWithTheUsage) {
  for (const std::string args : {"replay --txnid X", "run --confg x.yaml", "demo --data_dir /tmp", "kafka -p 3",
                                 "reconcile --settlement-file f.csv", "run --accept-log-reset=yes"}) {
    const Ran r = corridor(args);
    EXPECT_EQ(r.code, 2) << args;
    EXPECT_EQ(r.out, "") << args;
    const std::string command = args.substr(0, args.find(' '));
    EXPECT_TRUE(r.err.starts_with("corridor " + command + ": ")) << r.err;
    EXPECT_NE(r.err.find("usage: corridor " + command), std::string::npos) << r.err;
  }
  EXPECT_NE(corridor("replay --txnid X").err.find("unknown option '--txnid'"), std::string::npos);
}

TEST(Cli, BadValuesAreRefusedWithWhatWasExpected) {
  struct Case {
    std::string args;
    std::string says;
  };
  for (const Case& c : {Case{"replay --until-offset abc", "--until-offset must be a whole number of at least 0, got 'abc'"},
                        Case{"replay --until-offset -1", "--until-offset must be a whole number of at least 0"},
                        Case{"replay --until-offset 12x", "got '12x'"},
                        Case{"replay --from yesterday", "--from must be an RFC 3339 time"},
                        Case{"replay --format xml", "--format must be one of text, json, csv, got 'xml'"},
                        Case{"replay --txn", "--txn needs a value (ID)"},
                        Case{"replay --txn a --txn b", "--txn is given twice"},
                        Case{"kafka --partitions 0", "--partitions must be a whole number from 1 to 1024, got '0'"},
                        Case{"kafka --partitions 99999", "from 1 to 1024, got '99999'"},
                        Case{"demo --timeout 0", "--timeout must be a whole number from 1 to 3600"},
                        Case{"demo --timeout=ninety", "got 'ninety'"},
                        Case{"demo --serve --operations 127.0.0.1:99999", "--operations must be host:port with a port from 0 to 65535, got '127.0.0.1:99999'"},
                        Case{"demo --serve --operations localhost", "--operations must be host:port"},
                        Case{"demo --serve --operations :8081", "--operations must be host:port"},
                        Case{"demo --operations 127.0.0.1:0", "--operations goes with --serve"},
                        Case{"reconcile --wait 99999999999999999999", "--wait must be a whole number from 1 to 86400"},
                        Case{"reconcile --status paid", "--status 'paid' is not a status"},
                        Case{"reconcile --since 2026-13-01", "--since must be an RFC 3339 time"},
                        Case{"check-config", "an argument is missing"},
                        Case{"check-config a.yaml b.yaml", "unexpected argument 'b.yaml'"},
                        Case{"diagram nosuch.flow", "unknown flow 'nosuch.flow'"}}) {
    const Ran r = corridor(c.args);
    EXPECT_EQ(r.code, 2) << c.args;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << c.args << ": " << r.err;
  }
}

class CliFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() / ("cli_test_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::filesystem::path dir;
};

TEST_F(CliFiles, ExitCodesSayDoneUsageOrConfigurationAndCouldNotRun) {
  const std::string config = std::string(CORRIDOR_SOURCE_DIR) + "/config/corridor.yaml";
  const Ran ok = corridor("check-config " + config, dir);
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_NE(ok.out.find(": ok"), std::string::npos);

  std::ofstream(dir / "bad.yaml") << "kafka: {partitions: many}\n";
  const Ran bad = corridor("check-config bad.yaml", dir);
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("configuration error"), std::string::npos) << bad.err;
  EXPECT_EQ(corridor("check-config missing.yaml", dir).code, 2);
  // replay compares with the log corridor used: the embedded one is gone with its process.
  const Ran embedded = corridor("replay --config " + config, dir);
  EXPECT_EQ(embedded.code, 2);
  EXPECT_NE(embedded.err.find("kafka.bootstrap"), std::string::npos) << embedded.err;

  // A settlement file that cannot be read: the command could not run (3), not "differences" (1).
  const Ran unread = corridor("reconcile --settlement missing.csv --provider esipay", dir);
  EXPECT_EQ(unread.code, 3) << unread.err;
  EXPECT_NE(unread.err.find("cannot read missing.csv"), std::string::npos) << unread.err;
}

TEST(Cli, DiagramListsTheFlowsAndDrawsOne) {
  const Ran list = corridor("diagram");
  EXPECT_EQ(list.code, 0);
  EXPECT_NE(list.out.find("esipay.card\n"), std::string::npos);
  const Ran one = corridor("diagram esipay.card");
  EXPECT_EQ(one.code, 0);
  EXPECT_TRUE(one.out.starts_with("stateDiagram-v2")) << one.out.substr(0, 80);
}

}  // namespace
