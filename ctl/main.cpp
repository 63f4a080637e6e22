// hactl: the entry point of the operator CLI. Parses and checks the command line; the commands
// themselves arrive with issue #6, and until then this says so rather than pretending.
#include <ha_version.hpp>
#include <iostream>

#include "ctl/ctl_options.hpp"

int main(int argc, char** argv) {
  const auto cl = ha::ctl::parse_ctl_command_line(argc, argv);
  std::cout << cl.out;
  if (!cl.err.empty()) std::cerr << cl.err << '\n';
  if (!cl.run) return cl.exit_code;
  const auto& o = cl.options;
  if (o.command == "version") {
    std::cout << "hactl " << ha::kVersionFull << '\n';
    const bool cluster_given = !o.config_file.empty() || !o.dcs_endpoints.empty();
    if (!cluster_given) return 0;
    std::cerr << "hactl: asking the agents for their versions is not built yet (see issue #6)\n";
    return 1;
  }
  std::cerr << "hactl: '" << o.command << "' is not built yet (see issue #6)\n";
  return 1;
}
