// MemoryStorage: a DurableStorage kept in memory, for tests and the simulator.
// "Durable" here means "survives a simulated crash": the simulator keeps this object and
// drops the core. It is not thread-safe.
#pragma once

#include <deque>

#include "raft/storage.hpp"

namespace ha::raft {

class MemoryStorage : public DurableStorage {
 public:
  MemoryStorage() = default;
  // A fresh member of a new cluster whose initial configuration is `cs`. That configuration lives
  // only in this storage (at index 0), not in the log: a member that joins later must be started
  // with the same `cs`, or it rebuilds its configuration from the log's changes alone and gets
  // it wrong. Applications that add members at runtime should bootstrap with conf-change
  // entries at the start of the log instead, as hadcs does (dcs/server.cpp).
  explicit MemoryStorage(const ConfState& cs);

  InitialState initial_state() const override;
  std::vector<Entry> entries(Index lo, Index hi, std::uint64_t max_bytes) const override;
  Term term(Index i) const override;
  Index first_index() const override;
  Index last_index() const override;
  Snapshot snapshot() const override;

  void save(const HardState* hard_state, const std::vector<Entry>& entries, const Snapshot* snapshot,
            bool sync) override;
  // prepare_snapshot() only copies the snapshot; commit_snapshot() stores it.
  std::unique_ptr<PreparedSnapshot> prepare_snapshot(const Snapshot& snapshot) const override;
  void commit_snapshot(std::unique_ptr<PreparedSnapshot> prepared) override;

  // Counts for tests and benchmarks.
  std::uint64_t sync_count() const { return syncs_; }

 private:
  void append(const std::vector<Entry>& entries);
  void apply_snapshot(const Snapshot& snapshot);

  HardState hard_state_;
  Snapshot snapshot_;        // metadata.index is the index before entries_.front()
  std::deque<Entry> entries_;
  std::uint64_t syncs_ = 0;
};

}  // namespace ha::raft
