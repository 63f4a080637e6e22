// The log storage interface the core reads (Storage) and the driver writes (DurableStorage).
// The core checks index bounds itself; implementations may treat out-of-range calls as bugs.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "raft/types.hpp"

namespace ha::raft {

// Thrown by a storage when the medium fails (I/O error, corruption found while reading).
// The core cannot continue safely after one: the driver must stop the node.
class StorageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct InitialState {
  HardState hard_state;
  ConfState conf_state;  // the configuration of the snapshot (or the bootstrap configuration)
};

class Storage {
 public:
  virtual ~Storage() = default;

  virtual InitialState initial_state() const = 0;
  // Entries in [lo, hi), at most max_bytes in total but always at least one.
  // Requires first_index() <= lo < hi <= last_index() + 1.
  virtual std::vector<Entry> entries(Index lo, Index hi, std::uint64_t max_bytes) const = 0;
  // Requires first_index() - 1 <= i <= last_index(); i == first_index() - 1 is the snapshot's term.
  virtual Term term(Index i) const = 0;
  // Index of the first entry still in the log (snapshot index + 1).
  virtual Index first_index() const = 0;
  virtual Index last_index() const = 0;
  virtual Snapshot snapshot() const = 0;
};

// A snapshot whose data a DurableStorage has written but not yet made its current snapshot
// (DurableStorage::prepare_snapshot()). Destroying it uncommitted discards that data.
class PreparedSnapshot {
 public:
  virtual ~PreparedSnapshot() = default;
  virtual const SnapshotMetadata& metadata() const = 0;
  virtual std::uint64_t data_size() const = 0;
};

// A save that DurableStorage::stage() made visible to the readers but has not written yet.
class StagedSave {
 public:
  virtual ~StagedSave() = default;
};

// Storage with the writes the driver makes while handling a Ready.
class DurableStorage : public Storage {
 public:
  // Persists, atomically and (when sync) durably before returning: an incoming snapshot (which
  // replaces the log up to its index), then the entries (dropping any existing entries at or
  // after entries.front().index), then the hard state. Any argument may be empty.
  virtual void save(const HardState* hard_state, const std::vector<Entry>& entries,
                    const Snapshot* snapshot, bool sync) = 0;
  // Storing a snapshot the application made at `snapshot.metadata.index` (<= the applied index),
  // in two steps so that the slow one can run on another thread:
  // prepare_snapshot() writes the data durably where nothing reads it yet. It may run on any
  // thread, concurrently with any other call.
  virtual std::unique_ptr<PreparedSnapshot> prepare_snapshot(const Snapshot& snapshot) const = 0;
  // commit_snapshot(), on the thread that makes the other calls, makes a prepared snapshot of
  // this storage the stored one and drops log entries up to its index; one at or below the stored
  // snapshot's index is discarded instead.
  virtual void commit_snapshot(std::unique_ptr<PreparedSnapshot> prepared) = 0;
  // Both steps at once.
  void compact(const Snapshot& snapshot) { commit_snapshot(prepare_snapshot(snapshot)); }

  // A save in two steps, so that the slow one overlaps the caller's other work (a leader writes
  // its log while its followers write theirs: the Raft dissertation's 10.2.1).
  // stage(), on the thread that makes the other calls, makes the save visible to the readers at
  // once (entries(), term(), last_index()) and returns what is left to write. It takes no
  // snapshot: an incoming snapshot goes through save(), with no staged save outstanding.
  // write_staged() writes it, durably when `sync`, on one other thread, in the order the saves
  // were staged, concurrently with the readers, stage() and commit_snapshot(); it throws
  // StorageError as save() does. Nothing staged may be trusted to survive a crash before it
  // returns, and commit_snapshot() must not cover an entry whose write has not returned.
  // staged_written(), back on the owning thread after write_staged() returned, in the same
  // order, lets the storage forget the save. The defaults save everything in stage().
  virtual std::unique_ptr<StagedSave> stage(const HardState* hard_state,
                                            const std::vector<Entry>& entries, bool sync) {
    save(hard_state, entries, nullptr, sync);
    return std::make_unique<StagedSave>();
  }
  virtual void write_staged(StagedSave& /*staged*/) {}
  // Several staged saves in order, as write_staged() each; a storage may sync once, at the end,
  // when any of them asks for it.
  virtual void write_staged_group(const std::vector<StagedSave*>& saves) {
    for (StagedSave* s : saves) write_staged(*s);
  }
  virtual void staged_written(StagedSave& /*staged*/) {}
  // The lowest log index that a staged save writes and whose staged_written() has not come yet
  // (the highest Index when there is none): commit_snapshot() must stay below it.
  virtual Index first_unwritten_index() const { return std::numeric_limits<Index>::max(); }
};

}  // namespace ha::raft
