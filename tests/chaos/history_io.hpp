// Saving and loading a History as text, one op per line (process kind key value expected result
// outcome invoke_ns complete_ns), so that the history of an anomaly can be checked again later
// (chaos_campaign --check FILE). Keys must not contain spaces.
#pragma once

#include <iosfwd>
#include <string>

#include "tests/chaos/history.hpp"

namespace ha::chaos {

void write_history(std::ostream& out, const History& history);
// Empty string and fills `out` when every line parses, else what is wrong (with the line number).
std::string read_history(std::istream& in, History& out);

}  // namespace ha::chaos
