// Log replication and commit: message dispatch per role, AppendEntries with fast backtracking,
// per-follower flow control, heartbeats, snapshots and the quorum commit rule.
#include <algorithm>

#include "raft/assert.hpp"
#include "raft/node_impl.hpp"

namespace ha::raft {

void Node::Impl::send(Message m) {
  // Forwarded requests keep their origin (a transfer request carries the transferee there).
  if (m.from == kNone) m.from = id;
  bool explicit_term = m.type == MessageType::kVote || m.type == MessageType::kVoteResponse ||
                       m.type == MessageType::kPreVote || m.type == MessageType::kPreVoteResponse;
  if (explicit_term) {
    HA_ASSERT(m.term != 0, "vote messages carry an explicit term");
  } else if (m.type == MessageType::kPropose || m.type == MessageType::kReadIndex) {
    m.term = 0;  // forwarded requests are local at the leader
  } else {
    m.term = term;
  }
  msgs.push_back(std::move(m));
}

void Node::Impl::step(Message m) {
  if (!step_term(m)) return;
  switch (m.type) {
    case MessageType::kHup:
      hup(false);
      return;
    case MessageType::kVote:
    case MessageType::kPreVote:
      handle_vote_request(m);
      return;
    default:
      break;
  }
  switch (role) {
    case Role::kLeader: step_leader(m); break;
    case Role::kCandidate:
    case Role::kPreCandidate: step_candidate(m); break;
    case Role::kFollower: step_follower(m); break;
  }
}

ProposeResult Node::Impl::propose_entries(std::vector<Entry> entries) {
  if (role != Role::kLeader) {
    if (lead == kNone) return ProposeResult::kNoLeader;
    Message m;
    m.type = MessageType::kPropose;
    m.to = lead;
    m.entries = std::move(entries);
    send(std::move(m));
    return ProposeResult::kOk;
  }
  if (lead_transferee != kNone) return ProposeResult::kTransferInProgress;
  if (!append_entries(std::move(entries))) return ProposeResult::kTooLarge;
  bcast_append();
  return ProposeResult::kOk;
}

bool Node::Impl::append_entries(std::vector<Entry> entries) {
  std::uint64_t size = 0;
  for (const Entry& e : entries) size += e.data.size();
  if (cfg.max_uncommitted_entries_size > 0 && uncommitted_size > 0 &&
      uncommitted_size + size > cfg.max_uncommitted_entries_size) {
    return false;
  }
  uncommitted_size += size;
  Index li = log.last_index();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    entries[i].term = term;
    entries[i].index = li + 1 + i;
  }
  track_conf_entries(li + 1, entries);
  log.append(std::move(entries));
  // Synchronous storage: the leader's own copy counts at once, as the Ready contract has the
  // driver persist it before anything is applied or acknowledged. Asynchronous: persisted().
  if (!cfg.async_storage_writes || cfg.faults.count_own_entries_unpersisted) {
    progress.at(id).maybe_update(log.last_index());
    if (maybe_commit()) on_commit_advanced();
  }
  return true;
}

void Node::Impl::persisted(Index index, Term t) {
  if (role != Role::kLeader || index > log.last_index()) return;
  // A report from an earlier leadership, of entries since replaced, says nothing about these.
  auto stored = log.term(index);
  if (!stored || *stored != t) return;
  auto it = progress.find(id);
  if (it == progress.end() || !it->second.maybe_update(index)) return;
  if (maybe_commit()) {
    on_commit_advanced();
    if (role == Role::kLeader) bcast_append();
  }
}

void Node::Impl::step_leader(const Message& m) {
  switch (m.type) {
    case MessageType::kBeat:
      bcast_heartbeat(pending_reads.empty() ? std::string() : std::to_string(pending_reads.back().round));
      return;
    case MessageType::kCheckQuorum:
      if (!quorum_active()) become_follower(term, kNone);
      return;
    case MessageType::kPropose: {
      if (m.entries.empty()) return;
      bool conf = std::any_of(m.entries.begin(), m.entries.end(),
                              [](const Entry& e) { return e.type == EntryType::kConfChange; });
      if (conf || lead_transferee != kNone) return;
      if (append_entries(m.entries)) bcast_append();
      return;
    }
    case MessageType::kReadIndex:
      handle_read_index(m);
      return;
    case MessageType::kTransferLeader:
      handle_transfer_leader(m);
      return;
    default:
      break;
  }
  auto it = progress.find(m.from);
  if (it == progress.end()) return;
  Progress& pr = it->second;
  switch (m.type) {
    case MessageType::kAppendResponse:
      handle_append_response(m);
      break;
    case MessageType::kHeartbeatResponse:
      handle_heartbeat_response(m);
      break;
    case MessageType::kSnapshotStatus:
      if (pr.state != ProgressState::kSnapshot) return;
      pr.become_probe();
      pr.probe_sent = true;  // wait for the follower's answer or the next heartbeat
      break;
    case MessageType::kUnreachable:
      if (pr.state == ProgressState::kReplicate) pr.become_probe();
      break;
    default:
      break;
  }
}

