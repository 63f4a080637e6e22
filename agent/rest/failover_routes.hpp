// POST /switchover and POST /failover: the request checked as Patroni checks it (a switchover
// names the current leader; a failover names a candidate; the candidate must be a running
// member without nofailover, and synchronous in synchronous mode; schedules only for a
// switchover, in the future, not while paused), then the /failover key written and the leader
// change awaited on the StatusBoard.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <variant>

#include "agent/cluster_view.hpp"
#include "agent/rest/http_types.hpp"
#include "agent/rest/rest_context.hpp"
#include "agent/runtime/agent_status.hpp"

namespace ha::agent::rest {

enum class FailoverAction { switchover, failover };

// A checked request: what to write into /failover.
struct FailoverPlan {
  FailoverAction action = FailoverAction::switchover;  // a failover naming a leader is one
  FailoverRequest request;
  bool scheduled() const { return request.scheduled_at.has_value(); }
};

// The plan, or the response that refuses the request (400, 412, 422, 503).
std::variant<FailoverPlan, HttpResponse> check_failover_request(FailoverAction action,
                                                                const nlohmann::json& body,
                                                                const AgentStatus& status,
                                                                WallTime now);

HttpResponse post_failover(FailoverAction action, const HttpRequest& request,
                           const RestContext& context);

}  // namespace ha::agent::rest
