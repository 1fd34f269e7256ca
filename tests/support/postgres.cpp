#include "tests/support/postgres.hpp"

#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "tests/support/eventually.hpp"

namespace corridor::testing {

namespace {

// Debian's PostgreSQL 15 (postgresql-15); CORRIDOR_PG_BIN names another folder of the same binaries.
std::string bin(const std::string& name) {
  const char* dir = std::getenv("CORRIDOR_PG_BIN");
  return std::string(dir != nullptr ? dir : "/usr/lib/postgresql/15/bin") + "/" + name;
}

std::string tail_of(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  return s.size() > 4000 ? s.substr(s.size() - 4000) : s;
}

// Runs argv (as `user` when set, through setpriv), its output in `log`; its exit status.
int run(const std::vector<std::string>& argv, const std::string& user, const std::string& log, bool wait = true,
        int* child = nullptr) {
  std::vector<std::string> full;
  if (!user.empty()) {
    const passwd* pw = getpwnam(user.c_str());
    if (pw == nullptr) throw std::runtime_error("no user " + user);
    full = {"/usr/bin/setpriv", "--reuid=" + std::to_string(pw->pw_uid), "--regid=" + std::to_string(pw->pw_gid),
            "--clear-groups", "--pdeathsig=INT", "--"};
  }
  full.insert(full.end(), argv.begin(), argv.end());
  std::vector<char*> args;
  for (auto& a : full) args.push_back(a.data());
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    const int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) dup2(null, 0);
    execv(args[0], args.data());
    _exit(127);
  }
  if (child != nullptr) *child = pid;
  if (!wait) return 0;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string random_hex(std::size_t n) {
  std::random_device rd;
  std::string out;
  const char* digits = "0123456789abcdef";
  for (std::size_t i = 0; i < n; ++i) out += digits[rd() % 16];
  return out;
}

struct Holder {
  std::mutex mu;
  std::unique_ptr<PostgresServer> server;
};
Holder& holder() {
  static Holder h;  // destroyed at exit: the server stops then
  return h;
}

}  // namespace

PostgresServer& PostgresServer::shared(PostgresOptions options) {
  Holder& h = holder();
  std::lock_guard lock(h.mu);
  if (!h.server) h.server.reset(new PostgresServer(options));
  return *h.server;
}

PostgresServer::PostgresServer(PostgresOptions options) {
  char tmpl[] = "/tmp/corridor-pg-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("cannot create a folder for PostgreSQL");
  dir_ = tmpl;
  try {
    start(options);
  } catch (...) {
    stop();
    throw;
  }
}

PostgresServer::~PostgresServer() { stop(); }

void PostgresServer::start(PostgresOptions options) {
  // PostgreSQL refuses to run as root: the cluster belongs to an unprivileged user.
  if (geteuid() == 0) {
    run_as_ = getpwnam("postgres") != nullptr ? "postgres" : "nobody";
    const passwd* pw = getpwnam(run_as_.c_str());
    if (chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("cannot chown " + dir_);
  }
  password_ = "pw-" + random_hex(20);
  const std::string pwfile = dir_ + "/pwfile";
  std::ofstream(pwfile) << password_ << "\n";
  if (!run_as_.empty()) {
    const passwd* pw = getpwnam(run_as_.c_str());
    if (chown(pwfile.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("cannot chown " + pwfile);
  }
  const std::string log = dir_ + "/initdb.log";
  if (run({bin("initdb"), "-D", dir_ + "/data", "-U", "corridor", "--pwfile=" + pwfile, "--auth=scram-sha-256",
           "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"},
          run_as_, log) != 0)
    throw std::runtime_error("initdb failed (is postgresql-15 installed? scripts/install-deps.sh):\n" + tail_of(log));
  std::filesystem::remove(pwfile);
  for (int attempt = 0; attempt < 5; ++attempt)  // another process may take the port between choice and bind
    if (start_on(free_port(), options)) return;
  throw std::runtime_error("PostgreSQL did not start:\n" + tail_of(dir_ + "/postgres.log"));
}

bool PostgresServer::start_on(int port, PostgresOptions options) {
  std::vector<std::string> argv = {bin("postgres"), "-D", dir_ + "/data", "-p", std::to_string(port), "-k", dir_,
                                   "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200",
                                   // containers often have a small /dev/shm
                                   "-c", "dynamic_shared_memory_type=mmap"};
  if (!options.durable)
    for (const char* setting : {"fsync=off", "full_page_writes=off", "synchronous_commit=off"}) {
      argv.push_back("-c");
      argv.push_back(setting);
    }
  run(argv, run_as_, dir_ + "/postgres.log", false, &pid_);
  port_ = port;
  const std::string probe = "host=127.0.0.1 port=" + std::to_string(port) + " dbname=postgres user=corridor";
  bool exited = false;
  const bool up = eventually(
      [&] {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
          exited = true;
          return true;
        }
        return PQping(probe.c_str()) == PQPING_OK;
      },
      std::chrono::seconds(60));
  if (exited || !up) {
    if (!exited) {
      kill(pid_, SIGQUIT);
      waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
    return false;
  }
  return true;
}

std::string PostgresServer::url(const std::string& db) const {
  return "postgresql://corridor:" + password_ + "@127.0.0.1:" + std::to_string(port_) + "/" + db;
}

std::string PostgresServer::fresh_database() {
  std::string name;
  {
    std::lock_guard lock(holder().mu);
    name = "t" + std::to_string(getpid()) + "_" + std::to_string(++databases_);
  }
  PGconn* c = PQconnectdb(url("postgres").c_str());
  const bool ok = PQstatus(c) == CONNECTION_OK;
  std::string why = PQerrorMessage(c);
  if (ok) {
    PGresult* r = PQexec(c, ("CREATE DATABASE " + name).c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK) why = PQresultErrorMessage(r);
    else why.clear();
    PQclear(r);
  }
  PQfinish(c);
  if (!why.empty()) throw std::runtime_error("cannot create database " + name + ": " + why);
  return url(name);
}

void PostgresServer::stop() {
  if (pid_ > 0) {
    run({bin("pg_ctl"), "stop", "-D", dir_ + "/data", "-m", "fast", "-w", "-t", "60"}, run_as_, dir_ + "/pg_ctl.log");
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == 0) {
      kill(pid_, SIGQUIT);
      waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

}  // namespace corridor::testing
