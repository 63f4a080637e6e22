// A deterministic, seeded stream of storage writes (appends, conflicting overwrites, hard state
// changes, compactions, snapshot installs) shaped like what a Raft driver does, plus helpers to
// compare two stores. Shared by the storage tests and the crash-test child process.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "raft/memory_storage.hpp"

namespace ha::raft::test {

struct StorageOp {
  enum class Kind { kAppend, kOverwrite, kHardState, kCompact, kInstallSnapshot, kEmptySync };
  Kind kind = Kind::kAppend;
  std::optional<HardState> hard_state;
  std::vector<Entry> entries;
  std::optional<Snapshot> snapshot;  // install (save) or compact
  bool sync = true;
};

const char* to_string(StorageOp::Kind k);

// A snapshot at (index, term) of the configuration {1, 2, 3} holding `data`.
Snapshot snapshot_at(Index index, Term term, std::string data);

struct WorkloadOptions {
  bool allow_unsynced = false;  // some saves with sync = false
  std::size_t max_entry_bytes = 200;
  std::size_t max_snapshot_bytes = 3000;
  std::size_t max_batch = 16;
};

// Generates op n+1 from the state after op n; the same seed always gives the same stream, so
// a second process can rebuild exactly what a first one wrote.
class Workload {
 public:
  Workload(std::uint64_t seed, const WorkloadOptions& options);

  // The next op; it is already applied to model().
  StorageOp next();
  std::uint64_t ops_done() const { return ops_; }
  const MemoryStorage& model() const { return model_; }

  static ConfState bootstrap_conf() { return ConfState{{1, 2, 3}, {}}; }
  // Applies an op to a store (save() or compact()).
  static void apply(DurableStorage& store, const StorageOp& op);

 private:
  std::uint64_t pick(std::uint64_t lo, std::uint64_t hi);  // uniform in [lo, hi]
  std::string bytes(std::size_t max);
  std::vector<Entry> make_entries(Index from, Term term);

  std::mt19937_64 rng_;
  WorkloadOptions options_;
  MemoryStorage model_;
  HardState hs_;
  std::uint64_t ops_ = 0;
};

// Empty when the two stores hold the same thing (bounds, hard state, configuration, snapshot,
// every term and entry, and entries() batches under several byte limits); otherwise the first
// difference found.
std::string diff_stores(const Storage& expected, const Storage& actual);

}  // namespace ha::raft::test
