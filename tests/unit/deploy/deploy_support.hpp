#pragma once
// What the deploy checks share: a copy of deploy/ in a temporary folder with freshly generated secrets
// (deploy/secrets/generate.sh), commands run with their exit code and output, YAML read with yaml-cpp,
// and the names of the environment variables corridor reads.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace corridor::deploy_test {

inline std::string source(const std::string& relative) { return std::string(CORRIDOR_SOURCE_DIR) + "/" + relative; }

inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Ran {
  int exit = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command line; `timeout` bounds it (a hung tool fails the test instead of stopping it).
inline Ran run(const std::string& command) {
  Ran r;
  FILE* p = ::popen(("timeout 120 " + command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = ::pclose(p);
  r.exit = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// KEY=VALUE lines of an env file (comments and blank lines skipped).
inline std::map<std::string, std::string> env_file(const std::string& path) {
  std::map<std::string, std::string> out;
  std::istringstream in(slurp(path));
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

// deploy/ copied into a fresh temporary folder, its secrets generated there: the repository's own
// deploy/secrets/*.env (git-ignored) are never read.
class DeployCopy {
 public:
  DeployCopy() {
    char tmpl[] = "/tmp/corridor-deploy-XXXXXX";
    root_ = ::mkdtemp(tmpl);
    namespace fs = std::filesystem;
    fs::copy(source("deploy"), root_ + "/deploy", fs::copy_options::recursive);
    for (const auto& e : fs::directory_iterator(root_ + "/deploy/secrets"))
      if (e.path().extension() == ".env") fs::remove(e.path());
    generated_ = run("sh " + dir() + "/secrets/generate.sh");
  }
  ~DeployCopy() { std::filesystem::remove_all(root_); }
  DeployCopy(const DeployCopy&) = delete;
  DeployCopy& operator=(const DeployCopy&) = delete;

  std::string dir() const { return root_ + "/deploy"; }
  const Ran& generated() const { return generated_; }
  std::map<std::string, std::string> secrets(const std::string& file) const {
    return env_file(dir() + "/secrets/" + file);
  }
  // Every secret value generated, for looking for them where they must not be.
  std::vector<std::string> secret_values() const {
    std::vector<std::string> out;
    for (const char* f : {"database.env", "corridor.env", "operator.env"})
      for (const auto& [k, v] : secrets(f)) out.push_back(v);
    return out;
  }

 private:
  std::string root_;
  Ran generated_;
};

// The names corridor takes from its environment with deploy/corridor.yaml: each `${NAME}` or
// `${NAME:-default}` of the file (`required` only those without a default), the card vault's key
// (CardVault::kKeyVariable) and libpq's password variable.
struct ConfigEnv {
  std::set<std::string> all;
  std::set<std::string> required;
};
inline ConfigEnv corridor_env(const std::string& config_text) {
  ConfigEnv env{{"CORRIDOR_CARD_KEY", "PGPASSWORD"}, {"CORRIDOR_CARD_KEY", "PGPASSWORD"}};
  const std::regex ref(R"(\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\})");
  for (auto it = std::sregex_iterator(config_text.begin(), config_text.end(), ref); it != std::sregex_iterator(); ++it) {
    env.all.insert((*it)[1]);
    if (!(*it)[2].matched) env.required.insert((*it)[1]);
  }
  return env;
}

// `corridor check-config` on `config_path` with exactly `env` (and PATH) in its environment.
inline Ran check_config(const std::string& config_path, const std::map<std::string, std::string>& env) {
  std::string line = "env -i PATH=/usr/bin:/bin";
  for (const auto& [k, v] : env) line += " " + k + "=" + quoted(v);
  return run(line + " " + std::string(CORRIDOR_BINARY) + " check-config " + quoted(config_path));
}

// Whether check-config refused only for a loader that has no PostgreSQL store (a build from before it).
inline bool no_postgres_loader(const std::string& output) {
  return output.find("store.url: unknown key") != std::string::npos ||
         output.find("store.kind: only 'sqlite' is available") != std::string::npos;
}

// The `store:` block of a config replaced by a SQLite one, everything else as it is.
inline std::string with_sqlite_store(const std::string& config_text) {
  std::istringstream in(config_text);
  std::string out;
  bool in_store = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("store:", 0) == 0) {
      in_store = true;
      out += "store:\n  kind: sqlite\n  path: store.db\n";
      continue;
    }
    if (in_store && !line.empty() && line[0] != ' ' && line[0] != '#') in_store = false;
    if (!in_store) out += line + "\n";
  }
  return out;
}

// The routes docs/openapi.yaml says the public listener serves (`x-listeners`).
inline std::set<std::string> public_routes() {
  std::set<std::string> out;
  const YAML::Node doc = YAML::LoadFile(source("docs/openapi.yaml"));
  for (const auto& kv : doc["paths"]) {
    const YAML::Node listeners = kv.second["x-listeners"];
    if (!listeners.IsDefined() || !listeners.IsSequence()) continue;
    for (const auto& l : listeners)
      if (l.as<std::string>() == "public" && kv.second["get"].IsDefined()) out.insert(kv.first.as<std::string>());
  }
  return out;
}

inline std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

// A port or a volume of a service as `docker-compose config` writes it: the long form (a mapping) or
// the short one ("127.0.0.1:8081:8081/tcp", "data:/var/lib/x:rw"), as Compose versions differ.
struct Port {
  std::string host_ip, published, target;
};
inline Port port(const YAML::Node& n) {
  if (n.IsMap()) return {n["host_ip"].as<std::string>(""), n["published"].as<std::string>(""), n["target"].as<std::string>("")};
  std::string s = n.as<std::string>();
  if (auto slash = s.find('/'); slash != std::string::npos) s = s.substr(0, slash);
  auto parts = split(s, ':');
  if (parts.size() == 3) return {parts[0], parts[1], parts[2]};
  if (parts.size() == 2) return {"", parts[0], parts[1]};
  return {"", "", parts[0]};
}
struct Volume {
  std::string source, target;
};
inline Volume volume(const YAML::Node& n) {
  if (n.IsMap()) return {n["source"].as<std::string>(""), n["target"].as<std::string>("")};
  auto parts = split(n.as<std::string>(), ':');
  return {parts[0], parts.size() > 1 ? parts[1] : ""};
}

}  // namespace corridor::deploy_test
