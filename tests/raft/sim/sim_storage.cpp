#include "tests/raft/sim/sim_storage.hpp"

namespace ha::raft::sim {

void SimStorage::write(MemoryStorage& to, const Write& w, bool sync) {
  to.save(w.hs ? &*w.hs : nullptr, w.entries, w.snapshot ? &*w.snapshot : nullptr, sync);
}

void SimStorage::save(const HardState* hs, const std::vector<Entry>& entries, const Snapshot* snapshot,
                      bool sync) {
  live_.save(hs, entries, snapshot, sync);
  Write w;
  if (hs != nullptr) w.hs = *hs;
  w.entries = entries;
  if (snapshot != nullptr) w.snapshot = *snapshot;
  if (sync) {
    flush();
    write(durable_, w, true);
  } else {
    unsynced_.push_back(std::move(w));
  }
}

void SimStorage::stage(const HardState* hs, const std::vector<Entry>& entries, bool sync) {
  live_.save(hs, entries, nullptr, sync);
  Write w;
  if (hs != nullptr) w.hs = *hs;
  w.entries = entries;
  w.sync = sync;
  staged_.push_back(std::move(w));
}

void SimStorage::write_staged() {
  Write w = std::move(staged_.front());
  staged_.erase(staged_.begin());
  if (w.sync) {
    flush();
    write(durable_, w, true);
  } else {
    unsynced_.push_back(std::move(w));
  }
}

std::optional<Index> SimStorage::first_staged_index() const {
  std::optional<Index> first;
  for (const Write& w : staged_) {
    if (!w.entries.empty() && (!first || w.entries.front().index < *first)) first = w.entries.front().index;
  }
  return first;
}

void SimStorage::flush() {
  for (const Write& w : unsynced_) write(durable_, w, false);
  unsynced_.clear();
}

void SimStorage::compact(const Snapshot& snapshot) {
  flush();
  live_.compact(snapshot);
  durable_.compact(snapshot);
}

void SimStorage::crash(std::size_t keep_unsynced, bool forget_vote) {
  // A staged save being written may or may not have reached the disk: like an unsynced one.
  for (Write& w : staged_) unsynced_.push_back(std::move(w));
  staged_.clear();
  for (std::size_t i = 0; i < unsynced_.size() && i < keep_unsynced; ++i) write(durable_, unsynced_[i], false);
  unsynced_.clear();
  if (forget_vote) {
    HardState hs = durable_hard_state();
    hs.vote = kNone;
    durable_.save(&hs, {}, nullptr, true);
  }
  live_ = durable_;
}

}  // namespace ha::raft::sim
