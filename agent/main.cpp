// haagent: the entry point of the PostgreSQL HA agent. Parses the command line; the agent
// itself arrives with issue #5, and until then this says so rather than pretending to run.
#include <iostream>

#include "agent/agent_options.hpp"

int main(int argc, char** argv) {
  const auto cl = ha::agent::parse_agent_command_line(argc, argv);
  std::cout << cl.out;
  if (!cl.err.empty()) std::cerr << cl.err << '\n';
  if (!cl.run) return cl.exit_code;
  if (cl.options.validate_config) {
    std::cerr << "haagent: config validation is not built yet (see issue #5)\n";
  } else {
    std::cerr << "haagent: the agent is not built yet (see issue #5)\n";
  }
  return 1;
}
