#include "dcs/client/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace ha {

namespace {
std::atomic<int>& level_ref() {
  static std::atomic<int> level{static_cast<int>(LogLevel::kInfo)};
  return level;
}
const char* level_name(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return "INFO ";
    case LogLevel::kWarn: return "WARN ";
    case LogLevel::kError: return "ERROR";
  }
  return "?";
}
}  // namespace

void set_log_level(LogLevel level) { level_ref() = static_cast<int>(level); }

bool log_enabled(LogLevel level) { return static_cast<int>(level) >= level_ref().load(std::memory_order_relaxed); }

void log_line(LogLevel level, std::string_view component, std::string_view message) {
  using namespace std::chrono;
  auto now = system_clock::now();
  std::time_t t = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string line = fmt::format("{}.{:03d}Z {} {}: {}\n", stamp, ms, level_name(level), component, message);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace ha
