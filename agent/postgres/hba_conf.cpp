#include "agent/postgres/hba_conf.hpp"

#include <fmt/format.h>

namespace ha::agent::pg {

PgResult<std::string> render_hba(const std::vector<std::string>& lines) {
  if (lines.empty()) {
    return pg_error(PgErrorKind::kInvalid,
                    "postgresql.pg_hba is empty: nobody could connect (list at least the "
                    "superuser's and the replication user's entries)");
  }
  std::string out = "# Written by haagent from postgresql.pg_hba; every change is overwritten.\n";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find_first_of("\n\r") != std::string::npos) {
      return pg_error(
          PgErrorKind::kInvalid,
          fmt::format("pg_hba entry {} contains a line break: one entry per item", i + 1));
    }
    out += lines[i];
    out += '\n';
  }
  return out;
}

}  // namespace ha::agent::pg
