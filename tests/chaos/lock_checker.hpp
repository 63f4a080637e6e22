// Lock checker: every kLock op with outcome ok is one hold of a lock (its key): from the moment
// the holder's create-if-absent was acknowledged (invoke_ns) until the holder stopped believing
// it held it (complete_ns: the earlier of the release request being sent and the lease's expiry
// as the holder computed it, last answered keep-alive's send time + TTL). No two holds of the
// same lock may overlap by more than `clock_bound_ns`, the slack allowed for the lease clock
// (hadcs's lease clock is the leader's steady clock; the workload runs on the same machine, so
// the only slack needed is for clocks that are not shared, i.e. none: 0 by default). Pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/chaos/history.hpp"

namespace ha::chaos {

struct LockOverlap {
  Op first;   // the earlier hold
  Op second;  // began before `first` ended (less the bound)
  std::int64_t overlap_ns = 0;
};

struct LockResult {
  std::string key;
  std::size_t holds = 0;
  std::vector<LockOverlap> overlaps;
  bool ok() const { return overlaps.empty(); }
};

std::vector<LockResult> check_locks(const History& history, std::int64_t clock_bound_ns = 0);

}  // namespace ha::chaos
