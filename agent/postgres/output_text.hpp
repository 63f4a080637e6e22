// Turning what a PostgreSQL program or the server log said into one line for an error message:
// the last meaningful lines of a program's output, the FATAL/ERROR lines of a server log
// (without their timestamp prefixes). Text only.
#pragma once

#include <string>
#include <string_view>

namespace ha::agent::pg {

// The last few non-empty lines of `err` (or of `out` when `err` has none), joined with "; ",
// without pg_ctl's progress dots, at most ~800 characters.
std::string summarize_output(std::string_view err, std::string_view out);

// The lines of a server log excerpt that explain a failure (FATAL, PANIC, ERROR, "could not",
// DETAIL, HINT), from their level on, joined with "; "; the last lines when none match.
std::string summarize_server_log(std::string_view log);

}  // namespace ha::agent::pg
