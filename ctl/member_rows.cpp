#include "ctl/member_rows.hpp"

#include <algorithm>
#include <functional>
#include <set>

#include "ctl/table.hpp"

namespace ha::ctl {

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

MemberRow row_of(const ClusterState& s, const agent::Member& m) {
  MemberRow r;
  r.name = m.name;
  r.host = host_of_conn_url(m.conn_url);
  const bool leader = !s.leader.empty() && m.name == s.leader;
  r.role = leader ? "Leader" : (s.sync && s.sync->lists(m.name)) ? "Sync Standby" : "Replica";
  r.state = m.state;
  if (!leader && m.is_running() && !m.replication_state.empty()) r.state = m.replication_state;
  if (m.timeline > 0) r.timeline = m.timeline;
  if (!leader) {
    const auto leader_lsn = s.leader_lsn();
    if (m.is_running() && leader_lsn && m.xlog_location.value > 0) {
      const auto behind = agent::bytes_behind(m.xlog_location, *leader_lsn);
      r.lag_mb = static_cast<std::int64_t>((behind + kMiB / 2) / kMiB);
    } else {
      r.lag_unknown = true;
    }
  }
  r.pending_restart = m.pending_restart;
  r.tags = agent::to_json(m.tags);
  return r;
}

std::string tags_text(const nlohmann::json& tags) {
  std::string text;
  for (const auto& [k, v] : tags.items()) {
    if (!text.empty()) text += ", ";
    text += k + ": " + (v.is_string() ? v.get<std::string>() : v.dump());
  }
  return text;
}

const char* role_colour(const MemberRow& r) {
  if (r.role == "Leader") return colours::kGreen;
  if (r.role == "Sync Standby") return colours::kBold;
  return nullptr;
}

const char* state_colour(const MemberRow& r) {
  if (r.state == "running" || r.state == "streaming") return nullptr;
  if (r.state == "stopped" || r.state == "crashed" || r.state.find("failed") != std::string::npos) {
    return colours::kRed;
  }
  return colours::kYellow;
}

}  // namespace

std::string host_of_conn_url(const std::string& conn_url) {
  const auto scheme = conn_url.find("://");
  if (scheme == std::string::npos) return {};
  std::string rest = conn_url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?"));
  if (const auto at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
  return rest;
}

std::vector<MemberRow> list_rows(const ClusterState& state) {
  std::vector<MemberRow> rows;
  for (const auto& m : state.members) rows.push_back(row_of(state, m));
  std::stable_sort(rows.begin(), rows.end(), [&](const MemberRow& a, const MemberRow& b) {
    const bool la = a.name == state.leader, lb = b.name == state.leader;
    if (la != lb) return la;
    return a.name < b.name;
  });
  return rows;
}

std::vector<MemberRow> topology_rows(const ClusterState& state) {
  const auto rows = list_rows(state);
  // Upstream of each member: its replicatefrom tag when that names another member, else the
  // leader (when there is one and it is not the member itself).
  const auto upstream_of = [&](const MemberRow& r) -> std::string {
    if (r.name == state.leader) return {};
    if (const auto it = r.tags.find("replicatefrom"); it != r.tags.end() && it->is_string()) {
      const auto up = it->get<std::string>();
      if (up != r.name && state.member(up) != nullptr) return up;
    }
    return state.member(state.leader) != nullptr ? state.leader : std::string();
  };
  std::vector<MemberRow> out;
  std::set<std::string> placed;
  const std::function<void(const std::string&, int)> place_children = [&](const std::string& parent,
                                                                           int depth) {
    for (const auto& r : rows) {
      if (placed.count(r.name) != 0 || upstream_of(r) != parent) continue;
      placed.insert(r.name);
      out.push_back(r);
      out.back().depth = depth;
      place_children(r.name, depth + 1);
    }
  };
  place_children("", 0);
  for (const auto& r : rows) {  // cycles of replicatefrom: show them at the top
    if (placed.insert(r.name).second) out.push_back(r);
  }
  return out;
}

std::string render_members_table(const ClusterState& state, const std::vector<MemberRow>& rows,
                                  bool colour, bool topology) {
  const std::vector<Column> columns = {{"Member"}, {"Host"},           {"Role"},
                                       {"State"},  {"TL", true},       {"Lag in MB", true},
                                       {"Pending restart"}, {"Tags"}};
  std::vector<Row> table;
  for (const auto& r : rows) {
    std::string name = r.name;
    if (topology && r.depth > 0) {
      name = std::string(static_cast<std::size_t>(2 * (r.depth - 1)), ' ') + "+ " + r.name;
    }
    const std::string lag = r.lag_mb ? std::to_string(*r.lag_mb) : r.lag_unknown ? "unknown" : "";
    table.push_back({{name},
                     {r.host},
                     {r.role, role_colour(r)},
                     {r.state, state_colour(r)},
                     {r.timeline ? std::to_string(*r.timeline) : ""},
                     {lag},
                     {r.pending_restart ? "*" : ""},
                     {tags_text(r.tags)}});
  }
  const std::string id = state.system_id.empty() ? "uninitialized" : state.system_id;
  std::string out = render_table("Cluster: " + state.scope + " (" + id + ")", columns, table, colour);
  if (state.leader.empty()) out += " No leader: the leader key is absent\n";
  if (state.paused()) out += " Maintenance mode: on\n";
  if (state.failover && state.failover->scheduled_at) {
    out += " Switchover scheduled: from " + state.failover->leader + " to " +
           (state.failover->candidate.empty() ? "the best replica" : state.failover->candidate) +
           "\n";
  }
  return out;
}

nlohmann::json members_json(const ClusterState& state, const std::vector<MemberRow>& rows) {
  auto out = nlohmann::json::array();
  for (const auto& r : rows) {
    nlohmann::json m = nlohmann::json::object();
    m["Cluster"] = state.scope;
    m["Member"] = r.name;
    m["Host"] = r.host;
    m["Role"] = r.role;
    m["State"] = r.state;
    m["TL"] = r.timeline ? nlohmann::json(*r.timeline) : nlohmann::json();
    m["Lag in MB"] = r.lag_mb ? nlohmann::json(*r.lag_mb) : nlohmann::json();
    m["Pending restart"] = r.pending_restart;
    m["Tags"] = r.tags;
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace ha::ctl
