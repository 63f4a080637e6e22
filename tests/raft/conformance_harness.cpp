// The conformance scenarios' in-process network (see conformance_harness.hpp).
#include "tests/raft/conformance_harness.hpp"

#include <algorithm>
#include <stdexcept>

namespace ha::raft::conformance {

namespace {

// State machine image: for each applied entry, index (8 bytes), length (8 bytes), data.
void put_u64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t get_u64(const std::string& in, std::size_t pos) {
  if (pos + 8 > in.size()) throw std::runtime_error("truncated state machine image");
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[pos + static_cast<std::size_t>(i)])) << (8 * i);
  }
  return v;
}

std::string encode_image(const std::vector<std::pair<Index, std::string>>& sm, Index upto) {
  std::string out;
  for (const auto& [index, data] : sm) {
    if (index > upto) break;
    put_u64(out, index);
    put_u64(out, data.size());
    out += data;
  }
  return out;
}

std::vector<std::pair<Index, std::string>> decode_image(const std::string& in) {
  std::vector<std::pair<Index, std::string>> sm;
  std::size_t pos = 0;
  while (pos < in.size()) {
    Index index = get_u64(in, pos);
    std::uint64_t len = get_u64(in, pos + 8);
    pos += 16;
    if (pos + len > in.size()) throw std::runtime_error("truncated state machine image");
    sm.emplace_back(index, in.substr(pos, len));
    pos += len;
  }
  return sm;
}

}  // namespace

std::vector<Entry> make_entries(Index first, const std::vector<Term>& terms) {
  std::vector<Entry> out;
  for (std::size_t i = 0; i < terms.size(); ++i) {
    Entry e;
    e.index = first + i;
    e.term = terms[i];
    e.data = "e" + std::to_string(e.index);
    out.push_back(std::move(e));
  }
  return out;
}

std::unique_ptr<MemoryStorage> storage_with_log(const ConfState& cs, const std::vector<Term>& terms,
                                                HardState hs) {
  auto s = std::make_unique<MemoryStorage>(cs);
  std::vector<Entry> entries = make_entries(1, terms);
  s->save(&hs, entries, nullptr, true);
  return s;
}

Message make_append(NodeId from, NodeId to, Term term, Index prev_index, Term prev_term,
                    std::vector<Entry> entries, Index commit) {
  Message m;
  m.type = MessageType::kAppend;
  m.from = from;
  m.to = to;
  m.term = term;
  m.index = prev_index;
  m.log_term = prev_term;
  m.entries = std::move(entries);
  m.commit = commit;
  return m;
}

Message make_vote(MessageType type, NodeId from, NodeId to, Term term, Index last_index, Term last_term) {
  Message m;
  m.type = type;
  m.from = from;
  m.to = to;
  m.term = term;
  m.index = last_index;
  m.log_term = last_term;
  return m;
}

std::string state_machine_image(const std::vector<std::pair<Index, std::string>>& applied) {
  return encode_image(applied, ~Index{0});
}

ConfChange conf_change(ConfChangeType type, NodeId node) {
  ConfChange cc;
  cc.type = type;
  cc.node = node;
  return cc;
}

MessagePredicate of_type(MessageType t) {
  return [t](const Message& m) { return m.type == t; };
}
MessagePredicate of_type(MessageType t, NodeId from, NodeId to) {
  return [t, from, to](const Message& m) { return m.type == t && m.from == from && m.to == to; };
}
MessagePredicate to_node(NodeId to) {
  return [to](const Message& m) { return m.to == to; };
}
MessagePredicate from_node(NodeId from) {
  return [from](const Message& m) { return m.from == from; };
}

// ---------------------------------------------------------------------------------------------

Network::Network(const std::vector<NodeId>& voters, Options options, const std::vector<NodeId>& learners)
    : options_(options) {
  ConfState cs;
  cs.voters = voters;
  cs.learners = learners;
  std::sort(cs.voters.begin(), cs.voters.end());
  std::sort(cs.learners.begin(), cs.learners.end());
  bootstrap_ = cs;
  for (NodeId id : cs.voters) install(id, std::make_unique<MemoryStorage>(cs));
  for (NodeId id : cs.learners) install(id, std::make_unique<MemoryStorage>(cs));
}

Network::~Network() = default;

Config Network::config_for(NodeId id) const {
  Config c;
  c.id = id;
  c.election_tick = options_.election_tick;
  c.heartbeat_tick = options_.heartbeat_tick;
  c.pre_vote = options_.pre_vote;
  c.check_quorum = options_.check_quorum;
  c.read_only = options_.read_only;
  c.max_size_per_msg = options_.max_size_per_msg;
  c.max_inflight_msgs = options_.max_inflight_msgs;
  c.max_uncommitted_entries_size = options_.max_uncommitted_entries_size;
  c.seed = options_.seed;
  c.faults = options_.faults;
  return c;
}

