#include "agent/postgres/os_user.hpp"

#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ha::agent::pg {

PgResult<OsUser> lookup_os_user(const std::string& name) {
  if (name.empty()) return pg_error(PgErrorKind::kInvalid, "empty user name");
  long size = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buf(size > 0 ? static_cast<std::size_t>(size) : 16384);
  passwd pw{};
  passwd* found = nullptr;
  int rc = 0;
  while ((rc = getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found)) == ERANGE) {
    buf.resize(buf.size() * 2);
  }
  if (rc != 0) {
    return pg_error(PgErrorKind::kInvalid,
                    fmt::format("cannot look up user '{}': {}", name, std::strerror(rc)));
  }
  if (found == nullptr) {
    return pg_error(PgErrorKind::kInvalid, fmt::format("no such user '{}'", name));
  }
  OsUser user;
  user.name = name;
  user.uid = pw.pw_uid;
  user.gid = pw.pw_gid;
  user.home = pw.pw_dir != nullptr ? pw.pw_dir : "/";
  int count = 32;
  for (;;) {
    user.groups.resize(static_cast<std::size_t>(count));
    int n = count;
    if (getgrouplist(name.c_str(), pw.pw_gid, user.groups.data(), &n) >= 0) {
      user.groups.resize(static_cast<std::size_t>(n));
      break;
    }
    if (n <= count) n = count * 2;  // glibc reports the size needed; be safe if it does not
    count = n;
  }
  return user;
}

PgStatus check_can_run_as(const OsUser& user) {
  const uid_t me = geteuid();
  if (me == 0 || me == user.uid) return {};
  return pg_error(PgErrorKind::kState,
                  fmt::format("cannot run commands as user '{}': this process runs as uid {}, and "
                              "only root can switch users (run the agent as '{}' or as root)",
                              user.name, me, user.name));
}

}  // namespace ha::agent::pg
