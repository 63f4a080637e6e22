// decide(): the HA decision logic as a pure function — what this node observed (DCS view, local
// PostgreSQL, its settings, earlier loops' outcomes, peers' answers) and the time, in; the
// actions to take and a one-line reason, out. Patroni's HA loop, with our fencing and races.
// The loop that gathers the observation and carries out the actions lives elsewhere.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/actions.hpp"
#include "agent/clock.hpp"
#include "agent/observation.hpp"

namespace ha::agent {

struct Decision {
  std::vector<Action> actions;  // in order; the loop stops at the first that fails
  std::string reason;           // one line for the log: what was seen and what is done
  // Decide again no later than this (a fencing deadline, a catch-up, a schedule); empty means
  // after loop_wait as usual.
  std::optional<Millis> recheck_in;

  template <class T>
  const T* find() const {
    for (const auto& a : actions) {
      if (const T* p = std::get_if<T>(&a)) return p;
    }
    return nullptr;
  }
  template <class T>
  bool has() const {
    return find<T>() != nullptr;
  }
  // "[RefreshLeaderLock(0/3000060), UpdateMemberKey(node1)] I am the leader ..."
  std::string describe() const;
};

Decision decide(const Observation& obs, Now now);

// The latest moment a primary may still run: its last confirmed lock refresh plus the lock's
// TTL minus the safety margin. Nothing before the first confirmed refresh.
std::optional<SteadyTime> fencing_deadline(const Observation& obs);

}  // namespace ha::agent