void Node::Impl::step_candidate(const Message& m) {
  switch (m.type) {
    case MessageType::kAppend:
      become_follower(m.term, m.from);
      handle_append(m);
      break;
    case MessageType::kHeartbeat:
      become_follower(m.term, m.from);
      handle_heartbeat(m);
      break;
    case MessageType::kSnapshot:
      become_follower(m.term, m.from);
      handle_snapshot(m);
      break;
    case MessageType::kVoteResponse:
    case MessageType::kPreVoteResponse:
      handle_vote_response(m);
      break;
    default:
      break;  // proposals are dropped: no leader
  }
}

void Node::Impl::step_follower(const Message& m) {
  switch (m.type) {
    case MessageType::kPropose:
    case MessageType::kTransferLeader:
    case MessageType::kReadIndex: {
      if (lead == kNone) return;
      Message f = m;
      f.to = lead;
      send(std::move(f));
      break;
    }
    case MessageType::kAppend:
      election_elapsed = 0;
      lead = m.from;
      handle_append(m);
      break;
    case MessageType::kHeartbeat:
      election_elapsed = 0;
      lead = m.from;
      handle_heartbeat(m);
      break;
    case MessageType::kSnapshot:
      election_elapsed = 0;
      lead = m.from;
      handle_snapshot(m);
      break;
    case MessageType::kTimeoutNow:
      hup(true);
      break;
    case MessageType::kReadIndexResponse:
      read_states.push_back(ReadState{m.index, m.context});
      break;
    default:
      break;
  }
}

void Node::Impl::handle_append(const Message& m) {
  Message r;
  r.type = MessageType::kAppendResponse;
  r.to = m.from;
  if (m.index < log.committed()) {
    r.index = log.committed();
    send(std::move(r));
    return;
  }
  if (auto res = log.maybe_append(m.index, m.log_term, m.commit, m.entries)) {
    if (res->first_changed != 0) {
      std::vector<Entry> changed(m.entries.begin() + static_cast<std::ptrdiff_t>(res->first_changed - m.index - 1),
                                 m.entries.end());
      track_conf_entries(res->first_changed, changed);
    }
    r.index = res->last_new;
    send(std::move(r));
    return;
  }
  // Mismatch: hint the leader at the last index whose term is <= its prev term, so it can skip
  // a whole conflicting term per round trip.
  Index hint = std::min(m.index, log.last_index());
  auto [hint_index, hint_term] = log.find_conflict_by_term(hint, m.log_term);
  r.index = m.index;
  r.reject = true;
  r.reject_hint = hint_index;
  r.log_term = hint_term;
  send(std::move(r));
}

void Node::Impl::handle_heartbeat(const Message& m) {
  log.commit_to(std::min(m.commit, log.last_index()));
  Message r;
  r.type = MessageType::kHeartbeatResponse;
  r.to = m.from;
  r.context = m.context;
  send(std::move(r));
}

void Node::Impl::handle_snapshot(const Message& m) {
  HA_ASSERT(m.snapshot != nullptr, "snapshot message without a snapshot");
  const Snapshot& s = *m.snapshot;
  Message r;
  r.type = MessageType::kAppendResponse;
  r.to = m.from;
  Index si = s.metadata.index;
  if (si <= log.committed()) {
    r.index = log.committed();
  } else if (log.match_term(si, s.metadata.term)) {
    // We already have the entries the snapshot covers: fast-forward the commit. Acknowledge
    // only up to it: our tail beyond may come from a deposed leader.
    log.commit_to(si);
    r.index = log.committed();
  } else {
    log.restore(s);
    on_snapshot_restored(s);
    r.index = log.last_index();
  }
  send(std::move(r));
}

