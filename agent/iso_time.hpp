// ISO 8601 timestamps as Patroni writes them ("2026-05-01T10:00:00+00:00"), for the failover
// key's scheduled_at and the history key. Parsing demands a time zone: a schedule without one
// is ambiguous across the members' hosts.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "agent/clock.hpp"

namespace ha::agent {

// "YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)"; a space may replace the T.
std::optional<WallTime> parse_iso_time(std::string_view text);
// UTC, "YYYY-MM-DDTHH:MM:SS+00:00" (milliseconds added when not whole seconds).
std::string format_iso_time(WallTime t);

}  // namespace ha::agent
