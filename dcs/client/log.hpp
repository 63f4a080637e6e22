// Logging for every program of the suite: one line per event on stderr, with a UTC timestamp,
// a level and the component, e.g. "2026-11-30T05:50:00.123Z INFO  raft: elected leader at term 3".
#pragma once

#include <fmt/format.h>

#include <string_view>

namespace ha {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Messages below this level are dropped (kInfo unless changed at start-up).
void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);
void log_line(LogLevel level, std::string_view component, std::string_view message);

template <typename... Args>
void log_info(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
  if (log_enabled(LogLevel::kInfo)) log_line(LogLevel::kInfo, component, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void log_warn(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
  if (log_enabled(LogLevel::kWarn)) log_line(LogLevel::kWarn, component, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void log_error(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
  if (log_enabled(LogLevel::kError)) log_line(LogLevel::kError, component, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void log_debug(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
  if (log_enabled(LogLevel::kDebug)) log_line(LogLevel::kDebug, component, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace ha
