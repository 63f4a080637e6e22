// haagent: the entry point of the PostgreSQL HA agent. Parses the command line and loads and
// checks the config (--validate-config stops there); the HA loop itself is not built yet, and
// until then this says so rather than pretending to run.
#include <iostream>

#include "agent/agent_options.hpp"
#include "agent/config.hpp"

int main(int argc, char** argv) {
  const auto cl = ha::agent::parse_agent_command_line(argc, argv);
  std::cout << cl.out;
  if (!cl.err.empty()) std::cerr << cl.err << '\n';
  if (!cl.run) return cl.exit_code;
  const auto load = ha::agent::load_config_file(cl.options.config_file);
  for (const auto& e : load.errors) std::cerr << "haagent: " << e << '\n';
  if (!load.config) return 2;
  if (cl.options.validate_config) {
    std::cout << "haagent: config '" << cl.options.config_file << "' is valid (scope "
              << load.config->scope << ", member " << load.config->name << ")\n";
    return 0;
  }
  std::cerr << "haagent: the agent loop is not built yet (see issue #5)\n";
  return 1;
}
