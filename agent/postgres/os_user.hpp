// OsUser: an operating-system account looked up by name (uid, gid, supplementary groups, home),
// so a command can run as that user (root agent in tests) — and the check whether this process
// may switch to it. Looking up and checking only; switching happens in the process runner.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "agent/postgres/pg_result.hpp"

namespace ha::agent::pg {

struct OsUser {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups, as `initgroups` would set them
  std::string home;
};

// The account named `name` (kInvalid when there is none).
PgResult<OsUser> lookup_os_user(const std::string& name);

// Whether this process can run commands as `user`: it is root, or it already is that user.
// The error says what to do otherwise.
PgStatus check_can_run_as(const OsUser& user);

}  // namespace ha::agent::pg
