// pg_hba.conf as the agent writes it: the configured lines (postgresql.pg_hba), in order, under
// a header saying the file is managed. Rendering and line checks only.
#pragma once

#include <string>
#include <vector>

#include "agent/postgres/pg_result.hpp"

namespace ha::agent::pg {

// The file's text. kInvalid when a line contains a line break (one entry per line) or the
// list is empty (a server nobody can connect to).
PgResult<std::string> render_hba(const std::vector<std::string>& lines);

}  // namespace ha::agent::pg
