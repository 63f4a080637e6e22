// GET /metrics: Prometheus text format, labels scope and name. Patroni's gauges where we have
// the value — patroni_version, patroni_postgres_running, patroni_primary, patroni_replica,
// patroni_sync_standby, patroni_xlog_location, patroni_xlog_received_location,
// patroni_xlog_replayed_location, patroni_xlog_paused, patroni_postgres_streaming,
// patroni_postgres_server_version, patroni_cluster_unlocked, patroni_postgres_timeline,
// patroni_dcs_last_seen, patroni_pending_restart, patroni_is_paused, patroni_failover_priority,
// patroni_watchdog_failed — and our own under haagent_: haagent_loops_total (decisions taken),
// haagent_loop_age_seconds (since the last decision), haagent_dcs_reachable,
// haagent_holds_lock.
#pragma once

#include <string>

#include "agent/runtime/agent_status.hpp"

namespace ha::agent::rest {

std::string metrics_text(const AgentStatus& status, WallTime now);

}  // namespace ha::agent::rest
