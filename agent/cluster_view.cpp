#include "agent/cluster_view.hpp"

#include <algorithm>

namespace ha::agent {

const char* to_string(PgRole role) {
  switch (role) {
    case PgRole::primary: return "primary";
    case PgRole::replica: return "replica";
    case PgRole::unknown: return "uninitialized";
  }
  return "uninitialized";
}

PgRole role_from_string(const std::string& text) {
  if (text == "primary" || text == "master" || text == "leader") return PgRole::primary;
  if (text == "replica" || text == "standby" || text == "sync_standby" ||
      text == "standby_leader") {
    return PgRole::replica;
  }
  return PgRole::unknown;
}

bool SyncState::lists(const std::string& name) const {
  return std::find(sync_standby.begin(), sync_standby.end(), name) != sync_standby.end();
}

const Member* ClusterView::member(const std::string& name) const {
  for (const auto& m : members) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

const Member* ClusterView::leader_member() const {
  return leader ? member(leader->holder) : nullptr;
}

std::int64_t ClusterView::cluster_timeline() const {
  std::int64_t tl = 1;
  for (const auto& h : history) tl = std::max(tl, h.timeline + 1);
  for (const auto& m : members) {
    if (m.role == PgRole::primary) tl = std::max(tl, m.timeline);
  }
  return tl;
}

std::optional<Lsn> ClusterView::timeline_end(std::int64_t timeline) const {
  for (const auto& h : history) {
    if (h.timeline == timeline) return h.lsn;
  }
  return std::nullopt;
}

}  // namespace ha::agent
