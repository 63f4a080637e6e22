// Where the end-to-end tests find their programs and the OS user they run PostgreSQL and haagent
// as: the haagent binary (hadcs: see tests/dcs/integration's harness), the
// PostgreSQL bin dir, the `postgres` account, and making a binary reachable by that account.
// No processes are started here.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <stdexcept>
#include <string>

namespace ha::e2e {

using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;

// What a failed harness step throws (tests report its message; the bench prints it).
struct E2eError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// $HA_HAAGENT_BIN, else the path CMake compiled in.
std::string haagent_binary();
// $HA_PG_BIN_DIR, else Debian's PostgreSQL 15; throws naming deploy/install-deps.sh when absent.
std::string pg_bin_dir();

// The account PostgreSQL and haagent run as. Throws unless this process is root and the
// account exists (the agents are started through setpriv as that user).
struct RunAs {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};
const RunAs& postgres_user();

// chown -R to the postgres account.
void give_to_postgres(const std::string& path);

// `binary` when every directory above it is searchable and the file readable and executable
// by others; otherwise a copy in `dir` (mode 0755) — CI checkouts may live under /root.
std::string reachable_copy(const std::string& binary, const std::string& dir);

// Milliseconds since `t` as a double, for messages and figures.
double ms_since(Clock::time_point t);
double ms_between(Clock::time_point a, Clock::time_point b);

}  // namespace ha::e2e
