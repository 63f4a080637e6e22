// The leader race: whether this node may and should try to take a free leader lock — its own
// eligibility (PostgreSQL running, not nofailover, within maximum_lag_on_failover of the last
// leader position, timeline, synchronous standby, watchdog) and how it compares with the peers'
// answers (a live primary, a more advanced or higher-priority member, the name tie-break).
// Pure; part of decide().
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/observation.hpp"

namespace ha::agent {

struct RaceVerdict {
  enum class Outcome {
    race,        // take the lock
    stand_down,  // someone else should (or nobody may)
    ask_peers,   // eligible; the peers' positions are needed first
  };
  Outcome outcome = Outcome::stand_down;
  std::string fact;                 // "I am the healthiest (lsn 0/3000060)", "node2 is ahead ..."
  std::vector<std::string> to_ask;  // for ask_peers
};

// Why this node may not take part in an automatic race, or nothing when it may.
std::optional<std::string> race_ineligibility(const Observation& obs);

// Whether a peer (from its answer) could win an automatic race; for the comparison only.
bool peer_may_race(const Observation& obs, const PeerStatus& peer);

// The whole race check. `ignore` names members left out of the comparison (the leader being
// switched away from).
RaceVerdict assess_race(const Observation& obs, const std::vector<std::string>& ignore = {});

}  // namespace ha::agent