void Node::Impl::handle_append_response(const Message& m) {
  Progress& pr = progress.at(m.from);
  pr.recent_active = true;
  if (m.reject) {
    Index next_probe = m.reject_hint;
    if (m.log_term > 0) next_probe = log.find_conflict_by_term(m.reject_hint, m.log_term).first;
    if (pr.maybe_decrease_to(m.index, next_probe)) {
      if (pr.state == ProgressState::kReplicate) pr.become_probe();
      send_append(m.from);
    }
    return;
  }
  bool was_paused = pr.paused();
  if (!pr.maybe_update(m.index)) {
    if (was_paused && !pr.paused()) send_append(m.from);
    return;
  }
  switch (pr.state) {
    case ProgressState::kProbe:
      pr.become_replicate();
      break;
    case ProgressState::kSnapshot:
      // The snapshot arrived (or the follower caught up otherwise). Replicate if the log still
      // covers what it needs next; else probe, which sends a newer snapshot.
      if (pr.match >= pr.pending_snapshot || pr.match + 1 >= log.first_index()) {
        pr.become_probe();
        if (pr.match + 1 >= log.first_index()) pr.become_replicate();
      }
      break;
    case ProgressState::kReplicate:
      pr.inflights.free_le(m.index);
      break;
  }
  if (maybe_commit()) {
    on_commit_advanced();
    if (role != Role::kLeader) return;  // stepped down after its own removal
    bcast_append();
  } else if (was_paused) {
    send_append(m.from);
  }
  auto it = progress.find(m.from);
  if (it == progress.end()) return;
  while (maybe_send_append(m.from, false)) {
  }
  if (m.from == lead_transferee && it->second.match == log.last_index()) {
    Message t;
    t.type = MessageType::kTimeoutNow;
    t.to = m.from;
    send(std::move(t));
  }
}

void Node::Impl::handle_heartbeat_response(const Message& m) {
  Progress& pr = progress.at(m.from);
  pr.recent_active = true;
  pr.probe_sent = false;
  // Appends may have been lost: free a slot so a full window cannot stall replication forever.
  if (pr.state == ProgressState::kReplicate && pr.inflights.full()) pr.inflights.free_first_one();
  if (pr.match < log.last_index()) send_append(m.from);
  if (!m.context.empty()) handle_read_ack(m.from, m.context);
}

bool Node::Impl::maybe_send_append(NodeId to, bool send_if_empty) {
  Progress& pr = progress.at(to);
  if (pr.paused()) return false;
  Index prev = pr.next - 1;
  std::optional<Term> prev_term = log.term(prev);
  if (!prev_term || pr.next < log.first_index()) {
    // The entries this follower needs are compacted away: send a snapshot.
    if (!pr.recent_active) return false;
    auto snap = std::make_shared<const Snapshot>(log.snapshot());
    HA_ASSERT(!snap->empty(), "need a snapshot but the log has none");
    Message m;
    m.type = MessageType::kSnapshot;
    m.to = to;
    m.snapshot = snap;
    pr.become_snapshot(snap->metadata.index);
    send(std::move(m));
    return true;
  }
  std::vector<Entry> entries;
  if (pr.next <= log.last_index()) entries = log.entries(pr.next, log.last_index() + 1, cfg.max_size_per_msg);
  if (entries.empty() && !send_if_empty) return false;
  Message m;
  m.type = MessageType::kAppend;
  m.to = to;
  m.index = prev;
  m.log_term = *prev_term;
  m.commit = log.committed();
  if (!entries.empty()) {
    Index last = entries.back().index;
    if (pr.state == ProgressState::kReplicate) {
      pr.next = last + 1;
      pr.inflights.add(last);
    } else {
      pr.probe_sent = true;
    }
  }
  m.entries = std::move(entries);
  send(std::move(m));
  return true;
}

void Node::Impl::bcast_append() {
  for (auto& [peer, pr] : progress) {
    if (peer != id) send_append(peer);
  }
}

void Node::Impl::bcast_heartbeat(const std::string& context) {
  for (auto& [peer, pr] : progress) {
    if (peer == id) continue;
    Message m;
    m.type = MessageType::kHeartbeat;
    m.to = peer;
    // Never tell a follower to commit beyond what it is known to have.
    m.commit = std::min(pr.match, log.committed());
    m.context = context;
    send(std::move(m));
  }
}

bool Node::Impl::maybe_commit() {
  std::vector<Index> matches;
  for (const auto& [peer, pr] : progress) {
    if (is_voter(peer)) matches.push_back(pr.match);
  }
  if (matches.size() < quorum()) return false;
  std::sort(matches.begin(), matches.end(), std::greater<>());
  Index candidate = matches[quorum() - 1];
  if (candidate <= log.committed()) return false;
  // Figure 8: only an entry of the current term is committed by counting replicas.
  auto t = log.term(candidate);
  if (!t) return false;
  if (*t != term && !cfg.faults.commit_old_term_by_counting) return false;
  log.commit_to(candidate);
  return true;
}

bool Node::Impl::committed_entry_in_current_term() const {
  auto t = log.term(log.committed());
  return t && *t == term;
}

void Node::Impl::on_commit_advanced() {
  release_reads_waiting_for_commit();
  maybe_step_down_after_removal();
}

}  // namespace ha::raft
