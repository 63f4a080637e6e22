// What `hactl list` and `hactl topology` show per member (role, state, timeline, lag...),
// derived from a ClusterState, and its renderings: the patronictl-style table, JSON and YAML.
// Pure: no DCS access, no terminal checks (the caller says whether to colour).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ctl/cluster_state.hpp"

namespace ha::ctl {

struct MemberRow {
  std::string name;
  std::string host;   // host:port from conn_url
  std::string role;   // "Leader", "Sync Standby", "Replica"
  std::string state;  // "running", "streaming", "stopped", ...
  std::optional<std::int64_t> timeline;
  std::optional<std::int64_t> lag_mb;  // replicas with a known position
  bool lag_unknown = false;            // a replica whose lag cannot be computed
  bool pending_restart = false;
  nlohmann::json tags = nlohmann::json::object();
  int depth = 0;  // topology: 0 = top, 1 = replicates from the leader, ...
};

// "host:port" of a postgres:// URL ("" when it is not one).
std::string host_of_conn_url(const std::string& conn_url);

// Leader first, then by name.
std::vector<MemberRow> list_rows(const ClusterState& state);
// Tree order: the leader, then who replicates from it (replicatefrom tags make cascades).
std::vector<MemberRow> topology_rows(const ClusterState& state);

// The table with "Cluster: <scope> (<system id>)" in its top border, and footer lines
// (maintenance mode, scheduled switchover).
std::string render_members_table(const ClusterState& state, const std::vector<MemberRow>& rows,
                                 bool colour, bool topology);
// One object per member: Cluster, Member, Host, Role, State, TL, Lag in MB, Pending restart, Tags.
nlohmann::json members_json(const ClusterState& state, const std::vector<MemberRow>& rows);

}  // namespace ha::ctl
