#include "tests/raft/sim/cluster.hpp"

#include <charconv>
#include <exception>

#include "raft/conf_change.hpp"
#include "tests/raft/sim/describe.hpp"
#include "tests/raft/sim/kv_command.hpp"
#include "tests/raft/sim/linearizability.hpp"

namespace ha::raft::sim {

Cluster::Cluster(const ClusterOptions& options) : options_(options), rng_(options.seed), net_(rng_) {
  for (int i = 1; i <= options_.voters; ++i) bootstrap_.voters.push_back(static_cast<NodeId>(i));
  for (NodeId id : bootstrap_.voters) {
    auto n = std::make_unique<SimNode>(id, bootstrap_);
    n->start(config_for(id));
    checker_.on_durable(id, n->storage().durable_hard_state());
    nodes_.emplace(id, std::move(n));
  }
}

Cluster::~Cluster() = default;

Config Cluster::config_for(NodeId id) {
  Config c = options_.config;
  c.id = id;
  c.seed = rng_.next();
  c.async_storage_writes = options_.async_leader_writes;
  return c;
}

SimNode* Cluster::find(NodeId id) {
  auto it = nodes_.find(id);
  return it == nodes_.end() ? nullptr : it->second.get();
}

SimNode& Cluster::node(NodeId id) { return *nodes_.at(id); }
const SimNode& Cluster::node(NodeId id) const { return *nodes_.at(id); }

std::vector<NodeId> Cluster::members() const {
  std::vector<NodeId> out;
  for (const auto& [id, n] : nodes_)
    if (!n->removed) out.push_back(id);
  return out;
}

std::vector<NodeId> Cluster::up_nodes() const {
  std::vector<NodeId> out;
  for (const auto& [id, n] : nodes_)
    if (n->up()) out.push_back(id);
  return out;
}

NodeId Cluster::leader() const {
  NodeId best = kNone;
  Term best_term = 0;
  for (const auto& [id, n] : nodes_) {
    if (n->up() && n->core().role() == Role::kLeader && n->core().term() >= best_term) {
      best = id;
      best_term = n->core().term();
    }
  }
  return best;
}

std::string Cluster::describe_nodes() const {
  std::string s;
  for (const auto& [id, n] : nodes_) {
    s += "\n    n" + std::to_string(id) + ": ";
    if (n->removed) {
      s += "removed";
      continue;
    }
    const MemoryStorage& log = n->storage().live();
    std::string where = "log " + std::to_string(log.first_index()) + ".." + std::to_string(log.last_index()) +
                        " (last term " + std::to_string(log.term(log.last_index())) + ")";
    if (!n->up()) {
      s += "down, " + where;
      continue;
    }
    Status st = n->core().status();
    s += std::string(to_string(st.soft_state.role)) + " term " + std::to_string(st.hard_state.term) + " vote " +
         std::to_string(st.hard_state.vote) + " lead " + std::to_string(st.soft_state.leader) + ", " + where +
         ", commit " + std::to_string(st.hard_state.commit) + ", applied " + std::to_string(n->sm().applied()) +
         ", config " + describe(st.conf_state);
  }
  return s;
}

// ---------------------------------------------------------------- time

bool Cluster::step() {
  if (!ok()) return false;
  ++now_;
  checker_.set_step(now_);
  try {
    for (auto& [id, n] : nodes_)
      if (n->up() && rng_.chance(options_.tick_probability)) n->core().tick();
    for (Delivery& d : net_.take_due(now_)) deliver(std::move(d));
    write_due_staged();
    std::vector<NodeId> order = up_nodes();
    rng_.shuffle(order);
    for (NodeId id : order) {
      SimNode* n = find(id);
      if (n != nullptr && n->up() && n->core().has_ready()) handle_ready(*n);
    }
    shutdown_removed();
    check_all();
  } catch (const std::exception& e) {
    fail(std::string("exception: ") + e.what());
  }
  return ok();
}

bool Cluster::run(std::uint64_t steps) {
  for (std::uint64_t i = 0; i < steps && ok(); ++i) step();
  return ok();
}

bool Cluster::run_until(const std::function<bool()>& done, std::uint64_t max_steps) {
  for (std::uint64_t i = 0; i < max_steps; ++i) {
    if (!ok()) return false;
    if (done()) return true;
    step();
  }
  return ok() && done();
}

// ---------------------------------------------------------------- manual mode

void Cluster::tick(NodeId id, int times) {
  for (int i = 0; i < times; ++i) node(id).core().tick();
}

void Cluster::campaign(NodeId id) { node(id).core().campaign(); }

void Cluster::process_ready(NodeId id) {
  SimNode& n = node(id);
  for (int guard = 0; guard < 1000 && n.up() && n.core().has_ready(); ++guard) handle_ready(n);
  while (n.up() && !n.staged.empty()) write_staged(n);
  for (int guard = 0; guard < 1000 && n.up() && n.core().has_ready(); ++guard) handle_ready(n);
}

void Cluster::stabilize(int max_rounds) {
  try {
    for (int round = 0; round < max_rounds && ok(); ++round) {
      ++now_;
      checker_.set_step(now_);
      bool moved = false;
      for (NodeId id : up_nodes()) {
        SimNode& n = node(id);
        for (int guard = 0; guard < 1000 && n.up() && n.core().has_ready(); ++guard) {
          handle_ready(n);
          moved = true;
        }
        while (n.up() && !n.staged.empty()) {
          write_staged(n);
          moved = true;
        }
      }
      std::vector<Delivery> ds = net_.take_all();
      moved = moved || !ds.empty();
      for (Delivery& d : ds) deliver(std::move(d));
      shutdown_removed();
      check_all();
      if (!moved) break;
    }
  } catch (const std::exception& e) {
    fail(std::string("exception: ") + e.what());
  }
}

// ---------------------------------------------------------------- Ready handling

void Cluster::write_staged(SimNode& n) {
  SimNode::StagedWrite w = n.staged.front();
  n.staged.erase(n.staged.begin());
  n.storage().write_staged();
  checker_.on_durable(n.id(), n.storage().durable_hard_state());
  trace([&] { return "n" + std::to_string(n.id()) + " wrote its staged save up to " + std::to_string(w.index); });
  if (w.index != 0) n.core().persisted(w.index, w.term);
}

void Cluster::write_due_staged() {
  for (NodeId id : up_nodes()) {
    SimNode& n = node(id);
    while (n.up() && !n.staged.empty() && n.staged.front().due <= now_) write_staged(n);
  }
}

void Cluster::handle_ready(SimNode& n) {
  NodeId id = n.id();
  // Only a leader saves in the background; anyone else first waits for those writes (a leader
  // never receives a snapshot: it steps down first).
  bool staging = options_.async_leader_writes && n.core().is_leader();
  if (!staging) {
    while (!n.staged.empty()) write_staged(n);
    if (!n.core().has_ready()) return;
  }
  Ready rd = n.core().ready();
  // A new term or vote is durable before anything is sent in it (a sole voter wins its election
  // in the Ready that carries its vote), so that a restart cannot lead the same term twice.
  const HardState before = n.storage().live_hard_state();
  if (staging && rd.hard_state && (rd.hard_state->term != before.term || rd.hard_state->vote != before.vote)) {
    staging = false;
    while (!n.staged.empty()) write_staged(n);
  }
  checker_.on_ready(id, rd, n.storage().live_hard_state());
  trace([&] {
    std::string s = "n" + std::to_string(id) + " ready:";
    if (rd.soft_state)
      s += std::string(" role=") + to_string(rd.soft_state->role) + " lead=" + std::to_string(rd.soft_state->leader);
    if (rd.hard_state) s += " hs=" + describe(*rd.hard_state);
    if (rd.snapshot) s += " snapshot=" + std::to_string(rd.snapshot->metadata.index);
    if (!rd.entries.empty())
      s += " entries=" + describe(rd.entries.front()) + (rd.entries.size() > 1 ? ".." + describe(rd.entries.back()) : "");
    if (!rd.committed_entries.empty())
      s += " apply=" + std::to_string(rd.committed_entries.front().index) + ".." +
           std::to_string(rd.committed_entries.back().index);
    if (rd.must_sync) s += " sync";
    for (const Message& m : rd.messages) s += "\n      send " + describe(m);
    return s;
  });

  // 1. Persist (or stage).
  if (staging) {
    if (rd.hard_state || !rd.entries.empty()) {
      n.storage().stage(rd.hard_state ? &*rd.hard_state : nullptr, rd.entries, rd.must_sync);
      SimNode::StagedWrite w;
      if (!rd.entries.empty()) {
        w.index = rd.entries.back().index;
        w.term = rd.entries.back().term;
      }
      w.due = now_ + rng_.below(4);
      n.staged.push_back(w);
    }
    checker_.on_saved(id, rd, n.storage().live());
  } else {
    n.storage().save(rd.hard_state ? &*rd.hard_state : nullptr, rd.entries, rd.snapshot ? &*rd.snapshot : nullptr,
                     rd.must_sync);
    checker_.on_saved(id, rd, n.storage().live());
    if (rd.must_sync) checker_.on_durable(id, n.storage().durable_hard_state());
  }
  if (rd.snapshot) {
    if (!n.sm().restore(rd.snapshot->data) || n.sm().applied() != rd.snapshot->metadata.index) {
      fail("n" + std::to_string(id) + " received a malformed snapshot image at index " +
           std::to_string(rd.snapshot->metadata.index));
      return;
    }
    n.conf() = rd.snapshot->metadata.conf_state;
    checker_.on_restore(id, rd.snapshot->metadata, n.sm().chain(), n.core().term());
  }
  // 2. Send.
  for (Message& m : rd.messages) {
    checker_.on_send(m, n.storage().durable());
    net_.send(std::move(m), n.epoch(), now_);
  }
  // 3. Apply.
  for (const Entry& e : rd.committed_entries) apply(n, e);
  // 4. Reads.
  for (const ReadState& rs : rd.read_states) n.reads.push_back(rs);
  serve_reads(n);
  // 5. Advance; then maybe compact.
  n.core().advance(rd);
  // Saved synchronously: with asynchronous writes on, the core still waits for the report (a sole
  // voter's first entry as leader is saved so, with its vote).
  if (!staging && options_.async_leader_writes && !rd.entries.empty())
    n.core().persisted(rd.entries.back().index, rd.entries.back().term);
  maybe_compact(n);
}

void Cluster::apply(SimNode& n, const Entry& e) {
  Index before = n.sm().applied();
  auto put = n.sm().apply(e);
  checker_.on_apply(n.id(), e, before, n.sm().chain(), n.core().term());
  if (put) {
    history_.mark_applied(*put);
    const Operation* op = history_.find(*put);
    if (op != nullptr && op->node == n.id() && history_.waiting(*put)) history_.complete(*put, *put, now_);
  }
  if (e.type == EntryType::kConfChange) {
    auto cc = decode_conf_change(e.data);
    if (!cc) {
      fail("n" + std::to_string(n.id()) + " applied a malformed conf change at index " + std::to_string(e.index));
      return;
    }
    apply_conf_change(n.conf(), *cc);
    trace([&] { return "n" + std::to_string(n.id()) + " applied " + describe(e) + " conf=" + describe(n.conf()); });
    if (cc->type == ConfChangeType::kRemoveNode && options_.shutdown_removed) to_remove_.insert(cc->node);
  }
}

void Cluster::serve_reads(SimNode& n) {
  std::vector<ReadState> keep;
  for (const ReadState& rs : n.reads) {
    if (n.sm().applied() < rs.index) {
      keep.push_back(rs);
      continue;
    }
    std::uint64_t id = 0;
    std::from_chars(rs.context.data(), rs.context.data() + rs.context.size(), id);
    const Operation* op = history_.find(id);
    if (op != nullptr && op->node == n.id() && history_.waiting(id)) {
      history_.complete(id, n.sm().get(op->key), now_);
      trace([&] { return "read " + describe(*history_.find(id)) + " at index " + std::to_string(rs.index); });
    }
  }
  n.reads = std::move(keep);
}

void Cluster::maybe_compact(SimNode& n) {
  if (options_.compact_every == 0) return;
  const MemoryStorage& live = n.storage().live();
  Index applied = n.sm().applied();
  Index snap = live.first_index() - 1;
  if (applied < snap + options_.compact_every) return;
  // A snapshot must not cover an entry only staged (DurableStorage::commit_snapshot).
  if (auto staged = n.storage().first_staged_index(); staged && applied >= *staged) return;
  if (applied > live.last_index()) {
    fail("n" + std::to_string(n.id()) + " applied index " + std::to_string(applied) + " beyond its log (last " +
         std::to_string(live.last_index()) + ")");
    return;
  }
  Snapshot s;
  s.metadata.index = applied;
  s.metadata.term = live.term(applied);
  s.metadata.conf_state = n.conf();
  s.data = n.sm().snapshot();
  trace([&] { return "n" + std::to_string(n.id()) + " compacts to " + std::to_string(applied); });
  n.storage().compact(s);
}

void Cluster::deliver(Delivery d) {
  const Message& m = d.msg;
  SimNode* to = find(m.to);
  SimNode* from = find(m.from);
  bool sender_alive = from != nullptr && from->up() && from->epoch() == d.sender_epoch;
  bool reachable = to != nullptr && to->up() && !to->removed;
  if (d.dropped || !reachable) {
    trace([&] { return "drop " + describe(m); });
    if (sender_alive) {
      if (m.type == MessageType::kSnapshot) {
        from->core().report_snapshot(m.to, false);
      } else if (m.type == MessageType::kAppend && (!reachable || net_.blocked(m.from, m.to))) {
        from->core().report_unreachable(m.to);
      }
    }
    return;
  }
  trace([&] { return "deliver " + describe(m); });
  to->core().step(m);
  if (m.type == MessageType::kSnapshot && sender_alive) from->core().report_snapshot(m.to, true);
}

// ---------------------------------------------------------------- checks

void Cluster::check_all() {
  for (auto& [id, n] : nodes_) {
    if (!n->up() || n->core().role() != Role::kLeader) continue;
    checker_.on_leader(id, n->core().term());
    if (!n->core().has_ready()) checker_.check_leader_log(id, n->core().term(), n->storage().live());
  }
}

bool Cluster::check_history() {
  LinearizabilityResult r = check_linearizable(history_);
  if (!r.ok) fail("linearizability: " + r.failure);
  return r.ok;
}

// ---------------------------------------------------------------- faults

void Cluster::abandon_ops_at(NodeId id) {
  for (const auto& [op_id, op] : history_.ops())
    if (op.node == id && !op.answered()) history_.abandon(op_id);
}

void Cluster::crash(NodeId id) {
  SimNode& n = node(id);
  if (!n.up()) return;
  abandon_ops_at(id);
  n.stop();
  std::size_t unsynced = n.storage().unsynced();
  std::size_t keep = options_.lose_unsynced_on_crash ? rng_.below(unsynced + 1) : unsynced;
  n.storage().crash(keep, options_.forget_vote_on_restart);
  trace([&] { return "crash n" + std::to_string(id) + " (kept " + std::to_string(keep) + "/" + std::to_string(unsynced) + " unsynced saves)"; });
}

void Cluster::restart(NodeId id) {
  SimNode& n = node(id);
  if (n.up() || n.removed) return;
  if (!n.start(config_for(id))) fail("n" + std::to_string(id) + " restarted from a malformed snapshot image");
  HardState hs = n.storage().durable_hard_state();
  checker_.on_restart(id);
  checker_.on_durable(id, hs);
  Snapshot snap = n.storage().live().snapshot();
  if (!snap.empty()) checker_.on_restore(id, snap.metadata, n.sm().chain(), hs.term);
  trace([&] { return "restart n" + std::to_string(id) + " hs=" + describe(hs) + " snapshot=" + std::to_string(snap.metadata.index); });
}

void Cluster::retire(NodeId id) {
  SimNode* n = find(id);
  if (n == nullptr || n->removed) return;
  crash(id);
  n->removed = true;
  trace([&] { return "n" + std::to_string(id) + " left the cluster"; });
}

void Cluster::shutdown_removed() {
  std::set<NodeId> ids;
  ids.swap(to_remove_);
  for (NodeId id : ids) retire(id);
}

// ---------------------------------------------------------------- membership

void Cluster::add_node(NodeId id) {
  if (has(id)) return;
  auto n = std::make_unique<SimNode>(id, options_.joiners_know_bootstrap ? bootstrap_ : ConfState{});
  n->start(config_for(id));
  checker_.on_durable(id, n->storage().durable_hard_state());
  nodes_.emplace(id, std::move(n));
  trace([&] { return "new server n" + std::to_string(id); });
}

ProposeResult Cluster::change(NodeId at, ConfChangeType type, NodeId target) {
  SimNode& n = node(at);
  if (!n.up()) return ProposeResult::kNoLeader;
  ProposeResult r = n.core().propose_conf_change(ConfChange{type, target, {}});
  trace([&] {
    return "n" + std::to_string(at) + " conf change " + std::to_string(static_cast<int>(type)) + " " +
           std::to_string(target) + ": " + to_string(r);
  });
  return r;
}

// ---------------------------------------------------------------- clients

std::uint64_t Cluster::put(NodeId at, const std::string& key) {
  SimNode& n = node(at);
  if (!n.up()) return 0;
  std::uint64_t id = history_.invoke(OpKind::kPut, key, at, now_);
  ProposeResult r = n.core().propose(encode_put(KvPut{key, id}));
  trace([&] { return "client put " + key + "=" + std::to_string(id) + " at n" + std::to_string(at) + ": " + to_string(r); });
  if (r != ProposeResult::kOk) {
    history_.fail(id);
    return 0;
  }
  return id;
}

std::uint64_t Cluster::get(NodeId at, const std::string& key) {
  SimNode& n = node(at);
  if (!n.up()) return 0;
  std::uint64_t id = history_.invoke(OpKind::kGet, key, at, now_);
  ProposeResult r = n.core().read_index(std::to_string(id));
  trace([&] { return "client get " + key + " #" + std::to_string(id) + " at n" + std::to_string(at) + ": " + to_string(r); });
  if (r != ProposeResult::kOk) {
    history_.fail(id);
    return 0;
  }
  return id;
}

}  // namespace ha::raft::sim
