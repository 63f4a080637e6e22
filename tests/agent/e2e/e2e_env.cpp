#include "tests/agent/e2e/e2e_env.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace ha::e2e {

namespace fs = std::filesystem;

namespace {
std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  if (v != nullptr && *v != '\0') return v;
  if (fallback == nullptr) throw E2eError(std::string("set ") + name + " to the program's path");
  return fallback;
}
}  // namespace

std::string haagent_binary() {
#ifdef HA_HAAGENT_BINARY
  return env_or("HA_HAAGENT_BIN", HA_HAAGENT_BINARY);
#else
  return env_or("HA_HAAGENT_BIN", nullptr);
#endif
}

std::string pg_bin_dir() {
  const std::string dir = env_or("HA_PG_BIN_DIR", "/usr/lib/postgresql/15/bin");
  for (const char* p : {"initdb", "pg_ctl", "postgres", "pg_basebackup", "pg_rewind"}) {
    if (::access((dir + "/" + p).c_str(), X_OK) != 0) {
      throw E2eError("PostgreSQL 15 is not installed: " + dir + "/" + p +
                     " is missing. Run deploy/install-deps.sh (Debian package postgresql-15) or "
                     "set HA_PG_BIN_DIR.");
    }
  }
  return dir;
}

const RunAs& postgres_user() {
  static const RunAs user = [] {
    if (::geteuid() != 0) {
      throw E2eError(
          "the e2e tests must run as root: they start PostgreSQL and haagent as the postgres user");
    }
    const passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr) throw E2eError("no 'postgres' OS user: run deploy/install-deps.sh");
    return RunAs{"postgres", pw->pw_uid, pw->pw_gid};
  }();
  return user;
}

void give_to_postgres(const std::string& path) {
  const auto& u = postgres_user();
  if (::lchown(path.c_str(), u.uid, u.gid) != 0) {
    throw E2eError("cannot chown " + path + " to postgres");
  }
  if (!fs::is_directory(path)) return;
  for (const auto& e : fs::recursive_directory_iterator(path)) {
    if (::lchown(e.path().c_str(), u.uid, u.gid) != 0) {
      throw E2eError("cannot chown " + e.path().string() + " to postgres");
    }
  }
}

std::string reachable_copy(const std::string& binary, const std::string& dir) {
  const fs::path abs = fs::absolute(binary);
  bool ok = true;
  struct stat st {};
  if (::stat(abs.c_str(), &st) != 0) throw E2eError("no such program: " + abs.string());
  ok = (st.st_mode & S_IROTH) != 0 && (st.st_mode & S_IXOTH) != 0;
  for (fs::path p = abs.parent_path(); ok && !p.empty(); p = p.parent_path()) {
    if (::stat(p.c_str(), &st) != 0 || (st.st_mode & S_IXOTH) == 0) ok = false;
    if (p == p.root_path()) break;
  }
  if (ok) return abs.string();
  const fs::path copy = fs::path(dir) / abs.filename();
  std::error_code ec;
  fs::copy_file(abs, copy, fs::copy_options::overwrite_existing, ec);
  if (ec) throw E2eError("cannot copy " + abs.string() + " to " + dir + ": " + ec.message());
  fs::permissions(copy, fs::perms(0755), ec);
  return copy.string();
}

double ms_since(Clock::time_point t) { return ms_between(t, Clock::now()); }
double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

}  // namespace ha::e2e
