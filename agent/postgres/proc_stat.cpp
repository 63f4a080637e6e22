#include "agent/postgres/proc_stat.hpp"

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace ha::agent {

namespace {

struct StatLine {
  char state = 0;
  pid_t ppid = 0;
};

// The fields after the command name (which may hold spaces and parentheses).
std::optional<StatLine> read_stat(const std::string& path) {
  std::ifstream stat(path);
  std::string line;
  if (!std::getline(stat, line)) return std::nullopt;
  const auto close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size()) return std::nullopt;
  std::istringstream rest(line.substr(close + 2));
  StatLine s;
  rest >> s.state >> s.ppid;
  return s;
}

}  // namespace

bool process_running(pid_t pid) {
  if (pid <= 0) return false;
  const auto s = read_stat("/proc/" + std::to_string(pid) + "/stat");
  return s && s->state != 'Z' && s->state != 'X';
}

std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto s = read_stat(entry.path() / "stat");
    if (s && s->ppid == parent) out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

}  // namespace ha::agent
