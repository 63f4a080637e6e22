#include "agent/sync_standbys.hpp"

#include <algorithm>
#include <tuple>

namespace ha::agent {

namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

bool same_set(std::vector<std::string> a, std::vector<std::string> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

}  // namespace

std::vector<std::string> pick_sync_standbys(const Observation& obs) {
  const auto& pg = obs.pg;
  const std::vector<std::string> current = obs.dcs.sync && obs.dcs.sync->leader == obs.self.name
                                               ? obs.dcs.sync->sync_standby
                                               : std::vector<std::string>{};
  std::vector<std::tuple<int, std::uint64_t, std::string>> ranked;
  for (const auto& row : pg.replication) {
    const Member* m = obs.dcs.member(row.application_name);
    if (m == nullptr || m->name == obs.self.name || m->tags.nosync || row.state != "streaming") {
      continue;
    }
    const bool sticky =
        contains(current, m->name) || contains(pg.synchronous_standby_names, m->name);
    ranked.emplace_back(sticky ? 0 : 1, bytes_behind(row.flush_lsn, pg.wal_position()), m->name);
  }
  std::sort(ranked.begin(), ranked.end());
  std::vector<std::string> out;
  for (const auto& r : ranked) {
    if (static_cast<int>(out.size()) >= obs.config().synchronous_node_count) break;
    out.push_back(std::get<2>(r));
  }
  return out;
}

SyncPlan plan_sync_standbys(const Observation& obs) {
  SyncPlan plan;
  const auto& cfg = obs.config();
  const auto& pg = obs.pg;
  const std::string& me = obs.self.name;

  if (!cfg.synchronous_mode) {
    if (!pg.synchronous_standby_names.empty() || pg.synchronous_strict_placeholder) {
      plan.actions.emplace_back(SetSyncStandbys{});
      plan.note = "synchronous mode is off; clearing synchronous_standby_names";
    }
    if (obs.dcs.sync) plan.actions.emplace_back(DeleteSyncKey{obs.dcs.sync->mod_revision});
    return plan;
  }

  const std::vector<std::string> desired = pick_sync_standbys(obs);
  const bool key_mine = obs.dcs.sync && obs.dcs.sync->leader == me;
  const std::vector<std::string> key_list =
      key_mine ? obs.dcs.sync->sync_standby : std::vector<std::string>{};
  // Confirmed: PostgreSQL waits for it now and reports it synchronous.
  std::vector<std::string> new_key;
  for (const auto& n : key_list) {
    if (contains(desired, n)) new_key.push_back(n);
  }
  for (const auto& n : desired) {
    const auto* row = pg.replication_of(n);
    const bool confirmed = row != nullptr &&
                           (row->sync_state == "sync" || row->sync_state == "quorum") &&
                           contains(pg.synchronous_standby_names, n);
    if (confirmed && !contains(new_key, n)) new_key.push_back(n);
  }
  if (!key_mine || new_key != key_list) {
    plan.actions.emplace_back(
        WriteSyncKey{me, new_key, obs.dcs.sync ? obs.dcs.sync->mod_revision : 0});
  }
  const bool strict = cfg.synchronous_mode_strict;
  const bool pg_matches = same_set(desired, pg.synchronous_standby_names) &&
                          (desired.empty() ? pg.synchronous_strict_placeholder == strict : true);
  if (!pg_matches) {
    plan.actions.emplace_back(SetSyncStandbys{desired, static_cast<int>(desired.size()), strict});
  }
  if (desired.empty()) {
    plan.note = strict ? "strict synchronous mode: no synchronous standby available, commits wait"
                       : "synchronous mode: no synchronous standby available, running "
                         "asynchronously (no automatic failover until one is back)";
  } else if (!plan.actions.empty()) {
    plan.note =
        "synchronous standbys: " + join(desired) +
        (new_key == desired
             ? ""
             : " (sync key: " + (new_key.empty() ? std::string("none") : join(new_key)) + ")");
  }
  return plan;
}

}  // namespace ha::agent
