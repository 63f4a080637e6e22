#include "agent/lsn.hpp"

#include <fmt/format.h>

#include <charconv>

namespace ha::agent {

namespace {

std::optional<std::uint32_t> parse_hex32(std::string_view s) {
  if (s.empty() || s.size() > 8) return std::nullopt;
  std::uint32_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::string to_string(Lsn lsn) {
  return fmt::format("{:X}/{:X}", lsn.value >> 32, lsn.value & 0xffffffffULL);
}

std::optional<Lsn> parse_lsn(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto hi = parse_hex32(text.substr(0, slash));
  const auto lo = parse_hex32(text.substr(slash + 1));
  if (!hi || !lo) return std::nullopt;
  return Lsn{(std::uint64_t{*hi} << 32) | *lo};
}

std::uint64_t bytes_behind(Lsn behind, Lsn ahead) {
  return behind.value >= ahead.value ? 0 : ahead.value - behind.value;
}

}  // namespace ha::agent
