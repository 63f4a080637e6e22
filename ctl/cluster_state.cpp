#include "ctl/cluster_state.hpp"

#include <algorithm>

#include "agent/dcs_values.hpp"

namespace ha::ctl {

const agent::Member* ClusterState::member(const std::string& name) const {
  for (const auto& m : members) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::optional<agent::Lsn> ClusterState::leader_lsn() const {
  std::optional<agent::Lsn> best = status_lsn;
  if (const auto* m = member(leader); m != nullptr && m->role == agent::PgRole::primary) {
    if (!best || m->xlog_location > *best) best = m->xlog_location;
  }
  return best;
}

bool ClusterState::paused() const {
  if (!config || !config->is_object()) return false;
  const auto it = config->find("pause");
  return it != config->end() && it->is_boolean() && it->get<bool>();
}

ClusterState build_cluster_state(const std::string& scope, const std::string& prefix,
                                 const std::vector<std::pair<std::string, std::string>>& kvs) {
  ClusterState s;
  s.scope = scope;
  s.key_prefix = prefix;
  for (const auto& [full_key, value] : kvs) {
    if (full_key.rfind(prefix, 0) != 0) continue;
    s.empty = false;
    const std::string key = full_key.substr(prefix.size());
    std::string error;
    if (key == "leader") {
      s.leader = value;
    } else if (key == "initialize") {
      s.system_id = value;
    } else if (key.rfind("members/", 0) == 0) {
      const std::string name = key.substr(8);
      if (auto m = agent::decode_member(name, value, &error)) {
        s.members.push_back(std::move(*m));
      } else {
        s.problems.push_back(key + ": " + error);
      }
    } else if (key == "sync") {
      s.sync = agent::decode_sync(value, &error);
    } else if (key == "history") {
      if (auto h = agent::decode_history(value, &error)) s.history = std::move(*h);
    } else if (key == "status") {
      s.status_lsn = agent::decode_status(value, &error);
    } else if (key == "failover") {
      s.failover = agent::decode_failover(value, &error);
    } else if (key == "config") {
      auto j = nlohmann::json::parse(value, nullptr, false);
      if (j.is_discarded()) {
        error = "not valid JSON";
      } else {
        s.config = std::move(j);
      }
    }
    if (!error.empty() && key.rfind("members/", 0) != 0) s.problems.push_back(key + ": " + error);
  }
  std::sort(s.members.begin(), s.members.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return s;
}

std::string read_cluster_state(dcs::Client& client, const ClusterSource& source,
                               std::chrono::milliseconds timeout, ClusterState& out) {
  dcs::GetOptions get;
  get.prefix = true;
  dcs::CallOptions call;
  call.timeout = timeout;
  const std::string prefix = source.key_prefix();
  auto r = client.get(prefix, get, call);
  if (!r.ok()) return r.error().to_string();
  std::vector<std::pair<std::string, std::string>> kvs;
  for (const auto& kv : r->kvs()) kvs.emplace_back(kv.key(), kv.value());
  out = build_cluster_state(source.scope, prefix, kvs);
  if (out.empty) {
    return "no cluster '" + source.scope + "' in the DCS at " + source.endpoints_text() +
           " (no keys under " + prefix + "); check --scope and the namespace";
  }
  return {};
}

}  // namespace ha::ctl