void Network::install(NodeId id, std::unique_ptr<MemoryStorage> storage, std::optional<Config> config) {
  Member& mb = members_[id];
  mb.node.reset();
  mb.storage = std::move(storage);
  mb.config = config ? *config : config_for(id);
  mb.config.id = id;
  mb.sm.clear();
  mb.sm_data.clear();
  mb.reads.clear();
  restore_state_machine(mb, mb.storage->snapshot());
  mb.node = std::make_unique<Node>(mb.config, *mb.storage);
}

void Network::add_joining_node(NodeId id) { install(id, std::make_unique<MemoryStorage>(bootstrap_)); }

Network::Member& Network::member(NodeId id) {
  auto it = members_.find(id);
  if (it == members_.end()) throw std::logic_error("no node " + std::to_string(id));
  return it->second;
}

const Network::Member& Network::member(NodeId id) const {
  auto it = members_.find(id);
  if (it == members_.end()) throw std::logic_error("no node " + std::to_string(id));
  return it->second;
}

Node& Network::node(NodeId id) {
  Member& mb = member(id);
  if (!mb.node) throw std::logic_error("node " + std::to_string(id) + " is down");
  return *mb.node;
}

MemoryStorage& Network::storage(NodeId id) { return *member(id).storage; }

bool Network::running(NodeId id) const {
  auto it = members_.find(id);
  return it != members_.end() && it->second.node != nullptr;
}

std::vector<NodeId> Network::ids() const {
  std::vector<NodeId> out;
  for (const auto& [id, mb] : members_) out.push_back(id);
  return out;
}

void Network::restore_state_machine(Member& mb, const Snapshot& s) {
  mb.sm = decode_image(s.data);
  mb.sm_data.clear();
  for (const auto& [index, data] : mb.sm) mb.sm_data.push_back(data);
  mb.applied = s.metadata.index;
}

void Network::handle_ready(NodeId id, const Ready& rd) {
  Member& mb = member(id);
  // 1. persist
  mb.storage->save(rd.hard_state ? &*rd.hard_state : nullptr, rd.entries,
                   rd.snapshot ? &*rd.snapshot : nullptr, rd.must_sync);
  // 2. send
  for (const Message& m : rd.messages) {
    sent_.push_back(m);
    enqueue(m);
  }
  // 3. apply
  if (rd.snapshot) restore_state_machine(mb, *rd.snapshot);
  for (const Entry& e : rd.committed_entries) {
    if (e.index <= mb.applied) throw std::logic_error("entry applied twice on node " + std::to_string(id));
    if (e.index != mb.applied + 1) throw std::logic_error("gap in applied entries on node " + std::to_string(id));
    mb.applied = e.index;
    if (e.type == EntryType::kNormal && !e.data.empty()) {
      mb.sm.emplace_back(e.index, e.data);
      mb.sm_data.push_back(e.data);
    }
  }
  // 4. reads
  for (const ReadState& r : rd.read_states) mb.reads.push_back(r);
  // 5. advance
  mb.node->advance(rd);
}

bool Network::process(NodeId id) {
  Member& mb = member(id);
  bool any = false;
  while (mb.node && mb.node->has_ready()) {
    any = true;
    Ready rd = mb.node->ready();
    handle_ready(id, rd);
  }
  return any;
}

bool Network::process_all() {
  bool any = false;
  for (auto& [id, mb] : members_) any = process(id) || any;
  return any;
}

void Network::stabilize() {
  for (int round = 0; round < 100000; ++round) {
    bool any = process_all();
    if (queue_.empty()) {
      if (!any) return;
      continue;
    }
    std::deque<Message> batch;
    batch.swap(queue_);
    for (const Message& m : batch) {
      if (!running(m.to)) continue;
      member(m.to).node->step(m);
      process(m.to);
    }
  }
  throw std::logic_error("the network did not become quiet");
}

void Network::step(const Message& m) {
  node(m.to).step(m);
  process(m.to);
}

bool Network::deliver_one(const MessagePredicate& pred) {
  process_all();
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if (pred && !pred(*it)) continue;
    Message m = *it;
    queue_.erase(it);
    if (running(m.to)) step(m);
    return true;
  }
  return false;
}

std::vector<Message> Network::take(const MessagePredicate& pred) {
  std::vector<Message> out;
  std::deque<Message> rest;
  for (Message& m : queue_) {
    if (pred(m)) {
      out.push_back(std::move(m));
    } else {
      rest.push_back(std::move(m));
    }
  }
  queue_.swap(rest);
  return out;
}

