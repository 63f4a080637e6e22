// haagent: the entry point of the PostgreSQL HA agent. Parses the command line, loads and
// checks the config (--validate-config stops there), then runs the agent (run_agent).
#include <iostream>

#include "agent/agent_options.hpp"
#include "agent/config.hpp"
#include "agent/runtime/agent_main.hpp"

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
  return ha::agent::run_agent(*load.config);
}
