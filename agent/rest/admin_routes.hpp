// POST /restart {restart_pending}, /reload and /reinitialize {force}: handed to the HA loop
// through AdminRequests, answered with its outcome (200, or 503 with its message) or 503 when
// it does not answer within RestOptions::admin_wait.
#pragma once

#include "agent/rest/http_types.hpp"
#include "agent/rest/rest_context.hpp"
#include "agent/runtime/admin_requests.hpp"

namespace ha::agent::rest {

HttpResponse post_admin(AdminRequest::Kind kind, const HttpRequest& request,
                        const RestContext& context);

}  // namespace ha::agent::rest
