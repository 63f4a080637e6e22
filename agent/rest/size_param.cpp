#include "agent/rest/size_param.hpp"

#include <cctype>
#include <charconv>
#include <limits>
#include <string>

namespace ha::agent::rest {

std::optional<std::uint64_t> parse_byte_size(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  std::uint64_t number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  std::string unit(end, text.data() + text.size());
  while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  int shift = 0;
  if (unit.empty() || unit == "b") {
    shift = 0;
  } else if (unit == "kb") {
    shift = 10;
  } else if (unit == "mb") {
    shift = 20;
  } else if (unit == "gb") {
    shift = 30;
  } else if (unit == "tb") {
    shift = 40;
  } else {
    return std::nullopt;
  }
  if (number > (std::numeric_limits<std::uint64_t>::max() >> shift)) return std::nullopt;
  return number << shift;
}

}  // namespace ha::agent::rest
