// run_random: one randomized schedule of a whole cluster, chosen by a seed: cluster size,
// network quality, clock drift, compaction, and a nemesis of partitions, crashes, restarts,
// leadership transfers and membership changes, with clients putting and reading throughout.
// Afterwards (optionally) the faults stop and the cluster must converge. The same seed and
// options replay the same run exactly. Safety is judged by the Cluster's checker.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "raft/config.hpp"

namespace ha::raft::sim {

struct RandomRunOptions {
  std::uint64_t seed = 1;
  std::uint64_t steps = 2000;
  int nodes = 0;             // 0: 3, 5 or 7, chosen by the seed
  FaultSwitches faults;      // deliberate core bugs, switched on in every node (checker tests)
  bool forget_vote_on_restart = false;  // a deliberate driver bug (checker tests)
  bool joiners_know_bootstrap = true;  // see ClusterOptions
  // Whether the nemesis may remove a voter from a two-voter configuration (2 -> 1).
  bool shrink_to_one = true;
  // Lease-based reads (ReadOnlyOption::kLeaseBased) under the conditions they assume: clocks in
  // lockstep, no crashes, no leadership transfers, no drivers forgetting their leader.
  bool lease_reads = false;
  bool liveness = true;      // after the faults, a leader must emerge and every member catch up
  std::ostream* trace = nullptr;
};

struct RandomRunResult {
  bool ok = true;
  std::string failure;
  std::string setup;  // what the seed chose, for the report
  std::uint64_t steps = 0;
  std::uint64_t committed = 0;  // highest committed index seen
  std::uint64_t terms = 0;      // terms that had a leader
  std::uint64_t operations = 0; // client operations in the checked history
  std::uint64_t crashes = 0;
  std::uint64_t partitions = 0;
  std::uint64_t conf_changes = 0;  // accepted proposals
  std::uint64_t transfers = 0;
};

RandomRunResult run_random(const RandomRunOptions& options);

}  // namespace ha::raft::sim
