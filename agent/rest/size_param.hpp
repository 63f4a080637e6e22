// Byte sizes in query parameters (?lag=16MB): a plain number of bytes or a number with
// PostgreSQL's memory units B, kB, MB, GB, TB (powers of 1024; the letters in any case).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ha::agent::rest {

std::optional<std::uint64_t> parse_byte_size(std::string_view text);

}  // namespace ha::agent::rest
