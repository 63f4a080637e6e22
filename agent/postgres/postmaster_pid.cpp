#include "agent/postgres/postmaster_pid.hpp"

#include "agent/postgres/text_trim.hpp"

#include <signal.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

namespace ha::agent::pg {

namespace {

template <class Int>
bool parse_int(std::string_view s, Int& out) {
  s = trim(s);
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

// Whether `pid` is a live process that could be a postmaster. A zombie is dead: a killed
// postmaster's parent (init, since pg_ctl detaches it) may take its time to reap it.
bool alive_postgres(pid_t pid) {
  if (pid <= 0) return false;
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  std::string stat;
  if (!read_file("/proc/" + std::to_string(pid) + "/stat", stat)) return true;  // cannot tell
  // "<pid> (<comm>) <state> ...": comm may hold spaces and parentheses; the last ')' ends it.
  const auto open = stat.find('(');
  const auto close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return true;
  const std::string comm = stat.substr(open + 1, close - open - 1);
  const char state = close + 2 < stat.size() ? stat[close + 2] : '?';
  if (state == 'Z' || state == 'X') {
    // Ours to reap when the agent is its parent (the agent as PID 1 of a container, or a
    // child subreaper): otherwise it stays a zombie, and PostgreSQL will not start while its
    // pid exists.
    int ppid = 0;
    if (std::sscanf(stat.c_str() + close + 2, "%*c %d", &ppid) == 1 && ppid == ::getpid()) {
      ::waitpid(pid, nullptr, WNOHANG);
    }
    return false;
  }
  return comm == "postgres" || comm == "postmaster";
}

}  // namespace

std::optional<PostmasterPid> parse_postmaster_pid(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    lines.push_back(text.substr(pos, eol - pos));
    pos = eol + 1;
  }
  PostmasterPid p;
  if (lines.empty() || !parse_int(lines[0], p.pid) || p.pid <= 0) return std::nullopt;
  if (lines.size() > 1) p.data_dir = std::string(trim(lines[1]));
  if (lines.size() > 2) parse_int(lines[2], p.start_epoch);
  if (lines.size() > 3) parse_int(lines[3], p.port);
  if (lines.size() > 4) p.socket_dir = std::string(trim(lines[4]));
  if (lines.size() > 5) p.listen_address = std::string(trim(lines[5]));
  if (lines.size() > 6) {
    const auto shm = trim(lines[6]);
    const auto gap = shm.find_first_of(" \t");
    if (gap != std::string_view::npos) {
      parse_int(shm.substr(0, gap), p.shm_key);
      parse_int(shm.substr(gap), p.shm_id);
    }
  }
  if (lines.size() > 7) p.status = std::string(trim(lines[7]));
  return p;
}

const char* to_string(PostmasterState state) {
  switch (state) {
    case PostmasterState::kStopped: return "stopped";
    case PostmasterState::kRunning: return "running";
    case PostmasterState::kCrashed: return "crashed";
  }
  return "unknown";
}

bool shared_memory_in_use(const PostmasterPid& pid_file) {
  if (pid_file.shm_id < 0) return false;
  shmid_ds ds{};
  if (::shmctl(static_cast<int>(pid_file.shm_id), IPC_STAT, &ds) != 0) return false;  // gone
  return ds.shm_nattch > 0;
}

PostmasterStatus probe_postmaster(const std::string& data_dir) {
  PostmasterStatus status;
  std::string text;
  if (!read_file(data_dir + "/postmaster.pid", text)) {
    status.state = PostmasterState::kStopped;
    return status;
  }
  status.pid_file = parse_postmaster_pid(text);
  if (!status.pid_file) {
    // The postmaster writes the file in one go; a garbled one is a leftover (or being written
    // this very moment, which the next probe will see).
    status.state = PostmasterState::kCrashed;
    return status;
  }
  status.state =
      alive_postgres(status.pid_file->pid) ? PostmasterState::kRunning : PostmasterState::kCrashed;
  return status;
}

}  // namespace ha::agent::pg
