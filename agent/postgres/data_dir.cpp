#include "agent/postgres/data_dir.hpp"

#include "agent/postgres/text_trim.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/postgres/os_user.hpp"

namespace ha::agent::pg {

namespace fs = std::filesystem;

namespace {

std::string errno_text() { return std::strerror(errno); }

bool read_text(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

// Blanks and line ends around a value read from a file.
std::string_view trim_line(std::string_view s) { return trim(s, " \t\r\n"); }

// Writes all of `content` to `fd`.
bool write_all(int fd, const std::string& content) {
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

PgStatus write_file_as(const std::string& path, const std::string& content, uid_t uid, gid_t gid,
                       mode_t mode) {
  const std::string tmp = path + ".haagent.tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    return pg_error(PgErrorKind::kIo, fmt::format("cannot write {}: {}", tmp, errno_text()));
  }
  bool ok = write_all(fd, content) && ::fchmod(fd, mode) == 0;
  if (ok && ::geteuid() == 0) ok = ::fchown(fd, uid, gid) == 0;
  if (ok) ok = ::fsync(fd) == 0;
  const std::string err = ok ? std::string() : errno_text();
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    return pg_error(PgErrorKind::kIo, fmt::format("cannot write {}: {}", tmp, err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string rename_err = errno_text();
    ::unlink(tmp.c_str());
    return pg_error(PgErrorKind::kIo, fmt::format("cannot replace {}: {}", path, rename_err));
  }
  return {};
}

}  // namespace

const char* to_string(DataDirState state) {
  switch (state) {
    case DataDirState::kMissing: return "missing";
    case DataDirState::kEmpty: return "empty";
    case DataDirState::kInitialized: return "initialized";
    case DataDirState::kOther: return "not a data directory";
  }
  return "unknown";
}

DataDirState inspect_data_dir(const std::string& data_dir) {
  std::error_code ec;
  if (!fs::exists(data_dir, ec)) return DataDirState::kMissing;
  if (!fs::is_directory(data_dir, ec)) return DataDirState::kOther;
  if (fs::is_empty(data_dir, ec) && !ec) return DataDirState::kEmpty;
  if (fs::exists(fs::path(data_dir) / "PG_VERSION", ec) &&
      fs::exists(fs::path(data_dir) / "global" / "pg_control", ec)) {
    return DataDirState::kInitialized;
  }
  return DataDirState::kOther;
}

PgResult<int> read_pg_version(const std::string& data_dir) {
  const std::string path = data_dir + "/PG_VERSION";
  std::string text;
  if (!read_text(path, text)) {
    return pg_error(PgErrorKind::kIo, fmt::format("cannot read {}: {}", path, errno_text()));
  }
  const auto v = trim_line(text);
  int major = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), major);
  // Before 10 the file said "9.6": the part before the dot is still the major we need.
  if (ec != std::errc() || major <= 0 || (end != v.data() + v.size() && *end != '.')) {
    return pg_error(PgErrorKind::kInvalid, fmt::format("{} says '{}', not a version", path, v));
  }
  return major;
}

PgStatus write_data_file(const std::string& data_dir, const std::string& name,
                         const std::string& content) {
  struct stat dir_st {};
  if (::stat(data_dir.c_str(), &dir_st) != 0) {
    return pg_error(PgErrorKind::kIo,
                    fmt::format("cannot write into {}: {}", data_dir, errno_text()));
  }
  const mode_t mode = (dir_st.st_mode & S_IRWXG) != 0 ? 0640 : 0600;
  return write_file_as(data_dir + "/" + name, content, dir_st.st_uid, dir_st.st_gid, mode);
}

bool data_file_exists(const std::string& data_dir, const std::string& name) {
  std::error_code ec;
  return fs::exists(fs::path(data_dir) / name, ec);
}

PgStatus set_data_file_present(const std::string& data_dir, const std::string& name, bool present) {
  const std::string path = data_dir + "/" + name;
  if (present) {
    if (data_file_exists(data_dir, name)) return {};
    return write_data_file(data_dir, name, "");
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return pg_error(PgErrorKind::kIo, fmt::format("cannot remove {}: {}", path, errno_text()));
  }
  return {};
}

PgStatus ensure_conf_line(const std::string& data_dir, const std::string& line) {
  const std::string path = data_dir + "/postgresql.conf";
  std::string text;
  if (!read_text(path, text)) {
    return pg_error(PgErrorKind::kIo, fmt::format("cannot read {}: {}", path, errno_text()));
  }
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    if (trim_line(std::string_view(text).substr(pos, eol - pos)) == trim_line(line)) return {};
    pos = eol + 1;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return pg_error(PgErrorKind::kIo, fmt::format("cannot read {}: {}", path, errno_text()));
  }
  if (!text.empty() && text.back() != '\n') text += '\n';
  text += "\n# Added by haagent: its settings file (written on every start and reload).\n";
  text += line;
  text += '\n';
  return write_file_as(path, text, st.st_uid, st.st_gid, st.st_mode & 07777);
}

PgStatus make_private_dir(const std::string& dir, const std::string& owner) {
  if (::mkdir(dir.c_str(), 0700) != 0) {
    if (errno == EEXIST) return {};
    return pg_error(PgErrorKind::kIo, fmt::format("cannot create {}: {}", dir, errno_text()));
  }
  if (!owner.empty() && ::geteuid() == 0) {
    auto user = lookup_os_user(owner);
    if (!user) return user.error();
    if (::chown(dir.c_str(), user->uid, user->gid) != 0) {
      return pg_error(PgErrorKind::kIo,
                      fmt::format("cannot give {} to user '{}': {}", dir, owner, errno_text()));
    }
  }
  return {};
}

}  // namespace ha::agent::pg
