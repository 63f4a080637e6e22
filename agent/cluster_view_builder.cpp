#include "agent/cluster_view_builder.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "agent/dcs_values.hpp"

namespace ha::agent {

namespace {

void read_config(const DcsKeyValue& kv, ClusterView& view, std::vector<std::string>& problems) {
  const auto json = nlohmann::json::parse(kv.value, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    problems.push_back("config: not a JSON object; keeping the last good config");
    return;
  }
  auto parsed = parse_dynamic_config(json);
  if (!parsed.errors.empty()) {
    std::string why;
    for (const auto& e : parsed.errors) why += (why.empty() ? "" : "; ") + e.path + ": " + e.message;
    problems.push_back("config: " + why + "; keeping the last good config");
    return;
  }
  view.config = std::move(parsed.config);
}

}  // namespace

ClusterView build_cluster_view(const std::vector<DcsKeyValue>& kvs, const DynamicConfig& last_config,
                               std::vector<std::string>& problems) {
  ClusterView view;
  view.config = last_config;
  for (const auto& kv : kvs) {
    std::string error;
    if (kv.key == "leader") {
      if (kv.value.empty()) {
        problems.push_back("leader: empty value");
      } else {
        view.leader = LeaderKey{kv.value, kv.lease, kv.mod_revision};
      }
    } else if (kv.key == "initialize") {
      view.initialize = kv.value;
    } else if (kv.key.rfind("members/", 0) == 0) {
      const std::string name = kv.key.substr(8);
      if (auto m = decode_member(name, kv.value, &error)) {
        m->mod_revision = kv.mod_revision;
        view.members.push_back(std::move(*m));
      } else {
        problems.push_back(kv.key + ": " + error);
      }
    } else if (kv.key == "failover") {
      // An empty value is how some tools clear the request.
      if (kv.value.empty() || kv.value == "{}") continue;
      if (auto f = decode_failover(kv.value, &error)) {
        f->mod_revision = kv.mod_revision;
        view.failover = std::move(*f);
      } else {
        problems.push_back("failover: " + error);
      }
    } else if (kv.key == "sync") {
      if (auto s = decode_sync(kv.value, &error)) {
        s->mod_revision = kv.mod_revision;
        view.sync = std::move(*s);
      } else {
        problems.push_back("sync: " + error);
      }
    } else if (kv.key == "history") {
      if (auto h = decode_history(kv.value, &error)) {
        view.history = std::move(*h);
      } else {
        problems.push_back("history: " + error);
      }
    } else if (kv.key == "status") {
      if (auto lsn = decode_status(kv.value, &error)) {
        view.last_leader_lsn = *lsn;
      } else {
        problems.push_back("status: " + error);
      }
    } else if (kv.key == "config") {
      read_config(kv, view, problems);
    }
  }
  std::sort(view.members.begin(), view.members.end(),
            [](const Member& a, const Member& b) { return a.name < b.name; });
  return view;
}

}  // namespace ha::agent
