#include "tests/raft/sim/checker.hpp"

#include <algorithm>

#include "tests/raft/sim/kv_state_machine.hpp"

namespace ha::raft::sim {

namespace {

std::string n(NodeId id) { return "n" + std::to_string(id); }

// Entry identity for the committed record: its type and data (the index and term are kept apart).
std::uint64_t content_hash(const Entry& e) {
  Entry copy;
  copy.type = e.type;
  copy.data = e.data;
  return entry_hash(copy);
}

}  // namespace

std::string Checker::at() const { return "step " + std::to_string(step_) + ": "; }

void Checker::fail(const std::string& what) {
  if (failure_.empty()) failure_ = at() + what;
}

void Checker::on_leader(NodeId id, Term term) {
  auto [it, inserted] = leaders_.emplace(term, id);
  if (!inserted && it->second != id)
    fail("election safety: two leaders in term " + std::to_string(term) + ": " + n(it->second) + " and " + n(id));
}

void Checker::on_ready(NodeId id, const Ready& rd, const HardState& before) {
  bool vote_changed = rd.hard_state && (rd.hard_state->term != before.term || rd.hard_state->vote != before.vote);
  std::string what;
  if (!rd.entries.empty()) what = "entries";
  else if (rd.snapshot) what = "a snapshot";
  else if (vote_changed) what = "a new term or vote";
  if (!what.empty() && !rd.must_sync)
    fail("persistence contract: " + n(id) + "'s Ready carries " + what + " but must_sync is false");
  for (std::size_t i = 1; i < rd.entries.size(); ++i) {
    if (rd.entries[i].index != rd.entries[i - 1].index + 1) {
      fail("Ready of " + n(id) + " has non-contiguous entries " + std::to_string(rd.entries[i - 1].index) + ", " +
           std::to_string(rd.entries[i].index));
      break;
    }
  }
}

void Checker::on_saved(NodeId id, const Ready& rd, const MemoryStorage& live) {
  // Log matching: every (index, term) ever written anywhere has one content and one predecessor term.
  for (const Entry& e : rd.entries) {
    LogRecord rec;
    rec.hash = content_hash(e);
    rec.writer = id;
    rec.step = step_;
    if (e.index >= live.first_index()) {
      rec.prev_known = true;
      rec.prev_term = live.term(e.index - 1);
    }
    auto [it, inserted] = log_.emplace(LogKey{e.index, e.term}, rec);
    if (inserted) continue;
    const LogRecord& old = it->second;
    if (old.hash != rec.hash) {
      fail("log matching: " + n(id) + " wrote entry (index " + std::to_string(e.index) + ", term " +
           std::to_string(e.term) + ") with different data than " + n(old.writer) + " wrote at step " +
           std::to_string(old.step));
    } else if (old.prev_known && rec.prev_known && old.prev_term != rec.prev_term) {
      fail("log matching: entry (index " + std::to_string(e.index) + ", term " + std::to_string(e.term) +
           ") follows term " + std::to_string(rec.prev_term) + " on " + n(id) + " but term " +
           std::to_string(old.prev_term) + " on " + n(old.writer));
    }
  }
  // Committed entries never change or vanish from a node's own log.
  Index& checked = checked_commit_[id];
  for (const Entry& e : rd.entries) {
    if (e.index > checked) break;
    const Committed& c = e.index < committed_.size() ? committed_[e.index] : Committed{};
    if (c.term != 0 && (c.term != e.term || (c.has_hash && c.hash != content_hash(e))))
      fail(n(id) + " overwrote its committed index " + std::to_string(e.index) + " (term " + std::to_string(c.term) +
           ") with term " + std::to_string(e.term));
  }
  if (live.last_index() < checked)
    fail(n(id) + "'s log lost committed entries: it ends at " + std::to_string(live.last_index()) +
         " but index " + std::to_string(checked) + " was committed");
  if (!rd.hard_state) return;
  const HardState& hs = *rd.hard_state;
  if (hs.commit > live.last_index()) {
    fail(n(id) + " persisted commit index " + std::to_string(hs.commit) + " beyond its last index " +
         std::to_string(live.last_index()));
    return;
  }
  if (hs.commit <= checked) return;
  Index snap = live.first_index() - 1;
  if (snap > checked && snap <= hs.commit) record_committed(id, snap, live.term(snap), 0, false, hs.term);
  Index lo = std::max(checked + 1, live.first_index());
  while (lo <= hs.commit) {
    for (const Entry& e : live.entries(lo, hs.commit + 1, 1 << 20)) {
      record_committed(id, e.index, e.term, content_hash(e), true, hs.term);
      lo = e.index + 1;
    }
  }
  checked = hs.commit;
  Index& best = commit_by_term_[hs.term];
  best = std::max(best, hs.commit);
}

void Checker::record_committed(NodeId id, Index index, Term term, std::uint64_t hash, bool has_hash,
                               Term observer_term) {
  if (index == 0) return;
  if (committed_.size() <= index) committed_.resize(index + 1);
  Committed& c = committed_[index];
  if (c.term == 0) {
    c = Committed{term, hash, has_hash, id, step_};
  } else if (c.term != term || (c.has_hash && has_hash && c.hash != hash)) {
    fail("committed entry changed: index " + std::to_string(index) + " was committed with term " +
         std::to_string(c.term) + " (seen by " + n(c.seen_by) + " at step " + std::to_string(c.step) + "), but " +
         n(id) + " has term " + std::to_string(term) + (c.term == term ? " with different data" : ""));
    return;
  } else if (!c.has_hash && has_hash) {
    c.hash = hash;
    c.has_hash = true;
  }
  if (observer_term != 0) {
    Index& best = commit_by_term_[observer_term];
    best = std::max(best, index);
  }
}

void Checker::record_chain(NodeId id, Index index, std::uint64_t chain) {
  if (chains_.size() <= index) chains_.resize(index + 1, 0);
  if (chains_[index] == 0) {
    chains_[index] = chain;
  } else if (chains_[index] != chain) {
    fail("state machine safety: " + n(id) + "'s applied sequence up to index " + std::to_string(index) +
         " differs from another node's");
  }
}

void Checker::on_send(const Message& m, const MemoryStorage& durable) {
  if (m.type == MessageType::kAppend || m.type == MessageType::kHeartbeat || m.type == MessageType::kSnapshot)
    on_leader(m.from, m.term);
  if (m.type == MessageType::kVoteResponse && !m.reject) {
    HardState hs = durable.initial_state().hard_state;
    if (hs.term < m.term || (hs.term == m.term && hs.vote != m.to))
      fail("persistence contract: " + n(m.from) + " granted its term-" + std::to_string(m.term) + " vote to " +
           n(m.to) + " but its durable hard state is term " + std::to_string(hs.term) + " vote " + n(hs.vote));
  }
  if (m.type == MessageType::kAppendResponse && !m.reject) {
    HardState hs = durable.initial_state().hard_state;
    if (durable.last_index() < m.index && hs.term <= m.term)
      fail("persistence contract: " + n(m.from) + " acknowledged index " + std::to_string(m.index) +
           " but its durable log ends at " + std::to_string(durable.last_index()));
  }
}

void Checker::on_durable(NodeId id, const HardState& hs) {
  auto [it, inserted] = durable_.emplace(id, hs);
  if (inserted) return;
  HardState& old = it->second;
  if (hs.term < old.term) {
    fail(n(id) + "'s durable term went back from " + std::to_string(old.term) + " to " + std::to_string(hs.term));
  } else if (hs.term == old.term && old.vote != kNone && hs.vote != old.vote) {
    fail(n(id) + "'s durable vote in term " + std::to_string(hs.term) + " changed from " + n(old.vote) + " to " +
         n(hs.vote) + " (a node must never forget its vote)");
  }
  old = hs;
}

void Checker::on_apply(NodeId id, const Entry& e, Index applied_before, std::uint64_t chain_after, Term term) {
  if (e.index != applied_before + 1) {
    fail("state machine safety: " + n(id) + " applied index " + std::to_string(e.index) + " right after " +
         std::to_string(applied_before));
    return;
  }
  record_committed(id, e.index, e.term, content_hash(e), true, term);
  record_chain(id, e.index, chain_after);
}

void Checker::on_restore(NodeId id, const SnapshotMetadata& md, std::uint64_t chain, Term term) {
  if (md.index == 0) return;
  record_committed(id, md.index, md.term, 0, false, term);
  record_chain(id, md.index, chain);
}

void Checker::check_leader_log(NodeId id, Term term, const MemoryStorage& live) {
  Index need = 0;
  for (auto it = commit_by_term_.begin(); it != commit_by_term_.end() && it->first <= term; ++it)
    need = std::max(need, it->second);
  if (need == 0 || need >= committed_.size()) return;
  const Committed& c = committed_[need];
  if (live.last_index() < need) {
    fail("leader completeness: " + n(id) + " leads term " + std::to_string(term) + " but its log ends at " +
         std::to_string(live.last_index()) + ", before committed index " + std::to_string(need));
    return;
  }
  Index snap = live.first_index() - 1;
  Index probe = need > snap ? need : snap;
  const Committed& want = need > snap ? c : (snap < committed_.size() ? committed_[snap] : c);
  if (want.term != 0 && probe > 0 && live.term(probe) != want.term)
    fail("leader completeness: " + n(id) + " leads term " + std::to_string(term) + " but has term " +
         std::to_string(live.term(probe)) + " at committed index " + std::to_string(probe) + " (committed term " +
         std::to_string(want.term) + ")");
}

}  // namespace ha::raft::sim
