#include "raft/raft_log.hpp"

#include <algorithm>

#include "raft/assert.hpp"

namespace ha::raft {

RaftLog::RaftLog(const Storage& storage) : storage_(storage) {
  unstable_offset_ = storage.last_index() + 1;
  committed_ = storage.first_index() - 1;
  applied_ = committed_;
  applying_ = committed_;
}

Index RaftLog::first_index() const {
  if (unstable_snapshot_) return unstable_snapshot_->metadata.index + 1;
  return storage_.first_index();
}

Index RaftLog::last_index() const {
  if (!unstable_.empty()) return unstable_offset_ + unstable_.size() - 1;
  if (unstable_snapshot_) return unstable_snapshot_->metadata.index;
  return storage_.last_index();
}

Term RaftLog::last_term() const {
  auto t = term(last_index());
  HA_ASSERT(t.has_value(), "last term unknown");
  return *t;
}

std::optional<Term> RaftLog::term(Index i) const {
  Index dummy = first_index() - 1;
  if (i < dummy || i > last_index()) return std::nullopt;
  if (unstable_snapshot_ && i == unstable_snapshot_->metadata.index)
    return unstable_snapshot_->metadata.term;
  if (!unstable_.empty() && i >= unstable_offset_) return unstable_[i - unstable_offset_].term;
  return storage_.term(i);
}

bool RaftLog::match_term(Index i, Term t) const {
  auto mine = term(i);
  return mine.has_value() && *mine == t;
}

bool RaftLog::is_up_to_date(Index last, Term t) const {
  Term mine = last_term();
  return t > mine || (t == mine && last >= last_index());
}

Index RaftLog::find_conflict(const std::vector<Entry>& entries) const {
  for (const Entry& e : entries) {
    if (!match_term(e.index, e.term)) return e.index;
  }
  return 0;
}

std::optional<RaftLog::AppendResult> RaftLog::maybe_append(Index prev_index, Term prev_term,
                                                           Index leader_commit,
                                                           const std::vector<Entry>& entries) {
  if (!match_term(prev_index, prev_term)) return std::nullopt;
  AppendResult r;
  r.last_new = prev_index + entries.size();
  Index conflict = find_conflict(entries);
  if (conflict != 0) {
    HA_ASSERT(conflict > committed_, "a leader tried to overwrite a committed entry");
    std::vector<Entry> tail(entries.begin() + static_cast<std::ptrdiff_t>(conflict - prev_index - 1),
                            entries.end());
    truncate_and_append(std::move(tail));
    r.first_changed = conflict;
  }
  commit_to(std::min(leader_commit, r.last_new));
  return r;
}

Index RaftLog::append(std::vector<Entry> entries) {
  if (entries.empty()) return last_index();
  HA_ASSERT(entries.front().index > committed_, "append below commit");
  truncate_and_append(std::move(entries));
  return last_index();
}

void RaftLog::truncate_and_append(std::vector<Entry> entries) {
  Index after = entries.front().index;
  HA_ASSERT(after <= last_index() + 1, "append leaves a gap");
  if (after == unstable_offset_ + unstable_.size()) {
    // Continues the unstable tail.
  } else if (after <= unstable_offset_) {
    // Replaces the whole unstable tail (and hides stored entries from `after` on).
    unstable_.clear();
    unstable_offset_ = after;
  } else {
    unstable_.resize(after - unstable_offset_);
  }
  if (unstable_.empty()) {
    unstable_ = std::move(entries);
  } else {
    unstable_.insert(unstable_.end(), std::make_move_iterator(entries.begin()),
                     std::make_move_iterator(entries.end()));
  }
}

std::pair<Index, Term> RaftLog::find_conflict_by_term(Index index, Term t) const {
  for (;;) {
    auto mine = term(index);
    if (!mine) return {index, 0};
    if (*mine <= t || index == 0) return {index, *mine};
    --index;
  }
}

std::vector<Entry> RaftLog::entries(Index lo, Index hi, std::uint64_t max_bytes) const {
  std::vector<Entry> out;
  if (lo >= hi) return out;
  HA_ASSERT(lo >= first_index() && hi <= last_index() + 1, "log slice out of range");
  std::uint64_t bytes = 0;
  if (lo < unstable_offset_) {
    Index stored_hi = std::min(hi, unstable_offset_);
    out = storage_.entries(lo, stored_hi, max_bytes);
    for (const Entry& e : out) bytes += entry_size(e);
    if (out.back().index + 1 < stored_hi) return out;  // hit max_bytes
  }
  for (Index i = std::max(lo, unstable_offset_); i < hi; ++i) {
    const Entry& e = unstable_[i - unstable_offset_];
    bytes += entry_size(e);
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(e);
  }
  return out;
}

void RaftLog::commit_to(Index i) {
  if (i <= committed_) return;
  HA_ASSERT(i <= last_index(), "commit beyond the last index");
  committed_ = i;
}

void RaftLog::applied_to(Index i) {
  if (i == 0) return;
  HA_ASSERT(i <= committed_ && i >= applied_, "applied out of range");
  applied_ = i;
  applying_ = std::max(applying_, i);
}

std::vector<Entry> RaftLog::next_committed_entries(std::uint64_t max_bytes) {
  Index lo = std::max(applying_, first_index() - 1) + 1;
  if (lo > committed_) return {};
  std::vector<Entry> out = entries(lo, committed_ + 1, max_bytes);
  if (!out.empty()) applying_ = out.back().index;
  return out;
}

void RaftLog::stable_to(Index i, Term t) {
  if (unstable_.empty() || i < unstable_offset_) return;
  Index pos = i - unstable_offset_;
  if (pos >= unstable_.size() || unstable_[pos].term != t) return;  // replaced meanwhile
  unstable_.erase(unstable_.begin(), unstable_.begin() + static_cast<std::ptrdiff_t>(pos + 1));
  unstable_offset_ = i + 1;
}

void RaftLog::stable_snapshot_to(Index i) {
  if (unstable_snapshot_ && unstable_snapshot_->metadata.index == i) unstable_snapshot_.reset();
}

void RaftLog::restore(const Snapshot& s) {
  Index i = s.metadata.index;
  unstable_.clear();
  unstable_offset_ = i + 1;
  unstable_snapshot_ = s;
  committed_ = i;
  applying_ = std::max(applying_, i);
}

Snapshot RaftLog::snapshot() const {
  if (unstable_snapshot_) return *unstable_snapshot_;
  return storage_.snapshot();
}

}  // namespace ha::raft
