// AgentOptions: haagent's command line (which config file, what to do with it), parsed and
// checked. Reading the YAML config itself belongs to the agent's config loader (issue #5).
#pragma once

#include <string>

namespace ha::agent {

struct AgentOptions {
  std::string config_file;       // the agent's YAML config (Patroni key names)
  bool validate_config = false;  // check the config and exit, without starting anything
};

// What a command line asks for: run with `options` (run = true), or exit now with `exit_code`
// after printing `out` on stdout and `err` on stderr (help, version, or a usage error).
struct AgentCommandLine {
  bool run = false;
  int exit_code = 0;
  std::string out;
  std::string err;
  AgentOptions options;
};

// `haagent [--validate-config] CONFIG` or `haagent --config CONFIG`; HAAGENT_CONFIG is used
// when neither is given. Exit codes: 0 for --help and --version, 2 for bad usage (including a
// config file that cannot be read).
AgentCommandLine parse_agent_command_line(int argc, const char* const* argv);

}  // namespace ha::agent
