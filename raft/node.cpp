// Node's public API and the Ready / advance handshake; the rules live in the files named in
// node_impl.hpp.
#include "raft/node.hpp"

#include "raft/assert.hpp"
#include "raft/node_impl.hpp"

namespace ha::raft {

const char* to_string(ProposeResult r) {
  switch (r) {
    case ProposeResult::kOk: return "ok";
    case ProposeResult::kNoLeader: return "no leader";
    case ProposeResult::kNotLeader: return "not the leader";
    case ProposeResult::kTransferInProgress: return "leadership transfer in progress";
    case ProposeResult::kConfChangePending: return "a membership change is still pending";
    case ProposeResult::kTooLarge: return "too many uncommitted bytes";
    case ProposeResult::kInvalid: return "invalid request";
  }
  return "?";
}

Node::Impl::Impl(const Config& config, Storage& storage)
    : cfg(config), log(storage), id(config.id), rng(config.seed ^ (config.id * 0x9E3779B97F4A7C15ULL)) {
  std::string err = cfg.validate();
  HA_ASSERT(err.empty(), err.c_str());
  InitialState init = storage.initial_state();
  base_conf = init.conf_state;
  base_conf_index = storage.first_index() - 1;
  HA_ASSERT(init.hard_state.commit <= log.last_index(), "stored commit beyond the stored log");
  log.commit_to(init.hard_state.commit);
  if (cfg.applied > 0) log.applied_to(cfg.applied);
  load_conf_from_log();
  term = init.hard_state.term;
  vote = init.hard_state.vote;
  become_follower(term, kNone);
  prev_hard = hard_state();
  prev_soft = soft_state();
}

bool Node::Impl::has_ready() const {
  if (soft_state() != prev_soft) return true;
  if (hard_state() != prev_hard) return true;
  if (log.unstable_snapshot()) return true;
  if (!log.unstable_entries().empty()) return true;
  if (!msgs.empty() || !read_states.empty()) return true;
  return log.has_next_committed_entries();
}

Ready Node::Impl::ready() {
  HA_ASSERT(!ready_outstanding, "ready() called again before advance()");
  Ready rd;
  if (soft_state() != prev_soft) rd.soft_state = soft_state();
  HardState hs = hard_state();
  if (hs != prev_hard) rd.hard_state = hs;
  if (log.unstable_snapshot()) rd.snapshot = *log.unstable_snapshot();
  rd.entries = log.unstable_entries();
  rd.committed_entries = log.next_committed_entries(cfg.max_committed_size_per_ready);
  rd.messages = std::move(msgs);
  msgs.clear();
  drop_superseded_commit_updates(rd.messages);
  rd.read_states = std::move(read_states);
  read_states.clear();
  rd.must_sync = !rd.entries.empty() || rd.snapshot.has_value() ||
                 (rd.hard_state && (rd.hard_state->term != prev_hard.term || rd.hard_state->vote != prev_hard.vote));
  ready_outstanding = true;
  return rd;
}

void Node::Impl::drop_superseded_commit_updates(std::vector<Message>& out) {
  // An append without entries only tells a follower the commit index (or probes it). When a
  // later append to the same follower in this Ready carries a commit index at least as high,
  // the empty one adds nothing: dropping it halves the messages of a loaded leader, which sends
  // one such update after every commit. (Dropping a message is always safe in Raft.)
  struct Later {
    Term term;
    Index commit;
  };
  std::map<NodeId, Later> later;  // per peer: the last append after position i
  std::vector<bool> drop(out.size(), false);
  bool any = false;
  for (std::size_t i = out.size(); i-- > 0;) {
    const Message& m = out[i];
    if (m.type != MessageType::kAppend) continue;
    auto it = later.find(m.to);
    if (it == later.end()) {
      later.emplace(m.to, Later{m.term, m.commit});
    } else if (m.entries.empty() && it->second.term == m.term && it->second.commit >= m.commit) {
      drop[i] = any = true;
    }
  }
  if (!any) return;
  std::size_t w = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (!drop[i]) {
      if (w != i) out[w] = std::move(out[i]);
      ++w;
    }
  }
  out.resize(w);
}

