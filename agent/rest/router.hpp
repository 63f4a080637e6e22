// The REST API's routing: one request in, one response out. handle_status_request is pure
// (the read-only endpoints from an AgentStatus); handle_request adds the size limit, basic
// auth and the write endpoints, which reach the DCS store, the admin queue and the board.
#pragma once

#include <optional>

#include "agent/config.hpp"
#include "agent/rest/http_types.hpp"
#include "agent/rest/rest_context.hpp"
#include "agent/runtime/agent_status.hpp"

namespace ha::agent::rest {

// GET/HEAD/OPTIONS of /, /patroni, the health checks, /cluster, /history, /metrics. Nothing
// when the path is not one of these (GET /config is not: it reads the DCS).
std::optional<HttpResponse> handle_status_request(const HttpRequest& request,
                                                  const AgentStatus& status,
                                                  const AgentConfig& config, WallTime now);

// Every endpoint; unknown paths get 404, known paths with another method 405.
HttpResponse handle_request(const HttpRequest& request, const RestContext& context);

}  // namespace ha::agent::rest
