#include "agent/leader_race.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "agent/units.hpp"

namespace ha::agent {

namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

// In synchronous mode only a listed synchronous standby (or the leader the sync key names)
// may race.
bool sync_allows(const Observation& obs, const std::string& name) {
  if (!obs.config().synchronous_mode) return true;
  const auto& sync = obs.dcs.sync;
  return sync && (sync->lists(name) || sync->leader == name);
}

}  // namespace

std::optional<std::string> race_ineligibility(const Observation& obs) {
  const auto& pg = obs.pg;
  const auto& cfg = obs.config();
  if (!pg.is_running()) return std::string("PostgreSQL is not running here");
  if (obs.self.tags.nofailover) return std::string("I am tagged nofailover");
  if (!obs.self.tags.may_fail_over()) return std::string("my failover_priority is 0");
  if (obs.self.watchdog == WatchdogMode::required && !obs.self.watchdog_usable) {
    return std::string("watchdog mode is required and the watchdog is not usable");
  }
  const Lsn mine = pg.wal_position();
  if (obs.dcs.last_leader_lsn) {
    const auto behind = bytes_behind(mine, *obs.dcs.last_leader_lsn);
    if (behind > cfg.maximum_lag_on_failover) {
      return fmt::format(
          "my lsn {} is {} behind the last leader position {} (maximum_lag_on_failover {})",
          to_string(mine), format_bytes(behind), to_string(*obs.dcs.last_leader_lsn),
          format_bytes(cfg.maximum_lag_on_failover));
    }
  }
  if (cfg.check_timeline && pg.timeline < obs.dcs.cluster_timeline()) {
    return fmt::format("my timeline {} is behind the cluster's {} (check_timeline)", pg.timeline,
                       obs.dcs.cluster_timeline());
  }
  if (!sync_allows(obs, obs.self.name)) {
    if (!obs.dcs.sync)
      return std::string("synchronous mode and no member is known to be synchronous (no sync key)");
    return fmt::format("synchronous mode and I am not a synchronous standby (sync standbys: {})",
                       join(obs.dcs.sync->sync_standby));
  }
  return std::nullopt;
}

bool peer_may_race(const Observation& obs, const PeerStatus& p) {
  if (!p.reachable || !p.running || p.watchdog_failed || !p.tags.may_fail_over()) return false;
  if (!sync_allows(obs, p.name)) return false;
  const auto& cfg = obs.config();
  if (cfg.check_timeline && p.timeline < obs.dcs.cluster_timeline()) return false;
  if (obs.dcs.last_leader_lsn &&
      bytes_behind(p.wal_position, *obs.dcs.last_leader_lsn) > cfg.maximum_lag_on_failover) {
    return false;
  }
  return true;
}

RaceVerdict assess_race(const Observation& obs, const std::vector<std::string>& ignore) {
  RaceVerdict v;
  if (auto why = race_ineligibility(obs)) {
    v.fact = *why;
    return v;
  }
  const std::string& me = obs.self.name;
  const Lsn mine = obs.pg.wal_position();

  std::vector<std::string> others;
  for (const auto& m : obs.dcs.members) {
    if (m.name != me && !contains(ignore, m.name)) others.push_back(m.name);
  }
  if (!others.empty() && !obs.peers) {
    v.outcome = RaceVerdict::Outcome::ask_peers;
    v.to_ask = others;
    v.fact = fmt::format("asking {} for their WAL positions before racing", join(others));
    return v;
  }

  std::vector<std::string> silent;
  if (obs.peers) {
    for (const auto& name : others) {
      const auto it = std::find_if(obs.peers->begin(), obs.peers->end(),
                                   [&](const PeerStatus& p) { return p.name == name; });
      // Like Patroni, a member whose API does not answer does not block the race: it may be
      // the dead primary's host. Only the DCS lock decides between racers.
      if (it == obs.peers->end() || !it->reachable) {
        silent.push_back(name);
        continue;
      }
      const PeerStatus& p = *it;
      if (p.running && p.role == PgRole::primary) {
        v.fact = p.name + " still answers as a running primary";
        return v;
      }
      if (!peer_may_race(obs, p)) continue;
      if (p.wal_position > mine) {
        v.fact = fmt::format("{} is ahead (lsn {} vs my {})", p.name, to_string(p.wal_position),
                             to_string(mine));
        return v;
      }
      if (p.wal_position < mine) continue;
      const auto theirs = p.tags.priority();
      const auto my_priority = obs.self.tags.priority();
      if (theirs > my_priority) {
        v.fact = fmt::format("{} has the same lsn {} and a higher failover_priority ({} > {})",
                             p.name, to_string(mine), theirs, my_priority);
        return v;
      }
      // Equal position and priority: the name that sorts first wins, so that equal replicas do
      // not all promote-race at once; it answered, so it is alive to take the lock.
      if (theirs == my_priority && p.name < me) {
        v.fact =
            fmt::format("{} has the same lsn {} and failover_priority {}, and its name sorts first",
                        p.name, to_string(mine), theirs);
        return v;
      }
    }
  }
  v.outcome = RaceVerdict::Outcome::race;
  v.fact = fmt::format("I am the healthiest (lsn {}", to_string(mine));
  if (!silent.empty()) v.fact += fmt::format("; no answer from {}", join(silent));
  v.fact += ")";
  return v;
}

}  // namespace ha::agent
