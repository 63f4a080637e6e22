// Checker: the simulator's safety invariants, fed with what the cluster observes (Ready
// contents, saves, sent messages, applied entries, roles). The first violation is kept as a
// message naming the step; nothing aborts. Checked: election safety (one leader per term,
// ever), log matching, committed entries never change, leader completeness, state machine
// safety (the same applied sequence everywhere), the persistence contract (what must be synced
// is synced before a vote or an append is acknowledged; a durable vote is never forgotten).
// Linearizability of client reads is linearizability.hpp.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "raft/memory_storage.hpp"
#include "raft/ready.hpp"
#include "raft/types.hpp"

namespace ha::raft::sim {

class Checker {
 public:
  void set_step(std::uint64_t step) { step_ = step; }
  bool failed() const { return !failure_.empty(); }
  const std::string& failure() const { return failure_; }
  // Records a violation (only the first is kept).
  void fail(const std::string& what);

  // `id` acts as leader of `term` (its role, or a leader-only message it sent).
  void on_leader(NodeId id, Term term);
  // A Ready before it is persisted; `before` is the hard state persisted so far.
  void on_ready(NodeId id, const Ready& rd, const HardState& before);
  // The same Ready after save(); `live` is what the core now reads.
  void on_saved(NodeId id, const Ready& rd, const MemoryStorage& live);
  // A message about to be sent; `durable` is what would survive a crash now.
  void on_send(const Message& m, const MemoryStorage& durable);
  // The durable hard state after a synced save or a restart.
  void on_durable(NodeId id, const HardState& hs);
  // An entry applied; `applied_before` is the index applied just before, `term` the node's term.
  void on_apply(NodeId id, const Entry& e, Index applied_before, std::uint64_t chain_after, Term term);
  // A state machine restored from a snapshot (Ready.snapshot or a restart).
  void on_restore(NodeId id, const SnapshotMetadata& md, std::uint64_t chain, Term term);
  // The node restarted: its committed prefix is checked again from the start.
  void on_restart(NodeId id) { checked_commit_[id] = 0; }
  // Leader completeness, for a leader whose storage holds its whole log (no pending Ready).
  void check_leader_log(NodeId id, Term term, const MemoryStorage& live);

  // What was observed so far (for tests and statistics).
  Index committed_index() const { return committed_.empty() ? 0 : committed_.size() - 1; }
  const std::map<Term, NodeId>& leaders() const { return leaders_; }

 private:
  struct Committed {
    Term term = 0;  // 0 = not known yet
    std::uint64_t hash = 0;
    bool has_hash = false;
    NodeId seen_by = kNone;
    std::uint64_t step = 0;
  };
  struct LogKey {
    Index index;
    Term term;
    bool operator==(const LogKey&) const = default;
  };
  struct LogKeyHash {
    std::size_t operator()(const LogKey& k) const {
      return static_cast<std::size_t>(k.index * 0x9e3779b97f4a7c15ULL ^ (k.term + 0x7f4a7c15ULL) * 0xbf58476d1ce4e5b9ULL);
    }
  };
  struct LogRecord {
    std::uint64_t hash = 0;
    Term prev_term = 0;
    bool prev_known = false;
    NodeId writer = kNone;
    std::uint64_t step = 0;
  };

  // `has_hash` false: only the term is known (a snapshot's last entry).
  void record_committed(NodeId id, Index index, Term term, std::uint64_t hash, bool has_hash, Term observer_term);
  void record_chain(NodeId id, Index index, std::uint64_t chain);
  std::string at() const;

  std::uint64_t step_ = 0;
  std::string failure_;
  std::map<Term, NodeId> leaders_;
  std::vector<Committed> committed_;  // by index; [0] unused
  std::vector<std::uint64_t> chains_;  // by index; 0 = unknown
  std::map<Term, Index> commit_by_term_;  // observer's term -> highest committed index it saw
  std::map<NodeId, Index> checked_commit_;
  std::map<NodeId, HardState> durable_;
  std::unordered_map<LogKey, LogRecord, LogKeyHash> log_;
};

}  // namespace ha::raft::sim
