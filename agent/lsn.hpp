// Lsn: a PostgreSQL WAL position (pg_lsn), as a byte offset, with the "X/Y" text form that
// PostgreSQL prints. Only the value type; reading positions from a server is elsewhere.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ha::agent {

struct Lsn {
  std::uint64_t value = 0;

  friend auto operator<=>(const Lsn&, const Lsn&) = default;
};

// "0/3000060" (upper-case hex, as PostgreSQL prints it).
std::string to_string(Lsn lsn);
// Accepts PostgreSQL's "X/Y" form (hex, either case); nothing on anything else.
std::optional<Lsn> parse_lsn(std::string_view text);
// How many bytes `behind` is behind `ahead`; 0 when it is not behind.
std::uint64_t bytes_behind(Lsn behind, Lsn ahead);

}  // namespace ha::agent
