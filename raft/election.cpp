// Elections: terms, timeouts, PreVote, votes, CheckQuorum, role changes and leadership transfer.
#include "raft/assert.hpp"
#include "raft/node_impl.hpp"

namespace ha::raft {

void Node::Impl::reset(Term t) {
  if (term != t) {
    term = t;
    vote = kNone;
  }
  lead = kNone;
  election_elapsed = 0;
  heartbeat_elapsed = 0;
  reset_randomized_election_timeout();
  abort_leader_transfer();
  votes.clear();
  progress.clear();
  reset_reads();
  uncommitted_size = 0;
}

void Node::Impl::reset_randomized_election_timeout() {
  std::uniform_int_distribution<int> d(cfg.election_tick, 2 * cfg.election_tick - 1);
  randomized_election_timeout = d(rng);
}

void Node::Impl::become_follower(Term t, NodeId leader) {
  reset(t);
  lead = leader;
  role = Role::kFollower;
}

void Node::Impl::become_pre_candidate() {
  HA_ASSERT(role != Role::kLeader, "leader -> pre-candidate");
  // PreVote changes neither term nor vote.
  votes.clear();
  lead = kNone;
  role = Role::kPreCandidate;
}

void Node::Impl::become_candidate() {
  HA_ASSERT(role != Role::kLeader, "leader -> candidate");
  reset(term + 1);
  vote = id;
  role = Role::kCandidate;
}

void Node::Impl::become_leader() {
  HA_ASSERT(role != Role::kFollower, "follower -> leader");
  reset(term);
  lead = id;
  role = Role::kLeader;
  sync_progress_with_conf();
  // A new leader appends an empty entry of its term: committing it commits everything before
  // it, and ReadIndex waits for it.
  append_entries(std::vector<Entry>(1));
}

void Node::Impl::hup(bool transfer) {
  if (role == Role::kLeader) return;
  if (!promotable()) return;  // learners and removed nodes never campaign
  campaign(cfg.pre_vote && !transfer, transfer);
}

void Node::Impl::campaign(bool pre_vote, bool transfer) {
  MessageType type;
  Term vote_term;
  if (pre_vote) {
    become_pre_candidate();
    type = MessageType::kPreVote;
    vote_term = term + 1;  // the term we would campaign in
  } else {
    become_candidate();
    type = MessageType::kVote;
    vote_term = term;
  }
  votes[id] = true;
  if (is_voter(id) && quorum() == 1) {  // the only voter wins at once
    if (pre_vote) {
      campaign(false, transfer);
    } else {
      become_leader();
    }
    return;
  }
  for (NodeId peer : conf().voters) {
    if (peer == id) continue;
    Message m;
    m.type = type;
    m.to = peer;
    m.term = vote_term;
    m.index = log.last_index();
    m.log_term = log.last_term();
    if (transfer) m.context = kTransferContext;
    send(std::move(m));
  }
}

// The term rules of every message (Raft §5.1, PreVote and the leader lease of §4.2.3).
bool Node::Impl::step_term(const Message& m) {
  if (m.term == 0) return true;  // local or forwarded message
  if (m.term > term) {
    if (m.type == MessageType::kVote || m.type == MessageType::kPreVote) {
      bool force = m.context == kTransferContext;
      bool in_lease = cfg.check_quorum && lead != kNone && election_elapsed < cfg.election_tick;
      if (!force && in_lease) return false;  // we heard from a leader recently: ignore
    }
    if (m.type == MessageType::kPreVote) {
      // A pre-vote never changes our term.
    } else if (m.type == MessageType::kPreVoteResponse && !m.reject) {
      // A granted pre-vote carries the future term; nothing to adopt.
    } else if (m.type == MessageType::kAppend || m.type == MessageType::kHeartbeat ||
               m.type == MessageType::kSnapshot) {
      become_follower(m.term, m.from);
    } else {
      become_follower(m.term, kNone);
    }
    return true;
  }
  if (m.term < term) {
    if ((cfg.check_quorum || cfg.pre_vote) &&
        (m.type == MessageType::kHeartbeat || m.type == MessageType::kAppend)) {
      // A deposed leader (or a node back from a partition) learns our term and steps down.
      Message r;
      r.type = MessageType::kAppendResponse;
      r.to = m.from;
      send(std::move(r));
    } else if (m.type == MessageType::kPreVote) {
      Message r;
      r.type = MessageType::kPreVoteResponse;
      r.to = m.from;
      r.term = term;
      r.reject = true;
      send(std::move(r));
    }
    return false;
  }
  return true;
}

void Node::Impl::handle_vote_request(const Message& m) {
  bool pre = m.type == MessageType::kPreVote;
  bool can_vote = vote == m.from || (vote == kNone && lead == kNone) || (pre && m.term > term);
  bool up_to_date = log.is_up_to_date(m.index, m.log_term) || cfg.faults.grant_vote_ignoring_log;
  Message r;
  r.type = pre ? MessageType::kPreVoteResponse : MessageType::kVoteResponse;
  r.to = m.from;
  if (can_vote && up_to_date) {
    r.term = m.term;  // for a pre-vote: the future term, so the pre-candidate counts it
    if (!pre) {
      election_elapsed = 0;
      vote = m.from;
    }
  } else {
    r.term = term;
    r.reject = true;
  }
  send(std::move(r));
}

void Node::Impl::handle_vote_response(const Message& m) {
  bool expected = (role == Role::kPreCandidate && m.type == MessageType::kPreVoteResponse) ||
                  (role == Role::kCandidate && m.type == MessageType::kVoteResponse);
  if (!expected || !is_voter(m.from)) return;
  votes.emplace(m.from, !m.reject);  // the first answer of each voter counts
  // Tally over the latest configuration: our own vote counts only if we are in it.
  std::size_t granted = 0;
  std::size_t rejected = 0;
  for (const auto& [peer, yes] : votes) {
    if (is_voter(peer)) (yes ? granted : rejected)++;
  }
  if (granted >= quorum()) {
    if (role == Role::kPreCandidate) {
      campaign(false, false);
    } else {
      become_leader();
      bcast_append();
    }
  } else if (rejected > conf().voters.size() - quorum()) {
    become_follower(term, kNone);
  }
}

void Node::Impl::tick() {
  if (role == Role::kLeader) {
    tick_heartbeat();
  } else {
    tick_election();
  }
}

void Node::Impl::tick_election() {
  ++election_elapsed;
  if (promotable() && past_election_timeout()) {
    election_elapsed = 0;
    Message m;
    m.type = MessageType::kHup;
    m.from = id;
    step(std::move(m));
  }
}

void Node::Impl::tick_heartbeat() {
  ++heartbeat_elapsed;
  ++election_elapsed;
  if (election_elapsed >= cfg.election_tick) {
    election_elapsed = 0;
    if (cfg.check_quorum) {
      Message m;
      m.type = MessageType::kCheckQuorum;
      m.from = id;
      step(std::move(m));
    }
    // A transfer that did not finish within an election timeout is abandoned.
    if (role == Role::kLeader && lead_transferee != kNone) abort_leader_transfer();
  }
  if (role != Role::kLeader) return;
  if (heartbeat_elapsed >= cfg.heartbeat_tick) {
    heartbeat_elapsed = 0;
    Message m;
    m.type = MessageType::kBeat;
    m.from = id;
    step(std::move(m));
  }
}

bool Node::Impl::quorum_active() {
  std::size_t active = 0;
  for (auto& [peer, pr] : progress) {
    if (pr.learner) continue;
    if (peer == id || pr.recent_active) {
      if (is_voter(peer)) ++active;
    }
    if (peer != id) pr.recent_active = false;
  }
  return active >= quorum();
}

void Node::Impl::handle_transfer_leader(const Message& m) {
  NodeId target = m.from;
  auto it = progress.find(target);
  if (it == progress.end() || it->second.learner || target == id) return;
  if (lead_transferee != kNone) {
    if (lead_transferee == target) return;
    abort_leader_transfer();
  }
  election_elapsed = 0;  // the transfer must finish within one election timeout
  lead_transferee = target;
  if (it->second.match == log.last_index()) {
    Message t;
    t.type = MessageType::kTimeoutNow;
    t.to = target;
    send(std::move(t));
  } else {
    send_append(target);
  }
}

}  // namespace ha::raft
