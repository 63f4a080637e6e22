#include "agent/rejoin.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace ha::agent {

bool diverged_from(const Observation& obs, const Member& leader, std::string& why) {
  const auto& pg = obs.pg;
  const std::int64_t theirs = std::max(leader.timeline, obs.dcs.cluster_timeline());
  if (pg.timeline == 0 || pg.timeline >= theirs) return false;
  const Lsn mine = pg.wal_position();
  if (pg.wal_end_unknown && pg.role == PgRole::primary) {
    // A primary that stopped uncleanly (its agent died, the node crashed) may have written
    // past the point where the new timeline forked; only pg_rewind can tell (it says when
    // there is nothing to do).
    why = fmt::format(
        "I was a primary on timeline {} and stopped uncleanly, so my WAL may go past where {}'s "
        "timeline {} forked",
        pg.timeline, leader.name, theirs);
    return true;
  }
  const auto end = obs.dcs.timeline_end(pg.timeline);
  if (!end) {
    why = fmt::format("my timeline {} is behind {}'s {} and where it forked is unknown",
                      pg.timeline, leader.name, theirs);
    return true;
  }
  if (mine > *end) {
    why = fmt::format(
        "timeline fork: my timeline {} went on to {}, past {} where {}'s history left it",
        pg.timeline, to_string(mine), to_string(*end), leader.name);
    return true;
  }
  return false;
}

RejoinPlan plan_rejoin(const Observation& obs, const Member& leader) {
  RejoinPlan plan;
  std::string why;
  if (!diverged_from(obs, leader, why)) return plan;
  const auto& self = obs.self;
  std::string rewind_problem;
  if (!self.use_pg_rewind) {
    rewind_problem = "use_pg_rewind is off";
  } else if (!obs.pg.rewind_possible) {
    rewind_problem = "pg_rewind is not possible here (neither wal_log_hints nor data checksums)";
  } else if (obs.memory.rewind_failed) {
    rewind_problem = "pg_rewind failed";
  }
  if (rewind_problem.empty()) {
    plan.path = RejoinPlan::Path::rewind;
    plan.why = why + "; rewinding from " + leader.name;
  } else if (self.remove_data_directory_on_rewind_failure) {
    plan.path = RejoinPlan::Path::reinitialize;
    plan.why = why + "; " + rewind_problem + ", so re-cloning from " + leader.name +
               " (remove_data_directory_on_rewind_failure)";
  } else {
    plan.path = RejoinPlan::Path::stuck;
    plan.why = why + "; " + rewind_problem +
               " and remove_data_directory_on_rewind_failure is off: run hactl reinit";
  }
  return plan;
}

}  // namespace ha::agent
