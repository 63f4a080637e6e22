// Runs a parsed hactl command line: finds the cluster, makes the DCS client and hands the
// command to its implementation. Returns the process exit code.
#pragma once

#include <ostream>

#include "ctl/ctl_options.hpp"

namespace ha::ctl {

// `terminal`: stdout is a terminal (colour in pretty output).
int run_command(const CtlOptions& options, std::ostream& out, std::ostream& err, bool terminal);

}  // namespace ha::ctl
