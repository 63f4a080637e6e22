#include "agent/switchover.hpp"

#include <fmt/format.h>

#include <tuple>

#include "agent/units.hpp"

namespace ha::agent {

namespace {

// How far behind our position the member is, from our replication row (fresh) or its key.
std::uint64_t lag_of(const Observation& obs, const Member& m) {
  const Lsn ours = obs.pg.wal_position();
  if (const auto* row = obs.pg.replication_of(m.name)) return bytes_behind(row->flush_lsn, ours);
  return bytes_behind(m.xlog_location, ours);
}

}  // namespace

CandidateCheck check_switchover_candidate(const Observation& obs, const std::string& name) {
  const auto& cfg = obs.config();
  const Member* m = obs.dcs.member(name);
  if (m == nullptr) return {false, name + " is not a member of the cluster"};
  if (!m->tags.may_fail_over()) {
    return {false,
            name + (m->tags.nofailover ? " is tagged nofailover" : " has failover_priority 0")};
  }
  if (!m->is_running())
    return {false, fmt::format("{} is not running (state: {})", name,
                               m->state.empty() ? "unknown" : m->state)};
  const auto* row = obs.pg.replication_of(name);
  if (row == nullptr || row->state != "streaming") {
    return {false, fmt::format("{} is not streaming from me (replication state: {})", name,
                               row ? row->state : std::string("none"))};
  }
  const auto lag = lag_of(obs, *m);
  if (lag > cfg.maximum_lag_on_failover) {
    return {false, fmt::format("{} is {} behind (maximum_lag_on_failover {})", name,
                               format_bytes(lag), format_bytes(cfg.maximum_lag_on_failover))};
  }
  if (cfg.synchronous_mode && !(obs.dcs.sync && obs.dcs.sync->lists(name))) {
    return {false, name + " is not a synchronous standby (synchronous mode)"};
  }
  return {true, fmt::format("{} is streaming, {} behind", name, format_bytes(lag))};
}

std::optional<std::string> best_switchover_candidate(const Observation& obs,
                                                     std::string& why_none) {
  std::optional<std::tuple<std::uint64_t, std::int64_t, std::string>> best;
  why_none.clear();
  for (const auto& m : obs.dcs.members) {
    if (m.name == obs.self.name) continue;
    const auto check = check_switchover_candidate(obs, m.name);
    if (!check.ok) {
      why_none += (why_none.empty() ? "" : "; ") + check.why;
      continue;
    }
    // Least behind first, then the higher priority, then the name.
    const std::tuple<std::uint64_t, std::int64_t, std::string> key{lag_of(obs, m),
                                                                   -m.tags.priority(), m.name};
    if (!best || key < *best) best = key;
  }
  if (!best) {
    if (why_none.empty()) why_none = "there is no other member";
    return std::nullopt;
  }
  return std::get<2>(*best);
}

}  // namespace ha::agent
