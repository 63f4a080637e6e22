// Nemesis: the faults of a campaign, drawn from a seed, and applying and healing them on the
// Network and the Members. A schedule is a sequence of (fault, targets, hold time, quiet time);
// targets named "the leader" are resolved when the fault starts.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "tests/chaos/members.hpp"
#include "tests/chaos/network.hpp"

namespace ha::chaos {

enum class FaultKind {
  kPartitionOne,     // one random member cut off from the others (minority | majority)
  kPartitionLeader,  // the leader cut off from the others
  kBridge,           // two halves that only one member (the bridge) sees both of
  kOneWay,           // packets from one member to another are lost, not back
  kLoss,             // 30 % random loss on every member's incoming packets
  kDelay,            // 50-150 ms extra delay on two members (needs netem)
  kCutLink,          // a member's bridge port down: silent, no resets
  kKill,             // kill -9 a random member, restart it when healing
  kKillLeader,       // kill -9 the leader, restart it when healing
  kPause,            // SIGSTOP a random follower, SIGCONT when healing
  kPauseLeader,      // SIGSTOP the leader, SIGCONT when healing
  kRollback,         // kill -9 a member, its data folder replaced by the copy saved at an earlier
                     // kill; restarted when healing (only with Schedule(seed, true))
};
const char* to_string(FaultKind kind);

struct Fault {
  FaultKind kind = FaultKind::kPartitionOne;
  std::uint64_t pick = 0;  // chooses the targets
  int hold_ms = 0;         // how long the fault lasts
  int quiet_ms = 0;        // healthy time before it
};

// The next fault of the schedule of `seed` (each call draws the next).
class Schedule {
 public:
  explicit Schedule(std::uint64_t seed, bool rollback = false) : rng_(seed), rollback_(rollback) {}
  Fault next();

 private:
  std::mt19937_64 rng_;
  bool rollback_;
};

class Nemesis {
 public:
  // `leader` returns the leader's index now, or -1.
  Nemesis(Network& net, Members& members, std::function<int()> leader);
  // Applies the fault; returns what was done ("kill -9 n2 (leader)") or "" when it could not
  // be applied (no leader known, no netem).
  std::string apply(const Fault& fault);
  // Ends every fault: filters removed, links up, paused members continued, killed ones started.
  void heal();

 private:
  Network& net_;
  Members& members_;
  std::function<int()> leader_;
};

}  // namespace ha::chaos
