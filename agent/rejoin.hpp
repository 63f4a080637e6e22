// Rejoin: how a node that is not the leader gets back to streaming from it — follow directly,
// or first pg_rewind (its WAL went past the point where the leader's timeline forked off), or
// re-clone when rewinding is impossible or failed. Pure; part of decide().
#pragma once

#include <string>

#include "agent/observation.hpp"

namespace ha::agent {

struct RejoinPlan {
  enum class Path { follow, rewind, reinitialize, stuck };
  Path path = Path::follow;
  std::string why;  // for the decision's reason
};

// Whether our WAL diverged from `leader`'s history: we are on an older timeline and went past
// the point where that timeline ended (or that point is unknown).
bool diverged_from(const Observation& obs, const Member& leader, std::string& why);

RejoinPlan plan_rejoin(const Observation& obs, const Member& leader);

}  // namespace ha::agent
