#include "agent/rest/status_json.hpp"

#include <algorithm>

#include "agent/rest/conn_url.hpp"

namespace ha::agent::rest {

using nlohmann::json;

bool is_sync_standby(const AgentStatus& s) {
  return s.dcs.config.synchronous_mode && s.dcs.sync && s.dcs.sync->lists(s.name) && !s.holds_lock;
}

std::optional<Lsn> known_leader_position(const ClusterView& view) {
  std::optional<Lsn> best = view.last_leader_lsn;
  if (const Member* leader = view.leader_member()) {
    if (!best || leader->xlog_location > *best) best = leader->xlog_location;
  }
  return best;
}

std::int64_t epoch_seconds(std::optional<WallTime> t) {
  if (!t) return 0;
  return std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count();
}

namespace {

// sync_priority as pg_stat_replication shows it: the position in synchronous_standby_names
// (1-based) for a listed standby, 0 otherwise.
int sync_priority(const LocalPostgres& pg, const std::string& name) {
  const auto& names = pg.synchronous_standby_names;
  const auto it = std::find(names.begin(), names.end(), name);
  return it == names.end() ? 0 : static_cast<int>(it - names.begin()) + 1;
}

json replication_rows(const AgentStatus& s, const AgentConfig& config) {
  json rows = json::array();
  for (const auto& r : s.pg.replication) {
    json row = {
        {"usename", config.postgresql.authentication.replication.username},
        {"application_name", r.application_name},
        {"client_addr", nullptr},
        {"state", r.state},
        {"sync_state", r.sync_state},
        {"sync_priority", sync_priority(s.pg, r.application_name)},
    };
    // The standby's address as its member key publishes it (the agent does not read
    // pg_stat_replication.client_addr).
    if (const Member* m = s.dcs.member(r.application_name)) {
      if (const auto hp = host_port_of_conn_url(m->conn_url)) row["client_addr"] = hp->host;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

json member_status_json(const AgentStatus& s, const AgentConfig& config) {
  const LocalPostgres& pg = s.pg;
  json out = json::object();
  out["state"] = to_string(pg.state);
  if (!s.postmaster_start_time.empty()) out["postmaster_start_time"] = s.postmaster_start_time;
  out["role"] = to_string(pg.role);
  if (s.server_version_num > 0) out["server_version"] = s.server_version_num;
  if (pg.is_running()) {
    if (pg.role == PgRole::primary) {
      out["xlog"] = {{"location", pg.write_lsn.value}};
    } else {
      out["xlog"] = {{"received_location", pg.receive_lsn.value},
                     {"replayed_location", pg.replay_lsn.value},
                     {"replayed_timestamp", nullptr},
                     {"paused", false}};
      if (pg.streaming) out["replication_state"] = "streaming";
    }
    if (pg.timeline > 0) out["timeline"] = pg.timeline;
    if (pg.role == PgRole::primary) out["replication"] = replication_rows(s, config);
  }
  out["cluster_unlocked"] = !s.dcs.leader.has_value();
  out["dcs_last_seen"] = epoch_seconds(s.dcs_last_seen);
  const std::string& sysid =
      s.system_identifier.empty() ? pg.system_identifier : s.system_identifier;
  if (!sysid.empty()) out["database_system_identifier"] = sysid;
  out["patroni"] = {{"version", s.version}, {"scope", s.scope}, {"name", s.name}};
  const json tags = to_json(s.tags);
  if (!tags.empty()) out["tags"] = tags;
  out["pending_restart"] = pg.pending_restart;
  out["pause"] = s.paused;
  out["watchdog_failed"] = s.watchdog_failed;
  if (is_sync_standby(s)) out["sync_standby"] = true;
  return out;
}

}  // namespace ha::agent::rest
