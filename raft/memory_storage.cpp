#include "raft/memory_storage.hpp"

#include "raft/assert.hpp"

namespace ha::raft {

namespace {

class MemoryPrepared : public PreparedSnapshot {
 public:
  explicit MemoryPrepared(Snapshot s) : snapshot(std::move(s)) {}
  const SnapshotMetadata& metadata() const override { return snapshot.metadata; }
  std::uint64_t data_size() const override { return snapshot.data.size(); }

  Snapshot snapshot;
};

}  // namespace

MemoryStorage::MemoryStorage(const ConfState& cs) { snapshot_.metadata.conf_state = cs; }

InitialState MemoryStorage::initial_state() const {
  return InitialState{hard_state_, snapshot_.metadata.conf_state};
}

std::vector<Entry> MemoryStorage::entries(Index lo, Index hi, std::uint64_t max_bytes) const {
  HA_ASSERT(lo >= first_index() && lo < hi && hi <= last_index() + 1, "entries out of range");
  std::vector<Entry> out;
  std::uint64_t bytes = 0;
  for (Index i = lo; i < hi; ++i) {
    const Entry& e = entries_[i - first_index()];
    bytes += entry_size(e);
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(e);
  }
  return out;
}

Term MemoryStorage::term(Index i) const {
  HA_ASSERT(i + 1 >= first_index() && i <= last_index(), "term out of range");
  if (i == snapshot_.metadata.index) return snapshot_.metadata.term;
  return entries_[i - first_index()].term;
}

Index MemoryStorage::first_index() const { return snapshot_.metadata.index + 1; }

Index MemoryStorage::last_index() const { return snapshot_.metadata.index + entries_.size(); }

Snapshot MemoryStorage::snapshot() const { return snapshot_; }

void MemoryStorage::save(const HardState* hard_state, const std::vector<Entry>& entries,
                         const Snapshot* snapshot, bool sync) {
  if (snapshot != nullptr && !snapshot->empty()) apply_snapshot(*snapshot);
  if (!entries.empty()) append(entries);
  if (hard_state != nullptr) hard_state_ = *hard_state;
  if (sync) ++syncs_;
}

void MemoryStorage::append(const std::vector<Entry>& entries) {
  Index first = entries.front().index;
  HA_ASSERT(first >= first_index(), "append below the snapshot");
  HA_ASSERT(first <= last_index() + 1, "append leaves a gap");
  while (!entries_.empty() && entries_.back().index >= first) entries_.pop_back();
  for (const Entry& e : entries) entries_.push_back(e);
}

void MemoryStorage::apply_snapshot(const Snapshot& snapshot) {
  Index idx = snapshot.metadata.index;
  // Keep the entries after the snapshot only if they continue it (same term at idx).
  if (idx >= first_index() && idx <= last_index() && term(idx) == snapshot.metadata.term) {
    while (!entries_.empty() && entries_.front().index <= idx) entries_.pop_front();
  } else {
    entries_.clear();
  }
  snapshot_ = snapshot;
}

std::unique_ptr<PreparedSnapshot> MemoryStorage::prepare_snapshot(const Snapshot& snapshot) const {
  return std::make_unique<MemoryPrepared>(snapshot);
}

void MemoryStorage::commit_snapshot(std::unique_ptr<PreparedSnapshot> prepared) {
  auto* mine = dynamic_cast<MemoryPrepared*>(prepared.get());
  HA_ASSERT(mine != nullptr, "commit_snapshot with a snapshot another storage prepared");
  Snapshot& snapshot = mine->snapshot;
  Index idx = snapshot.metadata.index;
  if (idx <= snapshot_.metadata.index) return;
  HA_ASSERT(idx <= last_index(), "compact beyond the log");
  HA_ASSERT(term(idx) == snapshot.metadata.term, "compact with a snapshot of another history");
  while (!entries_.empty() && entries_.front().index <= idx) entries_.pop_front();
  snapshot_ = std::move(snapshot);
}

}  // namespace ha::raft
