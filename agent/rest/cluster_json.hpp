// The documents of GET /cluster (the topology as the DCS shows it: members with role leader /
// sync_standby / replica, state, api_url, host, port, timeline, lag; scheduled_switchover;
// pause) and GET /history (the /history key), in Patroni's shape, from the agent's last view.
#pragma once

#include <nlohmann/json.hpp>

#include "agent/runtime/agent_status.hpp"

namespace ha::agent::rest {

nlohmann::json cluster_json(const AgentStatus& status);
// [[timeline, lsn, reason, timestamp, new_leader], ...]
nlohmann::json history_json(const AgentStatus& status);

}  // namespace ha::agent::rest
