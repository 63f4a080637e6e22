#include "ctl/member_selection.hpp"

#include "ctl/member_rows.hpp"

namespace ha::ctl {

MemberSelection select_members(const ClusterState& s, const CtlOptions& o) {
  MemberSelection sel;
  std::vector<std::string> candidates;
  if (!o.members.empty()) {
    for (const auto& name : o.members) {
      if (s.member(name) == nullptr) {
        std::string all;
        for (const auto& m : s.members) all += (all.empty() ? "" : ", ") + m.name;
        sel.error = "no member '" + name + "' in cluster '" + s.scope +
                    "'; members: " + (all.empty() ? "none" : all);
        return sel;
      }
    }
  }
  for (const auto& row : list_rows(s)) {  // leader first
    bool named = o.members.empty();
    for (const auto& n : o.members) named = named || n == row.name;
    if (named) candidates.push_back(row.name);
  }
  const bool is_restart = o.command == "restart";
  std::vector<std::string> not_pending;
  for (const auto& name : candidates) {
    const bool leader = name == s.leader;
    if (o.command != "reinit" && o.role == "primary" && !leader) continue;
    if (o.command != "reinit" && o.role == "replica" && leader) continue;
    if (o.command == "reinit" && leader) {
      sel.error = "'" + name + "' is the leader; reinit rebuilds replicas only (switch over first)";
      return sel;
    }
    if (is_restart && o.pending && !s.member(name)->pending_restart) {
      not_pending.push_back(name);
      continue;
    }
    sel.names.push_back(name);
  }
  if (!not_pending.empty()) {
    std::string list;
    for (const auto& n : not_pending) list += (list.empty() ? "" : ", ") + n;
    sel.skipped = "no pending restart: " + list;
  }
  if (sel.names.empty() && not_pending.empty()) {
    sel.error = "no member of cluster '" + s.scope + "' has the role " + o.role;
  }
  return sel;
}

std::string action_path(const std::string& command) {
  if (command == "reinit") return "/reinitialize";
  return "/" + command;
}

nlohmann::json action_body(const CtlOptions& o, const std::string& schedule) {
  if (o.command == "reload") return nullptr;
  if (o.command == "reinit") return {{"force", o.force}};
  nlohmann::json b = nlohmann::json::object();
  if (o.pending) b["restart_pending"] = true;
  if (o.role == "primary" || o.role == "replica") b["role"] = o.role;
  if (!schedule.empty()) b["schedule"] = schedule;
  return b;
}

}  // namespace ha::ctl
