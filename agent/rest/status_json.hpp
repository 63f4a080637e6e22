// The member status document of GET /patroni (and the body of every health check), with
// Patroni's field names so tools written for Patroni read it: state, role, xlog, timeline,
// replication, cluster_unlocked, dcs_last_seen, patroni {version, scope, name}, tags, ...
// Also the few facts about this member that several routes share (is it a sync standby?).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "agent/config.hpp"
#include "agent/runtime/agent_status.hpp"

namespace ha::agent::rest {

nlohmann::json member_status_json(const AgentStatus& status, const AgentConfig& config);

// Listed in the /sync key while synchronous_mode is on.
bool is_sync_standby(const AgentStatus& status);
// The newest leader WAL position this member knows: the /status optime or the leader's
// member key, whichever is further. Nothing when neither is known.
std::optional<Lsn> known_leader_position(const ClusterView& view);
// Seconds since the epoch (0 when never).
std::int64_t epoch_seconds(std::optional<WallTime> t);

}  // namespace ha::agent::rest