void Network::send(const Message& m) { enqueue(m); }

std::size_t Network::count_sent(const MessagePredicate& pred) const {
  return static_cast<std::size_t>(std::count_if(sent_.begin(), sent_.end(), pred));
}

bool Network::blocked(const Message& m) const {
  if (cuts_.count({m.from, m.to}) != 0) return true;
  if (isolated_.count(m.from) != 0 || isolated_.count(m.to) != 0) return true;
  if (dropped_types_.count(m.type) != 0) return true;
  return drop_pred_ && drop_pred_(m);
}

void Network::enqueue(const Message& m) {
  if (blocked(m)) return;
  if (hold_pred_ && hold_pred_(m)) {
    held_.push_back(m);
    return;
  }
  queue_.push_back(m);
}

void Network::release_held() {
  hold_pred_ = nullptr;
  std::vector<Message> held;
  held.swap(held_);
  for (const Message& m : held) enqueue(m);
}

void Network::cut(NodeId a, NodeId b) {
  cuts_.insert({a, b});
  cuts_.insert({b, a});
}

void Network::cut_one_way(NodeId from, NodeId to) { cuts_.insert({from, to}); }

void Network::isolate(NodeId id) { isolated_.insert(id); }

void Network::recover() {
  cuts_.clear();
  isolated_.clear();
  dropped_types_.clear();
  drop_pred_ = nullptr;
  hold_pred_ = nullptr;
}

void Network::crash(NodeId id) {
  Member& mb = member(id);
  mb.node.reset();
  take(to_node(id));
}

void Network::restart(NodeId id, std::optional<Config> config) {
  Member& mb = member(id);
  mb.node.reset();
  take(to_node(id));
  if (config) mb.config = *config;
  mb.config.id = id;
  mb.config.applied = 0;  // the state machine is volatile: rebuilt from the snapshot and the log
  mb.reads.clear();
  restore_state_machine(mb, mb.storage->snapshot());
  mb.node = std::make_unique<Node>(mb.config, *mb.storage);
}

void Network::tick(NodeId id, int n) {
  for (int i = 0; i < n; ++i) node(id).tick();
}

void Network::tick_all(int n) {
  for (int i = 0; i < n; ++i) {
    for (auto& [id, mb] : members_) {
      if (mb.node) mb.node->tick();
    }
    stabilize();
  }
}

bool Network::elect(NodeId id) {
  node(id).campaign();
  stabilize();
  return node(id).is_leader();
}

ProposeResult Network::propose(NodeId id, const std::string& data) { return node(id).propose(data); }

void Network::compact(NodeId id, Index index) {
  Member& mb = member(id);
  if (index > mb.applied) throw std::logic_error("compact beyond the applied index");
  Snapshot s;
  s.metadata.index = index;
  s.metadata.term = mb.storage->term(index);
  s.metadata.conf_state = node(id).conf_state_at(index);
  s.data = encode_image(mb.sm, index);
  mb.storage->compact(s);
}

NodeId Network::leader() const {
  NodeId best = kNone;
  Term best_term = 0;
  for (const auto& [id, mb] : members_) {
    if (mb.node && mb.node->is_leader() && (best == kNone || mb.node->term() > best_term)) {
      best = id;
      best_term = mb.node->term();
    }
  }
  return best;
}

std::vector<Entry> Network::log(NodeId id) {
  process(id);
  MemoryStorage& s = storage(id);
  if (s.last_index() < s.first_index()) return {};
  return s.entries(s.first_index(), s.last_index() + 1, ~std::uint64_t{0});
}

std::vector<Term> Network::log_terms(NodeId id) {
  std::vector<Term> out;
  for (const Entry& e : log(id)) out.push_back(e.term);
  return out;
}

Index Network::commit(NodeId id) { return node(id).status().hard_state.commit; }

Index Network::last_index(NodeId id) { return node(id).status().last_index; }

const std::vector<std::string>& Network::applied(NodeId id) const { return member(id).sm_data; }

Index Network::applied_index(NodeId id) const { return member(id).applied; }

const std::vector<ReadState>& Network::read_states(NodeId id) const { return member(id).reads; }

void Network::clear_read_states(NodeId id) { member(id).reads.clear(); }

PeerStatus Network::peer(NodeId leader, NodeId peer) {
  for (const PeerStatus& p : node(leader).status().peers) {
    if (p.id == peer) return p;
  }
  throw std::logic_error("leader " + std::to_string(leader) + " has no progress for " + std::to_string(peer));
}

}  // namespace ha::raft::conformance
