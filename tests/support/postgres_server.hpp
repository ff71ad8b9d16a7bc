// A real PostgreSQL server for a test program: initdb and pg_ctl in a temporary folder on a free port,
// started once, stopped (immediate) and removed at exit. As root, the server runs as the `postgres` account
// (initdb and postgres refuse root), the way tests/bench/async_vs_pgbench.sh runs it.
#pragma once

#include "http_client.hpp"
#include "process.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace lgsp::test {

class PostgresServer {
 public:
  PostgresServer() {
    bin_ = find_bin();
    char pattern[] = "/tmp/lgsp-pg-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    std::filesystem::permissions(dir_, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                           std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                                           std::filesystem::perms::others_exec);
    if (::geteuid() == 0) must(run({"/bin/chown", "postgres", dir_.string()}), "chown");
    port_ = free_port();
    must(as_pg({bin_ + "/initdb", "-D", (dir_ / "pg").string(), "-U", "lgsp", "--auth=trust", "-E", "UTF8"}), "initdb");
    start();
  }
  ~PostgresServer() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  void start() {
    must(as_pg({bin_ + "/pg_ctl", "-D", (dir_ / "pg").string(), "-l", (dir_ / "pg.log").string(), "-w", "start", "-o",
                "-c port=" + std::to_string(port_) +
                    " -c listen_addresses=127.0.0.1 -c unix_socket_directories=" + dir_.string() + " -c fsync=off"}),
         "pg_ctl start");
  }
  // Immediate stop: the server goes away as in a crash (connections drop).
  void stop() { as_pg({bin_ + "/pg_ctl", "-D", (dir_ / "pg").string(), "-m", "immediate", "stop"}); }

  unsigned short port() const { return port_; }
  std::string conninfo(const std::string& database = "postgres") const {
    return "host=127.0.0.1 port=" + std::to_string(port_) + " user=lgsp dbname=" + database;
  }
  // Runs SQL through psql; returns its unaligned output. Throws on failure.
  std::string sql(const std::string& statements, const std::string& database = "postgres") const {
    auto r = run({bin_ + "/psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                  std::to_string(port_), "-U", "lgsp", "-d", database, "-c", statements});
    if (r.exit_code != 0) throw std::runtime_error("psql: " + r.err);
    while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
    return r.out;
  }
  const std::filesystem::path& dir() const { return dir_; }

  // A login role that must give its password (SCRAM) over TCP: the server otherwise trusts every local
  // connection. The role owns `database`, so it may create its tables there.
  void add_password_role(const std::string& role, const std::string& password, const std::string& database) {
    sql("DROP ROLE IF EXISTS " + role + "; CREATE ROLE " + role + " LOGIN PASSWORD '" + password + "'");
    sql("ALTER DATABASE " + database + " OWNER TO " + role);
    const auto hba = dir_ / "pg" / "pg_hba.conf";
    std::string rules = "host all " + role + " 127.0.0.1/32 scram-sha-256\n" + read_file(hba);
    std::ofstream(hba, std::ios::trunc) << rules;
    sql("SELECT pg_reload_conf()");
  }

 private:
  static std::string find_bin() {
    std::string best;
    for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql"))
      if (std::filesystem::exists(e.path() / "bin" / "initdb") && e.path().string() > best) best = e.path().string();
    if (best.empty()) throw std::runtime_error("no PostgreSQL under /usr/lib/postgresql (deploy/install-deps.sh)");
    return best + "/bin";
  }
  static RunResult as_pg(std::vector<std::string> argv) {
    if (::geteuid() == 0) argv.insert(argv.begin(), {"/usr/sbin/runuser", "-u", "postgres", "--"});
    return run(argv);
  }
  static void must(const RunResult& r, const std::string& what) {
    if (r.exit_code != 0) throw std::runtime_error(what + " failed: " + r.out + r.err);
  }
  std::string bin_;
  std::filesystem::path dir_;
  unsigned short port_ = 0;
};

}  // namespace lgsp::test
