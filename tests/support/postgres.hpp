#pragma once
// A real PostgreSQL 15 server for the tests (no mock): Debian's binaries (postgresql-15, installed by
// scripts/install-deps.sh), a cluster made by initdb in a temporary folder, run as an unprivileged
// user (postgres, else nobody) when the tests run as root, as they do in CI; on a free loopback port,
// its unix socket in the same folder. Started once per test binary at first use, stopped
// (pg_ctl stop -m fast) and removed when the binary exits, whether its tests passed or not; a binary
// that dies without exiting takes the server with it (the server is its child, with a parent-death
// signal), leaving only the temporary folder.
#include <string>

namespace corridor::testing {

struct PostgresOptions {
  // Commits wait for the WAL's fsync, as in production (benchmarks); tests run without it.
  bool durable = false;
};

class PostgresServer {
 public:
  // The binary's server, started with `options` at the first call (later options are ignored).
  // Throws std::runtime_error, with initdb's or the server's log, when it cannot start.
  static PostgresServer& shared(PostgresOptions options = {});

  // A new, empty database of its own: its postgresql:// URL, password included.
  std::string fresh_database();
  // The URL of database `db` (it may not exist).
  std::string url(const std::string& db) const;
  const std::string& password() const { return password_; }
  int port() const { return port_; }

  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

 private:
  explicit PostgresServer(PostgresOptions options);
  void start(PostgresOptions options);
  bool start_on(int port, PostgresOptions options);
  void stop();

  std::string dir_;       // the temporary folder: data/, the socket, the logs
  std::string run_as_;    // the unprivileged user, or empty when not root
  std::string password_;
  int port_ = 0;
  int pid_ = -1;          // the postmaster, our child
  int databases_ = 0;
};

}  // namespace corridor::testing
