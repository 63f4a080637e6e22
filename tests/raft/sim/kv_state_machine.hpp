// KvStateMachine: the per-node application of the simulator: a map from key to the last value
// put, with client-session dedup (a put whose id was applied before is a no-op) and a running
// hash of every applied entry, so that two nodes agree on the applied sequence iff their hashes
// agree. Snapshots serialise all of it. Not the DCS state machine (that is dcs/).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "raft/types.hpp"

namespace ha::raft::sim {

// 64-bit hash of an entry's identity (term, index, type, data).
std::uint64_t entry_hash(const Entry& e);
std::uint64_t chain_hash(std::uint64_t previous, std::uint64_t entry);

class KvStateMachine {
 public:
  // Applies the next committed entry. Returns the put when it was a put not applied before.
  std::optional<std::uint64_t> apply(const Entry& e);

  std::uint64_t get(const std::string& key) const;  // 0 = never written
  Index applied() const { return applied_; }
  std::uint64_t chain() const { return chain_; }
  std::size_t size() const { return kv_.size(); }

  std::string snapshot() const;
  // Replaces everything with a snapshot's image; false (and unchanged) if `data` is malformed.
  bool restore(std::string_view data);
  // Back to the empty state at index `applied` (a fresh node or a snapshot-less restart).
  void reset(Index applied = 0);

 private:
  std::map<std::string, std::uint64_t> kv_;
  std::set<std::uint64_t> seen_;  // ids of applied puts (client sessions)
  Index applied_ = 0;
  std::uint64_t chain_ = 0;
};

}  // namespace ha::raft::sim
