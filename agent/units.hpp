// Human-readable renderings of durations, byte counts and WAL lag for log lines and error
// messages ("2.5 s", "1 MiB", "16 kB"). Formatting only; no parsing of user input.
#pragma once

#include <cstdint>
#include <string>

#include "agent/clock.hpp"

namespace ha::agent {

// "0 s", "0.25 s", "2.5 s", "60 s": seconds with at most three decimals, trailing zeros cut.
std::string format_duration(Millis d);
// Seconds as a config value: "1", "0.5".
std::string format_seconds(double seconds);
// "0 B", "512 B", "16 kB", "1 MiB", "1.5 GiB" (powers of 1024; "kB" as PostgreSQL writes it).
std::string format_bytes(std::uint64_t bytes);
// Seconds as a duration (rounded to the millisecond).
Millis seconds_to_millis(double seconds);

}  // namespace ha::agent
