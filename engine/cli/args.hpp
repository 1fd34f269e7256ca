#pragma once
// The command line of one subcommand, read strictly: its options are declared, anything else is
// refused. `--help` (or `-h`) anywhere asks for the usage and nothing runs. Numbers are checked
// against their range and times must be RFC 3339. Exit codes (README, "Command line"):
//   0 done; 1 differences found or attention needed; 2 usage or configuration error; 3 could not run.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace corridor::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitDifferences = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitCouldNotRun = 3;

struct OptionSpec {
  std::string_view name;         // "--config"
  std::string_view placeholder;  // "FILE"; empty for a flag that takes no value
};

struct CommandSpec {
  std::string_view name;
  std::string_view usage;  // printed by --help and after a usage error
  std::vector<OptionSpec> options;
  std::size_t min_positional = 0;
  std::size_t max_positional = 0;
};

// A command line that does not follow its command's usage: answered with the usage and exit 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Args {
 public:
  bool help = false;  // --help or -h was given: print the usage, run nothing

  bool flag(std::string_view name) const { return flags_.contains(std::string(name)); }
  bool has(std::string_view name) const { return values_.contains(std::string(name)); }
  std::string value(std::string_view name, std::string fallback = {}) const;
  // A whole number in [min, max]; `fallback` when the option is absent.
  std::int64_t integer(std::string_view name, std::int64_t min, std::int64_t max, std::int64_t fallback) const;
  std::optional<std::int64_t> integer(std::string_view name, std::int64_t min, std::int64_t max) const;
  // An RFC 3339 time, as milliseconds since the epoch.
  std::optional<std::int64_t> time(std::string_view name) const;
  // A listening address host:port, the port from 0 to 65535 (0: one the system picks); `fallback`
  // when absent.
  std::string address(std::string_view name, std::string fallback) const;
  // One of `allowed`; `fallback` when absent.
  std::string choice(std::string_view name, const std::vector<std::string_view>& allowed, std::string fallback) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  friend Args parse_args(const CommandSpec& spec, const std::vector<std::string>& args);
  std::set<std::string, std::less<>> flags_;
  std::map<std::string, std::string, std::less<>> values_;
  std::vector<std::string> positional_;
};

// Reads `args` (the words after the subcommand) against `spec`. Throws UsageError on an unknown
// option, a missing value, an option given twice, or a wrong number of positional arguments. With
// --help it returns at once, help set.
Args parse_args(const CommandSpec& spec, const std::vector<std::string>& args);

}  // namespace corridor::cli
