// trim(): a view of text without the blanks around it, for parsing what PostgreSQL and its
// programs write (pg_controldata, postmaster.pid, history files, program output).
#pragma once

#include <string_view>

namespace ha::agent::pg {

// `s` without leading and trailing characters from `blanks` (spaces, tabs and carriage returns
// unless told otherwise).
inline std::string_view trim(std::string_view s, std::string_view blanks = " \t\r") {
  const auto b = s.find_first_not_of(blanks);
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(blanks);
  return s.substr(b, e - b + 1);
}

}  // namespace ha::agent::pg
