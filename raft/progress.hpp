// Progress: what the leader knows of one follower's log (match, next) and how it sends to it:
// probe (one append at a time until the match is found), replicate (pipelined, bounded by
// in-flight messages) or snapshot (waiting for an InstallSnapshot to finish).
#pragma once

#include <cstddef>
#include <deque>

#include "raft/types.hpp"

namespace ha::raft {

enum class ProgressState : std::uint8_t { kProbe, kReplicate, kSnapshot };
const char* to_string(ProgressState s);

// Sliding window of the last index of each unacknowledged append.
class Inflights {
 public:
  explicit Inflights(std::size_t capacity = 256) : capacity_(capacity) {}
  void add(Index last) { window_.push_back(last); }
  void free_le(Index i) {
    while (!window_.empty() && window_.front() <= i) window_.pop_front();
  }
  void free_first_one() {
    if (!window_.empty()) window_.pop_front();
  }
  void reset() { window_.clear(); }
  bool full() const { return window_.size() >= capacity_; }
  std::size_t count() const { return window_.size(); }

 private:
  std::size_t capacity_;
  std::deque<Index> window_;
};

struct Progress {
  Index match = 0;
  Index next = 1;
  ProgressState state = ProgressState::kProbe;
  bool probe_sent = false;      // probe: an append is out, wait for its answer or a heartbeat
  Index pending_snapshot = 0;   // snapshot: the index of the snapshot being sent
  bool recent_active = false;   // heard from within the last election timeout (CheckQuorum)
  bool learner = false;
  Inflights inflights;

  explicit Progress(std::size_t max_inflight = 256) : inflights(max_inflight) {}

  void become_probe();
  void become_replicate();
  void become_snapshot(Index snapshot_index);
  // An acknowledgement up to n; returns whether match advanced.
  bool maybe_update(Index n);
  // A rejection of the append after `rejected`; the follower's log matches at most up to
  // `match_hint`. Returns whether next changed (false for a stale rejection).
  bool maybe_decrease_to(Index rejected, Index match_hint);
  bool paused() const;
};

}  // namespace ha::raft
