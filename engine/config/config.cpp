#include "engine/config/config.hpp"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

namespace corridor {

bool MerchantConfig::allows(std::string_view provider) const {
  for (const auto& p : providers)
    if (p == provider) return true;
  return false;
}

const MerchantConfig* Config::merchant(std::string_view id) const {
  for (const auto& m : merchants)
    if (m.id == id) return &m;
  return nullptr;
}

FlowSettings Config::flow_settings(std::string_view provider) const {
  FlowSettings s;
  if (janitor.enabled) s.janitor = {janitor.unknown_after_ms, janitor.pending_after_ms};
  auto it = providers.find(provider);
  if (it == providers.end()) return s;
  for (const auto& [k, v] : it->second) {
    if (v.empty()) continue;
    char* end = nullptr;
    long long n = std::strtoll(v.c_str(), &end, 10);
    if (end != nullptr && *end == '\0') s.set(k, n);
  }
  return s;
}

namespace {

// A decimal integer that fits: nullopt for anything else, including a value strtoll would clamp.
std::optional<long long> parse_integer(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno == ERANGE || end == nullptr || *end != '\0') return std::nullopt;
  return v;
}

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void error(const YAML::Node& node, const std::string& path, const std::string& what) const {
    std::ostringstream os;
    os << source_;
    if (node.IsDefined() && node.Mark().line >= 0) os << ":" << node.Mark().line + 1;
    os << ": " << path << ": " << what;
    throw ConfigError(os.str());
  }

  void only_keys(const YAML::Node& map, const std::string& path, const std::set<std::string>& allowed) const {
    if (!map.IsMap()) error(map, path, "must be a mapping");
    for (const auto& kv : map) {
      const std::string key = this->key(kv.first, path);
      if (!allowed.contains(key)) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        error(kv.first, join(path, key), "unknown key (expected one of: " + list + ")");
      }
    }
  }

  // A key or a list item, which must be a plain value: yaml-cpp converts nothing else to text.
  std::string scalar(const YAML::Node& node, const std::string& path) const {
    if (!node.IsScalar()) error(node, path, "must be a plain value, not a list, a mapping or null");
    return node.as<std::string>();
  }
  std::string key(const YAML::Node& node, const std::string& path) const { return scalar(node, join(path, "<key>")); }

  std::string string(const YAML::Node& map, const std::string& path, const std::string& key,
                     const std::string& fallback) const {
    const YAML::Node n = map[key];
    if (!n.IsDefined() || n.IsNull()) return fallback;
    if (!n.IsScalar()) error(n, join(path, key), "must be a scalar");
    return interpolate(n, join(path, key), n.as<std::string>());
  }

  std::int64_t integer(const YAML::Node& map, const std::string& path, const std::string& key,
                       std::int64_t fallback, std::int64_t min, std::int64_t max) const {
    const std::string text = string(map, path, key, "");
    if (text.empty()) return fallback;
    const auto parsed = parse_integer(text);
    if (!parsed) error(map[key], join(path, key), "must be an integer, got '" + text + "'");
    const long long v = *parsed;
    if (v < min || v > max)
      error(map[key], join(path, key), "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return v;
  }

  // A list of integers, each in [min, max]; absent: the fallback. An empty list is refused.
  std::vector<std::int64_t> integers(const YAML::Node& map, const std::string& path, const std::string& key,
                                     std::vector<std::int64_t> fallback, std::int64_t min, std::int64_t max) const {
    const YAML::Node node = map[key];
    if (!node.IsDefined()) return fallback;
    if (!node.IsSequence() || node.size() == 0) error(node, join(path, key), "must be a non-empty list of integers");
    std::vector<std::int64_t> out;
    for (std::size_t i = 0; i < node.size(); ++i) {
      const YAML::Node item = node[i];
      const std::string where = join(path, key) + "[" + std::to_string(i) + "]";
      if (!item.IsScalar()) error(item, where, "must be an integer");
      const std::string text = interpolate(item, where, item.as<std::string>());
      const auto parsed = parse_integer(text);
      if (!parsed) error(item, where, "must be an integer, got '" + text + "'");
      const long long v = *parsed;
      if (v < min || v > max)
        error(item, where, "must be between " + std::to_string(min) + " and " + std::to_string(max));
      out.push_back(v);
    }
    return out;
  }

  // host:port with a port from 0 to 65535.
  void check_address(const YAML::Node& node, const std::string& path, const std::string& address) const {
    const auto colon = address.rfind(':');
    if (colon == std::string::npos) error(node, path, "must be host:port");
    const std::string port = address.substr(colon + 1);
    char* end = nullptr;
    const long v = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || end == nullptr || *end != '\0' || v < 0 || v > 65535)
      error(node, path, "must be host:port with a port from 0 to 65535");
  }

  // A list of bearer tokens: each at least 16 characters, so that none can be guessed.
  std::vector<std::string> tokens(const YAML::Node& map, const std::string& path, const std::string& key) const {
    const YAML::Node node = map[key];
    std::vector<std::string> out;
    if (!node.IsDefined() || node.IsNull()) return out;
    if (!node.IsSequence()) error(node, join(path, key), "must be a list of tokens");
    for (std::size_t i = 0; i < node.size(); ++i) {
      const std::string where = join(path, key) + "[" + std::to_string(i) + "]";
      if (!node[i].IsScalar()) error(node[i], where, "must be a string");
      std::string token = interpolate(node[i], where, node[i].as<std::string>());
      if (token.size() < 16) error(node[i], where, "must be at least 16 characters");
      out.push_back(std::move(token));
    }
    return out;
  }

  bool boolean(const YAML::Node& map, const std::string& path, const std::string& key, bool fallback) const {
    const std::string text = string(map, path, key, "");
    if (text.empty()) return fallback;
    if (text == "true" || text == "yes" || text == "on") return true;
    if (text == "false" || text == "no" || text == "off") return false;
    error(map[key], join(path, key), "must be true or false, got '" + text + "'");
  }

  std::string interpolate(const YAML::Node& node, const std::string& path, const std::string& text) const {
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
      const std::size_t open = text.find("${", i);
      if (open == std::string::npos) {
        out += text.substr(i);
        break;
      }
      out += text.substr(i, open - i);
      const std::size_t close = text.find('}', open);
      if (close == std::string::npos) error(node, path, "unterminated ${ in '" + text + "'");
      std::string expr = text.substr(open + 2, close - open - 2);
      std::string fallback;
      bool has_fallback = false;
      if (auto d = expr.find(":-"); d != std::string::npos) {
        fallback = expr.substr(d + 2);
        expr = expr.substr(0, d);
        has_fallback = true;
      }
      const char* value = std::getenv(expr.c_str());
      if (value != nullptr && *value != '\0') {
        out += value;
      } else if (has_fallback) {
        out += fallback;
      } else {
        error(node, path, "environment variable " + expr + " is not set");
      }
      i = close + 1;
    }
    return out;
  }

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

 private:
  std::string source_;
};

}  // namespace

