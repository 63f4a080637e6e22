// RaftLog: the core's view of the log, joining the durable Storage with the unstable tail
// (entries and an incoming snapshot not yet persisted) and tracking committed and applied.
#pragma once

#include <optional>
#include <vector>

#include "raft/storage.hpp"
#include "raft/types.hpp"

namespace ha::raft {

class RaftLog {
 public:
  explicit RaftLog(const Storage& storage);

  Index first_index() const;
  Index last_index() const;
  Term last_term() const;
  // The term of entry i; nothing when i is compacted away or beyond the log.
  std::optional<Term> term(Index i) const;
  bool match_term(Index i, Term t) const;
  // Whether a candidate whose log ends at (last_index, last_term) is at least as up to date.
  bool is_up_to_date(Index last_index, Term last_term) const;

  struct AppendResult {
    Index last_new = 0;       // last index of the appended entries (m.index + len)
    Index first_changed = 0;  // first index whose entry was written (0 if none changed)
  };
  // Follower append after the consistency check on (prev_index, prev_term); nothing on mismatch.
  std::optional<AppendResult> maybe_append(Index prev_index, Term prev_term, Index leader_commit,
                                           const std::vector<Entry>& entries);
  // Leader append (entries carry their indexes); returns the new last index.
  Index append(std::vector<Entry> entries);

  // The largest index <= index whose term is <= term, with that term (0 when unknown).
  std::pair<Index, Term> find_conflict_by_term(Index index, Term term) const;

  // Entries in [lo, hi) up to max_bytes (at least one). Requires first_index() <= lo.
  std::vector<Entry> entries(Index lo, Index hi, std::uint64_t max_bytes) const;

  Index committed() const { return committed_; }
  Index applied() const { return applied_; }
  void commit_to(Index i);
  void applied_to(Index i);
  bool has_next_committed_entries() const { return committed_ > applying_; }
  // Committed entries not yet handed out for applying; marks them as being applied.
  std::vector<Entry> next_committed_entries(std::uint64_t max_bytes);

  // The unpersisted tail.
  const std::vector<Entry>& unstable_entries() const { return unstable_; }
  const std::optional<Snapshot>& unstable_snapshot() const { return unstable_snapshot_; }
  void stable_to(Index i, Term t);
  void stable_snapshot_to(Index i);
  // Replaces the log by an incoming snapshot (committed jumps to its index).
  void restore(const Snapshot& s);
  // The snapshot to send a follower that is behind first_index().
  Snapshot snapshot() const;

 private:
  void truncate_and_append(std::vector<Entry> entries);
  Index find_conflict(const std::vector<Entry>& entries) const;

  const Storage& storage_;
  std::vector<Entry> unstable_;  // entries from unstable_offset_ on
  Index unstable_offset_ = 0;
  std::optional<Snapshot> unstable_snapshot_;
  Index committed_ = 0;
  Index applied_ = 0;
  Index applying_ = 0;  // highest index handed out for applying (>= applied_)
};

}  // namespace ha::raft
