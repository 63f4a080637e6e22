// Switchover, leader side: is a named candidate a healthy streaming replica (running, streaming
// from us, within maximum_lag_on_failover, not nofailover, synchronous when that mode is on),
// and which replica is the best when none is named. Pure; part of decide().
#pragma once

#include <optional>
#include <string>

#include "agent/observation.hpp"

namespace ha::agent {

struct CandidateCheck {
  bool ok = false;
  std::string why;  // ok: "node2 is streaming, 0 B behind"; else what is wrong
};

CandidateCheck check_switchover_candidate(const Observation& obs, const std::string& name);

// The best candidate (least behind, then higher failover_priority, then name), or nothing with
// `why_none` saying what is wrong with each member.
std::optional<std::string> best_switchover_candidate(const Observation& obs, std::string& why_none);

}  // namespace ha::agent
