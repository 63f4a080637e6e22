// run_agent(): everything `haagent -c FILE` does once its config is loaded — start the fence
// guard (before any thread), the DCS session, the PostgreSQL node, the REST API and the HA loop,
// and stop them in order on SIGTERM or SIGINT. Returns the process's exit code.
#pragma once

#include "agent/config.hpp"

namespace ha::agent {

int run_agent(const AgentConfig& config);

}  // namespace ha::agent
