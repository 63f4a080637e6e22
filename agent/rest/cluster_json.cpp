#include "agent/rest/cluster_json.hpp"

#include "agent/dcs_values.hpp"
#include "agent/iso_time.hpp"
#include "agent/rest/conn_url.hpp"
#include "agent/rest/status_json.hpp"

namespace ha::agent::rest {

using nlohmann::json;

namespace {

std::string cluster_role(const ClusterView& view, const Member& m) {
  if (view.leader && view.leader->holder == m.name) return "leader";
  if (view.config.synchronous_mode && view.sync && view.sync->lists(m.name)) {
    return "sync_standby";
  }
  return "replica";
}

json member_json(const ClusterView& view, const Member& m, std::optional<Lsn> leader_lsn) {
  json out = {{"name", m.name}, {"role", cluster_role(view, m)}, {"state", m.state}};
  if (!m.api_url.empty()) out["api_url"] = m.api_url;
  if (const auto hp = host_port_of_conn_url(m.conn_url)) {
    out["host"] = hp->host;
    out["port"] = hp->port;
  }
  if (m.timeline > 0) out["timeline"] = m.timeline;
  out["lsn"] = to_string(m.xlog_location);
  if (out["role"] != "leader") {
    if (m.receive_lsn) out["receive_lsn"] = to_string(*m.receive_lsn);
    if (m.replay_lsn) out["replay_lsn"] = to_string(*m.replay_lsn);
    if (leader_lsn) {
      out["lag"] = bytes_behind(m.replay_lsn.value_or(m.xlog_location), *leader_lsn);
    } else if (m.lag) {
      out["lag"] = *m.lag;
    } else {
      out["lag"] = "unknown";
    }
  }
  const json tags = to_json(m.tags);
  if (!tags.empty()) out["tags"] = tags;
  if (m.pending_restart) out["pending_restart"] = true;
  return out;
}

}  // namespace

json cluster_json(const AgentStatus& s) {
  const ClusterView& view = s.dcs;
  const auto leader_lsn = known_leader_position(view);
  json members = json::array();
  for (const auto& m : view.members) members.push_back(member_json(view, m, leader_lsn));
  json out = {{"members", members}, {"scope", s.scope}};
  if (s.paused || view.config.pause) out["pause"] = true;
  if (view.failover && view.failover->scheduled_at) {
    json sw = {{"at", format_iso_time(*view.failover->scheduled_at)}};
    if (!view.failover->leader.empty()) sw["from"] = view.failover->leader;
    if (!view.failover->candidate.empty()) sw["to"] = view.failover->candidate;
    out["scheduled_switchover"] = sw;
  }
  return out;
}

json history_json(const AgentStatus& s) { return json::parse(encode_history(s.dcs.history)); }

}  // namespace ha::agent::rest
