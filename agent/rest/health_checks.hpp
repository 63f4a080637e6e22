// The load-balancer checks of Patroni's REST API (/primary, /replica?lag=&tag_k=v, /read-only,
// /sync, /async, /leader, /health, /liveness, /readiness): which paths they are and whether
// this member passes, from an AgentStatus. Pure; the router turns the verdict into 200 or 503.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "agent/rest/http_types.hpp"
#include "agent/runtime/agent_status.hpp"

namespace ha::agent::rest {

enum class HealthCheck {
  primary,    // /, /primary, /read-write, /master
  leader,     // /leader
  replica,    // /replica
  read_only,  // /read-only
  sync,       // /sync, /synchronous
  async,      // /async, /asynchronous
  health,     // /health
  liveness,   // /liveness
  readiness,  // /readiness
};

// Nothing when `path` is not a health check.
std::optional<HealthCheck> health_check_for(std::string_view path);
// Liveness and readiness answer with the status line only (as Patroni's).
bool is_status_only(HealthCheck check);

struct CheckVerdict {
  bool pass = false;
  std::string bad_parameter;  // set when a query parameter is malformed (answered with 400)
};

CheckVerdict run_health_check(HealthCheck check, const Params& query, const AgentStatus& status,
                              WallTime now);

}  // namespace ha::agent::rest
