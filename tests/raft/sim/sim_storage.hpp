// SimStorage: one simulated node's disk. The core reads `live()` (everything written so far);
// `durable()` holds only what a crash keeps: synced saves at once, unsynced saves when a later
// synced save or a compaction flushes them. A staged save (a leader's background write) is live
// at once and counts as unsynced until written. A crash may drop the unsynced tail, then the
// live copy restarts from the durable one. Not a model of torn writes inside one save.
#pragma once

#include <optional>
#include <vector>

#include "raft/memory_storage.hpp"

namespace ha::raft::sim {

class SimStorage {
 public:
  explicit SimStorage(const ConfState& bootstrap) : live_(bootstrap), durable_(bootstrap) {}

  MemoryStorage& live() { return live_; }
  const MemoryStorage& live() const { return live_; }
  const MemoryStorage& durable() const { return durable_; }
  HardState durable_hard_state() const { return durable_.initial_state().hard_state; }
  HardState live_hard_state() const { return live_.initial_state().hard_state; }
  // Saves a crash may lose: unsynced and staged ones.
  std::size_t unsynced() const { return unsynced_.size() + staged_.size(); }
  // The lowest entry index a staged save writes (nothing below it is only staged), or none.
  std::optional<Index> first_staged_index() const;

  void save(const HardState* hs, const std::vector<Entry>& entries, const Snapshot* snapshot, bool sync);
  // DurableStorage::stage(): live at once; write_staged() later writes the oldest staged save.
  void stage(const HardState* hs, const std::vector<Entry>& entries, bool sync);
  void write_staged();
  std::size_t staged() const { return staged_.size(); }
  // The application's compaction; it is written durably (flushing earlier unsynced saves first).
  void compact(const Snapshot& snapshot);
  // Power loss: the first `keep_unsynced` unsynced saves reach the disk, the rest are lost;
  // `forget_vote` is a deliberate driver bug for checker tests. Afterwards live == durable.
  void crash(std::size_t keep_unsynced, bool forget_vote = false);

 private:
  struct Write {
    std::optional<HardState> hs;
    std::vector<Entry> entries;
    std::optional<Snapshot> snapshot;
    bool sync = false;
  };
  static void write(MemoryStorage& to, const Write& w, bool sync);
  void flush();

  MemoryStorage live_;
  MemoryStorage durable_;
  std::vector<Write> unsynced_;
  std::vector<Write> staged_;  // oldest first
};

}  // namespace ha::raft::sim
