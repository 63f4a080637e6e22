// Test scaffolding for the PostgreSQL end-to-end tests: where PostgreSQL 15 is (a clear failure
// naming deploy/install-deps.sh when it is not), free ports, and PgTestNode — one data
// directory under a private temp directory owned by `postgres`, its PgControl, connection
// strings for the test users, and a destructor that stops the server and kills whatever of it
// is left, even when the test failed half-way.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/postgres/pg_connection.hpp"
#include "agent/postgres/pg_control.hpp"
#include "agent/postgres/process_runner.hpp"

namespace ha::test {

using ha::agent::pg::Millis;

// Test users: the superuser (trust over TCP from 127.0.0.1), a replication user and a rewind
// user (both with SCRAM passwords).
inline constexpr const char* kSuperuser = "postgres";
inline constexpr const char* kReplUser = "replicator";
inline constexpr const char* kReplPassword = "repl 'pass' \\ word";
inline constexpr const char* kRewindUser = "rewinder";
inline constexpr const char* kRewindPassword = "rewind-pass";

// The PostgreSQL 15 bin directory ($HA_PG_BIN_DIR or Debian's); fails the test with what to do
// when it is missing or when this process can neither run as postgres nor switch to it.
std::string pg_bin_dir();
// The OS user to run PostgreSQL as: "postgres" when the tests run as root, else "" (ourselves).
std::string pg_run_as();
// A TCP port on 127.0.0.1 that was free a moment ago (never 5432).
std::uint16_t free_port();

// Whether `pid` is a live process (a zombie waiting for its parent to reap it is not).
bool process_alive(int pid);

// Polls `done` every 50 ms until it is true or `timeout` passes; returns its last answer.
bool wait_until(const std::function<bool()>& done, Millis timeout);

// A private directory under /tmp that PostgreSQL's user can write; removed at the end.
class PgTestRoot {
 public:
  PgTestRoot();
  ~PgTestRoot();
  PgTestRoot(const PgTestRoot&) = delete;
  PgTestRoot& operator=(const PgTestRoot&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class PgTestNode {
 public:
  PgTestNode(const PgTestRoot& root, const std::string& name);
  ~PgTestNode();
  PgTestNode(const PgTestNode&) = delete;
  PgTestNode& operator=(const PgTestNode&) = delete;

  const std::string& name() const { return name_; }
  std::uint16_t port() const { return port_; }
  void set_port(std::uint16_t port) { port_ = port; }
  const std::string& data_dir() const { return control_.data_dir(); }
  const std::string& log_file() const { return log_file_; }
  ha::agent::pg::PgControl& control() { return control_; }

  // The node's settings: 127.0.0.1:port, the socket in the root directory, fast test settings;
  // as a standby of `upstream` when given (replication user, slot `slot`).
  ha::agent::pg::ServerSettings settings(const PgTestNode* upstream = nullptr,
                                         const std::string& slot = "") const;
  static std::vector<std::string> hba();

  // initdb (checksums, no fsync), the primary settings and pg_hba; REQUIREs success.
  void init();
  // write_config + start; REQUIREs success.
  void start_as_primary();
  void start_as_standby_of(const PgTestNode& upstream, const std::string& slot = "");
  // Creates the replication and rewind users (on a primary).
  void create_users();

  std::string conninfo(const std::string& user = kSuperuser, const std::string& password = "",
                       const std::string& application_name = "") const;
  ha::agent::pg::PgResult<ha::agent::pg::PgConnection> connect(
      Millis statement_timeout = Millis(5000)) const;
  // A connection that REQUIREs success.
  ha::agent::pg::PgConnection must_connect() const;
  // Runs `sql` on a fresh connection; REQUIREs success; the first column of every row.
  std::vector<std::string> sql(const std::string& statement) const;

  // The postmaster's pid (0 when not running) and the pids of its children right now.
  int postmaster_pid() const;
  std::vector<int> postmaster_children() const;

 private:
  void cleanup();

  std::string name_;
  std::string root_;
  std::string log_file_;
  std::uint16_t port_;
  ha::agent::pg::ProcessRunner runner_;
  ha::agent::pg::PgControl control_;
};

}  // namespace ha::test
