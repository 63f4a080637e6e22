// Membership: the configuration is the latest conf-change entry in the log (single-server
// changes, §4.1 of the dissertation), reverted when that entry is truncated away.
#include <algorithm>

#include "raft/assert.hpp"
#include "raft/node_impl.hpp"

namespace ha::raft {

namespace {
bool contains(const std::vector<NodeId>& v, NodeId n) { return std::find(v.begin(), v.end(), n) != v.end(); }
}  // namespace

bool Node::Impl::is_voter(NodeId n) const { return contains(conf().voters, n); }
bool Node::Impl::is_learner(NodeId n) const { return contains(conf().learners, n); }

bool Node::Impl::promotable() const {
  if (is_voter(id)) return true;
  if (last_conf_index() <= log.committed()) return false;
  return contains(conf_state_at(log.committed()).voters, id);
}

ConfState Node::Impl::conf_state_at(Index i) const {
  HA_ASSERT(i >= base_conf_index, "configuration history before the snapshot is gone");
  ConfState cs = base_conf;
  for (const auto& [idx, c] : conf_history) {
    if (idx > i) break;
    cs = c;
  }
  return cs;
}

void Node::Impl::load_conf_from_log() {
  conf_history.clear();
  Index last = log.last_index();
  for (Index lo = log.first_index(); lo <= last;) {
    std::vector<Entry> batch = log.entries(lo, last + 1, 64 << 20);
    track_conf_entries(batch.front().index, batch);
    lo = batch.back().index + 1;
  }
}

void Node::Impl::track_conf_entries(Index first_changed, const std::vector<Entry>& entries) {
  while (!conf_history.empty() && conf_history.back().first >= first_changed) conf_history.pop_back();
  bool changed = false;
  for (const Entry& e : entries) {
    if (e.type != EntryType::kConfChange) continue;
    auto cc = decode_conf_change(e.data);
    HA_ASSERT(cc.has_value(), "malformed conf change entry in the log");
    ConfState next = conf();
    apply_conf_change(next, *cc);
    conf_history.emplace_back(e.index, std::move(next));
    changed = true;
  }
  if (changed || role == Role::kLeader) sync_progress_with_conf();
}

void Node::Impl::on_snapshot_restored(const Snapshot& s) {
  base_conf = s.metadata.conf_state;
  base_conf_index = s.metadata.index;
  conf_history.clear();
  sync_progress_with_conf();
}

void Node::Impl::sync_progress_with_conf() {
  if (role != Role::kLeader) return;
  const ConfState& cs = conf();
  for (auto it = progress.begin(); it != progress.end();) {
    if (it->first != id && !contains(cs.voters, it->first) && !contains(cs.learners, it->first)) {
      it = progress.erase(it);
    } else {
      ++it;
    }
  }
  auto ensure = [&](NodeId n, bool learner) {
    auto [it, added] = progress.try_emplace(n, cfg.max_inflight_msgs);
    if (added) {
      it->second.next = log.last_index() + 1;
      if (n == id) it->second.match = log.last_index();
      it->second.recent_active = true;  // give a new member an election timeout to answer
    }
    it->second.learner = learner;
  };
  for (NodeId n : cs.voters) ensure(n, false);
  for (NodeId n : cs.learners) ensure(n, true);
  // A leader that is removing itself keeps its own progress (it still leads until the removal
  // commits), but it no longer counts toward quorums: is_voter() decides that.
  ensure(id, !is_voter(id));
}

ProposeResult Node::Impl::check_conf_change_allowed(const ConfChange& cc) const {
  // One change at a time, and only after this term's first entry committed (the dissertation's
  // erratum: a new leader must not change the configuration before that).
  if (last_conf_index() > log.committed()) return ProposeResult::kConfChangePending;
  if (!committed_entry_in_current_term()) return ProposeResult::kConfChangePending;
  ConfState next = conf();
  if (!apply_conf_change(next, cc)) return ProposeResult::kInvalid;
  return ProposeResult::kOk;
}

void Node::Impl::maybe_step_down_after_removal() {
  if (role != Role::kLeader || is_voter(id)) return;
  if (last_conf_index() > log.committed()) return;  // the removal is not committed yet
  // Hand over quickly: ask the most up-to-date voter to campaign at once.
  NodeId best = kNone;
  Index best_match = 0;
  for (const auto& [peer, pr] : progress) {
    if (peer != id && is_voter(peer) && pr.match >= best_match) {
      best = peer;
      best_match = pr.match;
    }
  }
  if (best != kNone && best_match == log.last_index()) {
    Message t;
    t.type = MessageType::kTimeoutNow;
    t.to = best;
    send(std::move(t));
  }
  become_follower(term, kNone);
}

}  // namespace ha::raft
