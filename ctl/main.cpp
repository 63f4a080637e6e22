// hactl: the entry point of the operator CLI: parse the command line, run the command.
#include <iostream>

#include "ctl/ctl_options.hpp"
#include "ctl/output_format.hpp"
#include "ctl/run.hpp"

int main(int argc, char** argv) {
  const auto cl = ha::ctl::parse_ctl_command_line(argc, argv);
  std::cout << cl.out;
  if (!cl.err.empty()) std::cerr << cl.err << '\n';
  if (!cl.run) return cl.exit_code;
  return ha::ctl::run_command(cl.options, std::cout, std::cerr, ha::ctl::stdout_is_terminal());
}
