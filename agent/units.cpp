#include "agent/units.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>

namespace ha::agent {

std::string format_seconds(double seconds) {
  std::string s = fmt::format("{:.3f}", seconds);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

std::string format_duration(Millis d) {
  return format_seconds(static_cast<double>(d.count()) / 1000.0) + " s";
}

std::string format_bytes(std::uint64_t bytes) {
  static constexpr std::array<const char*, 5> kUnits = {"B", "kB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (v >= 1024.0 && unit + 1 < kUnits.size()) {
    v /= 1024.0;
    ++unit;
  }
  if (unit == 0) return fmt::format("{} B", bytes);
  std::string num = fmt::format("{:.1f}", v);
  if (num.size() > 2 && num.compare(num.size() - 2, 2, ".0") == 0) num.resize(num.size() - 2);
  return num + " " + kUnits[unit];
}

Millis seconds_to_millis(double seconds) {
  return Millis(static_cast<std::int64_t>(std::llround(seconds * 1000.0)));
}

}  // namespace ha::agent