Config parse_config(const std::string& yaml_text, const std::string& source_name, const ProviderRegistry& registry) {
  Reader r(source_name);
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(source_name + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
  }
  Config c;
  c.registry = &registry;
  if (!root.IsDefined() || root.IsNull()) {
    c.kafka.assignment = "all";  // the default store: a SQLite file, one process
    return c;
  }
  r.only_keys(root, "", {"kafka", "store", "http", "auth", "limits", "sandbox", "processor", "executor", "janitor",
                          "merchants", "providers"});

  if (auto k = root["kafka"]; k.IsDefined()) {
    r.only_keys(k, "kafka", {"bootstrap", "partitions", "group", "assignment", "topics", "properties"});
    c.kafka.bootstrap = r.string(k, "kafka", "bootstrap", c.kafka.bootstrap);
    c.kafka.partitions = static_cast<int>(r.integer(k, "kafka", "partitions", c.kafka.partitions, 1, 1000));
    c.kafka.group = r.string(k, "kafka", "group", c.kafka.group);
    c.kafka.assignment = r.string(k, "kafka", "assignment", c.kafka.assignment);
    if (c.kafka.assignment != "" && c.kafka.assignment != "all" && c.kafka.assignment != "group")
      r.error(k["assignment"], "kafka.assignment", "must be 'all' (one process reads every partition) or 'group' "
                                                   "(the processes of kafka.group share them)");
    if (auto t = k["topics"]; t.IsDefined()) {
      r.only_keys(t, "kafka.topics", {"commands", "inputs", "events", "deadletter"});
      c.kafka.commands = r.string(t, "kafka.topics", "commands", c.kafka.commands);
      c.kafka.inputs = r.string(t, "kafka.topics", "inputs", c.kafka.inputs);
      c.kafka.events = r.string(t, "kafka.topics", "events", c.kafka.events);
      c.kafka.deadletter = r.string(t, "kafka.topics", "deadletter", c.kafka.deadletter);
    }
    if (auto p = k["properties"]; p.IsDefined()) {
      if (!p.IsMap()) r.error(p, "kafka.properties", "must be a mapping of librdkafka settings");
      for (const auto& kv : p) {
        const std::string key = r.key(kv.first, "kafka.properties");
        c.kafka.properties[key] = r.string(p, "kafka.properties", key, "");
      }
    }
  }
  if (auto s = root["store"]; s.IsDefined()) {
    r.only_keys(s, "store", {"kind", "path", "url", "max_bytes", "processed_retention_ms"});
    c.store.kind = r.string(s, "store", "kind", c.store.kind);
    if (c.store.kind != "sqlite" && c.store.kind != "postgres")
      r.error(s["kind"], "store.kind", "must be 'sqlite' or 'postgres'");
    c.store.path = r.string(s, "store", "path", c.store.path);
    c.store.url = r.string(s, "store", "url", "");
    if (c.store.kind == "postgres" && c.store.url.empty())
      r.error(s["url"].IsDefined() ? s["url"] : s, "store.url",
              "is required with kind postgres (postgresql://user:password@host:port/db)");
    if (c.store.kind == "postgres" && c.store.url.rfind("postgresql://", 0) != 0 && c.store.url.rfind("postgres://", 0) != 0)
      r.error(s["url"], "store.url", "must be a postgresql:// URL (postgresql://user:password@host:port/db)");
    if (c.store.kind == "sqlite" && s["url"].IsDefined())
      r.error(s["url"], "store.url", "is for kind postgres; a sqlite store has a path");
    c.store.max_bytes = r.integer(s, "store", "max_bytes", 0, 0, INT64_MAX);
    c.store.processed_retention_ms =
        r.integer(s, "store", "processed_retention_ms", c.store.processed_retention_ms, 3600000, 3650LL * 86400000);
  }
  // Several processes share partitions only through a store they all reach.
  if (c.kafka.assignment.empty()) c.kafka.assignment = c.store.kind == "sqlite" ? "all" : "group";
  if (auto h = root["http"]; h.IsDefined()) {
    r.only_keys(h, "http", {"listen", "public_url", "operations_listen"});
    c.http.listen = r.string(h, "http", "listen", c.http.listen);
    r.check_address(h["listen"], "http.listen", c.http.listen);
    c.http.public_url = r.string(h, "http", "public_url", c.http.public_url);
    c.http.operations_listen = r.string(h, "http", "operations_listen", c.http.operations_listen);
    r.check_address(h["operations_listen"], "http.operations_listen", c.http.operations_listen);
  }
  if (auto a = root["auth"]; a.IsDefined()) {
    r.only_keys(a, "auth", {"operator_tokens"});
    c.auth.operator_tokens = r.tokens(a, "auth", "operator_tokens");
  }
  if (auto l = root["limits"]; l.IsDefined()) {
    r.only_keys(l, "limits", {"command_bytes", "webhook_bytes", "input_bytes", "deadletter_payload_bytes",
                              "record_bytes", "refusals_per_minute"});
    c.limits.record_bytes = r.integer(l, "limits", "record_bytes", c.limits.record_bytes, 64 * 1024, 64 << 20);
    c.limits.command_bytes = r.integer(l, "limits", "command_bytes", c.limits.command_bytes, 1024, c.limits.record_bytes / 2);
    c.limits.webhook_bytes = r.integer(l, "limits", "webhook_bytes", c.limits.webhook_bytes, 1024, c.limits.record_bytes / 2);
    c.limits.input_bytes = r.integer(l, "limits", "input_bytes", c.limits.input_bytes, 4096, c.limits.record_bytes);
    c.limits.deadletter_payload_bytes =
        r.integer(l, "limits", "deadletter_payload_bytes", c.limits.deadletter_payload_bytes, 0, 64 * 1024);
    c.limits.refusals_per_minute = r.integer(l, "limits", "refusals_per_minute", c.limits.refusals_per_minute, 0, 1000000);
    // A command or a webhook within its limit becomes an input with a little more around it (its
    // record's fields, JSON escapes): the inputs' limit leaves room for that.
    const std::int64_t room = std::max(c.limits.command_bytes, c.limits.webhook_bytes) + 64 * 1024;
    if (c.limits.input_bytes < room)
      r.error(l["input_bytes"].IsDefined() ? l["input_bytes"] : l, "limits.input_bytes",
              "must be at least limits.command_bytes or limits.webhook_bytes (the larger) + 65536, that is " +
                  std::to_string(room) + ": an accepted command or webhook must fit in an input");
  }
  if (auto s = root["sandbox"]; s.IsDefined()) {
    r.only_keys(s, "sandbox", {"enabled"});
    c.sandbox.enabled = r.boolean(s, "sandbox", "enabled", c.sandbox.enabled);
  }
  if (auto p = root["processor"]; p.IsDefined()) {
    r.only_keys(p, "processor", {"batch_size"});
    c.processor.batch_size = r.integer(p, "processor", "batch_size", c.processor.batch_size, 1, 100000);
  }
  if (auto e = root["executor"]; e.IsDefined()) {
    r.only_keys(e, "executor", {"threads", "max_attempts", "initial_backoff_ms", "max_backoff_ms", "timeout_ms",
                                "breaker_failures", "breaker_open_ms"});
    c.executor.threads = r.integer(e, "executor", "threads", c.executor.threads, 1, 256);
    c.executor.max_attempts = r.integer(e, "executor", "max_attempts", c.executor.max_attempts, 1, 100);
    c.executor.initial_backoff_ms = r.integer(e, "executor", "initial_backoff_ms", c.executor.initial_backoff_ms, 1, 3600000);
    c.executor.max_backoff_ms = r.integer(e, "executor", "max_backoff_ms", c.executor.max_backoff_ms, 1, 3600000);
    c.executor.timeout_ms = r.integer(e, "executor", "timeout_ms", c.executor.timeout_ms, 1, 3600000);
    c.executor.breaker_failures = r.integer(e, "executor", "breaker_failures", c.executor.breaker_failures, 1, 1000);
    c.executor.breaker_open_ms = r.integer(e, "executor", "breaker_open_ms", c.executor.breaker_open_ms, 1, 3600000);
  }
  if (auto j = root["janitor"]; j.IsDefined()) {
    r.only_keys(j, "janitor", {"enabled", "unknown_after_ms", "pending_after_ms"});
    c.janitor.enabled = r.boolean(j, "janitor", "enabled", c.janitor.enabled);
    constexpr std::int64_t kYear = 366LL * 86400000;
    c.janitor.unknown_after_ms = r.integers(j, "janitor", "unknown_after_ms", c.janitor.unknown_after_ms, 1000, kYear);
    c.janitor.pending_after_ms = r.integers(j, "janitor", "pending_after_ms", c.janitor.pending_after_ms, 1000, kYear);
  }
  if (auto providers = root["providers"]; providers.IsDefined()) {
    if (!providers.IsMap()) r.error(providers, "providers", "must be a mapping of provider name to settings");
    for (const auto& kv : providers) {
      const std::string name = r.key(kv.first, "providers");
      const std::string path = "providers." + name;
      const AdapterRegistration* reg = registry.find_adapter(name);
      if (reg == nullptr) r.error(kv.first, path, "unknown provider");
      std::set<std::string> allowed;
      for (const auto& key : reg->config_keys) allowed.insert(std::string(key.name));
      const YAML::Node section = kv.second;
      r.only_keys(section, path, allowed);
      ProviderSettings settings;
      for (const auto& key : reg->config_keys) {
        const YAML::Node v = section[std::string(key.name)];
        if (v.IsDefined() && v.IsSequence()) {
          const std::string key_path = path + "." + std::string(key.name);
          std::string joined;
          for (std::size_t i = 0; i < v.size(); ++i) {
            const std::string where = key_path + "[" + std::to_string(i) + "]";
            joined += (joined.empty() ? "" : ",") + r.interpolate(v[i], where, r.scalar(v[i], where));
          }
          settings[std::string(key.name)] = joined;
          continue;
        }
        std::string value = r.string(section, path, std::string(key.name), std::string(key.fallback));
        if (key.required && value.empty()) r.error(section, path + "." + std::string(key.name), "is required");
        settings[std::string(key.name)] = value;
      }
      c.providers[name] = std::move(settings);
    }
  }
  if (auto merchants = root["merchants"]; merchants.IsDefined()) {
    if (!merchants.IsSequence()) r.error(merchants, "merchants", "must be a list");
    std::size_t i = 0;
    for (const auto& m : merchants) {
      const std::string path = "merchants[" + std::to_string(i++) + "]";
      r.only_keys(m, path, {"id", "enabled", "providers", "tokens"});
      MerchantConfig mc;
      mc.id = r.string(m, path, "id", "");
      if (mc.id.empty()) r.error(m, path + ".id", "is required");
      if (c.merchant(mc.id) != nullptr) r.error(m, path + ".id", "duplicate merchant '" + mc.id + "'");
      mc.enabled = r.boolean(m, path, "enabled", true);
      mc.tokens = r.tokens(m, path, "tokens");
      if (auto ps = m["providers"]; ps.IsDefined()) {
        if (!ps.IsSequence()) r.error(ps, path + ".providers", "must be a list");
        for (std::size_t j = 0; j < ps.size(); ++j) {
          const YAML::Node p = ps[j];
          const std::string name = r.scalar(p, path + ".providers[" + std::to_string(j) + "]");
          if (!c.providers.contains(name)) r.error(p, path + ".providers", "provider '" + name + "' is not configured under providers");
          mc.providers.push_back(name);
        }
      }
      c.merchants.push_back(std::move(mc));
    }
  }
  return c;
}

Config load_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot read the file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), path);
}

}  // namespace corridor
