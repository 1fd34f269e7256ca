#include "engine/cli/args.hpp"

#include <charconv>
#include <cstdint>

#include "statemachines/timefmt.hpp"

namespace corridor::cli {

namespace {

const OptionSpec* find_option(const CommandSpec& spec, std::string_view name) {
  for (const OptionSpec& o : spec.options)
    if (o.name == name) return &o;
  return nullptr;
}

std::optional<std::int64_t> whole_number(std::string_view text) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

}  // namespace

std::string Args::value(std::string_view name, std::string fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::move(fallback) : it->second;
}

std::optional<std::int64_t> Args::integer(std::string_view name, std::int64_t min, std::int64_t max) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  const auto v = whole_number(it->second);
  if (!v || *v < min || *v > max) {
    const std::string range = max == INT64_MAX ? "of at least " + std::to_string(min)
                                               : "from " + std::to_string(min) + " to " + std::to_string(max);
    throw UsageError(std::string(name) + " must be a whole number " + range + ", got '" + it->second + "'");
  }
  return v;
}

std::int64_t Args::integer(std::string_view name, std::int64_t min, std::int64_t max, std::int64_t fallback) const {
  return integer(name, min, max).value_or(fallback);
}

std::optional<std::int64_t> Args::time(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  auto ms = parse_time(it->second);
  if (!ms)
    throw UsageError(std::string(name) + " must be an RFC 3339 time such as 2026-11-22T10:00:00Z, got '" + it->second +
                     "'");
  return ms;
}

std::string Args::address(std::string_view name, std::string fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  const std::string& a = it->second;
  const auto colon = a.rfind(':');
  const auto port = colon == std::string::npos ? std::nullopt : whole_number(a.substr(colon + 1));
  if (colon == 0 || !port || *port < 0 || *port > 65535)
    throw UsageError(std::string(name) + " must be host:port with a port from 0 to 65535, got '" + a + "'");
  return a;
}

std::string Args::choice(std::string_view name, const std::vector<std::string_view>& allowed,
                         std::string fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  for (std::string_view a : allowed)
    if (it->second == a) return it->second;
  std::string list;
  for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  throw UsageError(std::string(name) + " must be one of " + list + ", got '" + it->second + "'");
}

Args parse_args(const CommandSpec& spec, const std::vector<std::string>& args) {
  Args out;
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      out.help = true;
      return out;
    }
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (!word.starts_with("-") || word == "-") {
      out.positional_.push_back(word);
      continue;
    }
    // --name=value or --name value
    const std::size_t eq = word.find('=');
    const std::string name = word.substr(0, eq);
    const OptionSpec* o = find_option(spec, name);
    if (o == nullptr) throw UsageError("unknown option '" + name + "'");
    if (out.flags_.contains(name) || out.values_.contains(name)) throw UsageError(name + " is given twice");
    if (o->placeholder.empty()) {
      if (eq != std::string::npos) throw UsageError(name + " takes no value");
      out.flags_.insert(name);
      continue;
    }
    if (eq != std::string::npos) {
      out.values_[name] = word.substr(eq + 1);
    } else {
      if (i + 1 >= args.size()) throw UsageError(name + " needs a value (" + std::string(o->placeholder) + ")");
      out.values_[name] = args[++i];
    }
    if (out.values_[name].empty()) throw UsageError(name + " needs a value (" + std::string(o->placeholder) + ")");
  }
  if (out.positional_.size() < spec.min_positional)
    throw UsageError(spec.min_positional == 1 ? "an argument is missing" : "arguments are missing");
  if (out.positional_.size() > spec.max_positional)
    throw UsageError("unexpected argument '" + out.positional_[spec.max_positional] + "'");
  return out;
}

}  // namespace corridor::cli
