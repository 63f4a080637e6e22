// Tunables of one Raft core. Times are in ticks; the driver decides how long a tick is.
#pragma once

#include <cstdint>
#include <string>

#include "raft/types.hpp"

namespace ha::raft {

enum class ReadOnlyOption : std::uint8_t {
  kSafe,         // ReadIndex confirmed by a heartbeat round (default, needs no clock bound)
  kLeaseBased,   // the leader answers from its lease; safe only under a bounded clock drift
};

// Deliberate bugs that tests switch on to prove the simulator's checkers catch them.
// Never set outside tests.
struct FaultSwitches {
  bool commit_old_term_by_counting = false;  // break Figure 8: commit old-term entries by count
  bool grant_vote_ignoring_log = false;      // vote for candidates with stale logs
  bool read_index_without_heartbeat = false; // answer ReadIndex without confirming leadership
  bool count_own_entries_unpersisted = false;  // async_storage_writes, but count them at once
};

struct Config {
  NodeId id = kNone;
  int election_tick = 10;  // election timeout is random in [election_tick, 2*election_tick)
  int heartbeat_tick = 1;
  Index applied = 0;       // last index the application applied before a restart
  bool pre_vote = true;
  bool check_quorum = true;
  ReadOnlyOption read_only = ReadOnlyOption::kSafe;
  std::uint64_t max_size_per_msg = 1 << 20;       // bytes of entries in one kAppend
  std::size_t max_inflight_msgs = 256;            // unacknowledged kAppend per follower
  std::uint64_t max_committed_size_per_ready = 16 << 20;
  std::uint64_t max_uncommitted_entries_size = 0; // 0 = unlimited
  // A leader's new entries count toward the quorum only once the driver reports them durable
  // with Node::persisted(), instead of at once. Lets a leader's driver persist them while it goes
  // on handling acknowledgements (the Raft dissertation's 10.2.1) without the commit index it
  // tells followers ever covering entries that only its memory holds.
  bool async_storage_writes = false;
  std::uint64_t seed = 0;                         // randomness of election timeouts
  FaultSwitches faults;

  // Empty when valid, else what is wrong.
  std::string validate() const;
};

}  // namespace ha::raft