void Node::Impl::advance(const Ready& rd) {
  HA_ASSERT(ready_outstanding, "advance() without ready()");
  ready_outstanding = false;
  if (rd.soft_state) prev_soft = *rd.soft_state;
  if (rd.hard_state) prev_hard = *rd.hard_state;
  if (rd.snapshot) {
    log.stable_snapshot_to(rd.snapshot->metadata.index);
    log.applied_to(rd.snapshot->metadata.index);
  }
  if (!rd.entries.empty()) log.stable_to(rd.entries.back().index, rd.entries.back().term);
  if (!rd.committed_entries.empty()) {
    log.applied_to(rd.committed_entries.back().index);
    if (role == Role::kLeader) {
      std::uint64_t done = 0;
      for (const Entry& e : rd.committed_entries) done += e.data.size();
      uncommitted_size = done > uncommitted_size ? 0 : uncommitted_size - done;
    }
  }
}

Status Node::Impl::status() const {
  Status s;
  s.id = id;
  s.hard_state = hard_state();
  s.soft_state = soft_state();
  s.applied = log.applied();
  s.first_index = log.first_index();
  s.last_index = log.last_index();
  s.conf_state = conf();
  s.lead_transferee = lead_transferee;
  if (role == Role::kLeader) {
    for (const auto& [peer, pr] : progress) {
      s.peers.push_back(PeerStatus{peer, pr.match, pr.next, !pr.learner, pr.recent_active, to_string(pr.state)});
    }
  }
  return s;
}

// ---------------------------------------------------------------------------------------------

Node::Node(const Config& config, Storage& storage) : impl_(std::make_unique<Impl>(config, storage)) {}
Node::~Node() = default;

void Node::tick() { impl_->tick(); }

void Node::step(const Message& m) {
  HA_ASSERT(m.type != MessageType::kPropose || m.from != kNone, "propose through propose()");
  impl_->step(m);
}

ProposeResult Node::propose(std::string data) {
  std::vector<Entry> e(1);
  e[0].data = std::move(data);
  return impl_->propose_entries(std::move(e));
}

ProposeResult Node::propose_batch(std::vector<std::string> data) {
  std::vector<Entry> e(data.size());
  for (std::size_t i = 0; i < data.size(); ++i) e[i].data = std::move(data[i]);
  return impl_->propose_entries(std::move(e));
}

ProposeResult Node::propose_conf_change(const ConfChange& cc) {
  if (impl_->role != Role::kLeader) return impl_->lead == kNone ? ProposeResult::kNoLeader : ProposeResult::kNotLeader;
  ProposeResult r = impl_->check_conf_change_allowed(cc);
  if (r != ProposeResult::kOk) return r;
  std::vector<Entry> e(1);
  e[0].type = EntryType::kConfChange;
  e[0].data = encode_conf_change(cc);
  return impl_->propose_entries(std::move(e));
}

ProposeResult Node::read_index(std::string context) {
  if (impl_->role != Role::kLeader && impl_->lead == kNone) return ProposeResult::kNoLeader;
  Message m;
  m.type = MessageType::kReadIndex;
  m.from = impl_->id;
  m.context = std::move(context);
  impl_->step(std::move(m));
  return ProposeResult::kOk;
}

ProposeResult Node::transfer_leader(NodeId to) {
  if (impl_->role != Role::kLeader) return ProposeResult::kNotLeader;
  if (!impl_->is_voter(to)) return ProposeResult::kInvalid;
  Message m;
  m.type = MessageType::kTransferLeader;
  m.from = to;  // as in etcd/raft: the transferee travels in `from`
  m.to = impl_->id;
  impl_->step(std::move(m));
  return ProposeResult::kOk;
}

void Node::campaign() {
  Message m;
  m.type = MessageType::kHup;
  m.from = impl_->id;
  impl_->step(std::move(m));
}

void Node::forget_leader() {
  if (impl_->role != Role::kFollower) return;
  impl_->lead = kNone;
}

void Node::report_unreachable(NodeId peer) {
  Message m;
  m.type = MessageType::kUnreachable;
  m.from = peer;
  impl_->step(std::move(m));
}

void Node::report_snapshot(NodeId peer, bool ok) {
  Message m;
  m.type = MessageType::kSnapshotStatus;
  m.from = peer;
  m.reject = !ok;
  impl_->step(std::move(m));
}

bool Node::has_ready() const { return impl_->has_ready(); }
Ready Node::ready() { return impl_->ready(); }
void Node::advance(const Ready& rd) { impl_->advance(rd); }
void Node::persisted(Index index, Term term) { impl_->persisted(index, term); }
Status Node::status() const { return impl_->status(); }
ConfState Node::conf_state_at(Index i) const { return impl_->conf_state_at(i); }
NodeId Node::id() const { return impl_->id; }
NodeId Node::leader() const { return impl_->lead; }
Role Node::role() const { return impl_->role; }
Term Node::term() const { return impl_->term; }
std::size_t Node::voter_count() const { return impl_->conf().voters.size(); }

}  // namespace ha::raft
