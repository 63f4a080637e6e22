// Questions to the operator on stdout with the answer read from stdin: a free answer, or a
// yes/no confirmation whose default is no. At the end of input (a script, no terminal) nothing
// is confirmed, and the caller says to pass --force.
#pragma once

#include <optional>
#include <string>

#include "ctl/context.hpp"

namespace ha::ctl {

// Prints "<question> " and reads one line (trimmed). Nothing at the end of input.
std::optional<std::string> ask(Context& ctx, const std::string& question);
// "<question> [y/N]: "; true only for y or yes (any case).
bool confirm(Context& ctx, const std::string& question);

}  // namespace ha::ctl
