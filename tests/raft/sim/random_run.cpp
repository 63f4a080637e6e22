#include "tests/raft/sim/random_run.hpp"

#include <algorithm>
#include <exception>
#include <string>
#include <vector>

#include "raft/conf_change.hpp"
#include "tests/raft/sim/cluster.hpp"
#include "tests/raft/sim/linearizability.hpp"

namespace ha::raft::sim {

namespace {

constexpr int kMaxServers = 7;
const std::vector<std::string> kKeys = {"a", "b", "c"};

struct Nemesis {
  double partition = 0.01;  // per step, while healed
  double heal = 0.02;       // per step, while partitioned
  double crash = 0.004;
  double restart = 0.03;    // per down node and step
  double transfer = 0.003;
  double membership = 0.004;
  double forget_leader = 0.05;  // per step while partitioned
};

struct Client {
  std::uint64_t op = 0;
  std::uint64_t since = 0;
};

class RandomRun {
 public:
  explicit RandomRun(const RandomRunOptions& o) : o_(o), cluster_(choose(o)) {}

  RandomRunResult run() {
    try {
      for (std::uint64_t i = 0; i < o_.steps && cluster_.ok(); ++i) {
        nemesis();
        clients();
        cluster_.step();
      }
      if (cluster_.ok() && o_.liveness) converge();
      if (cluster_.ok()) cluster_.check_history();
    } catch (const std::exception& e) {
      cluster_.fail(std::string("exception: ") + e.what());
    }
    r_.ok = cluster_.ok();
    r_.failure = cluster_.failure();
    r_.setup = setup_;
    r_.steps = cluster_.now();
    r_.committed = cluster_.checker().committed_index();
    r_.terms = cluster_.checker().leaders().size();
    r_.operations = cluster_.history().ops().size();
    return r_;
  }

 private:
  ClusterOptions choose(const RandomRunOptions& o) {
    // The setup has its own generator (derived from the seed) so the cluster's stays independent.
    Rng setup(o.seed * 0x9e3779b97f4a7c15ULL + 17);
    ClusterOptions c;
    c.seed = o.seed;
    c.trace = o.trace;
    c.voters = o.nodes > 0 ? o.nodes : std::vector<int>{3, 5, 7}[setup.below(3)];
    c.config.heartbeat_tick = setup.chance(0.7) ? 1 : 2;
    c.config.election_tick = std::vector<int>{10, 10, 15, 20}[setup.below(4)];
    c.config.pre_vote = setup.chance(0.8);
    c.config.check_quorum = setup.chance(0.8);
    c.config.max_size_per_msg = std::vector<std::uint64_t>{1 << 20, 256, 1}[setup.below(3)];
    c.config.max_inflight_msgs = std::vector<std::size_t>{256, 4, 1}[setup.below(3)];
    c.config.faults = o.faults;
    c.compact_every = std::vector<Index>{0, 5, 20, 100}[setup.below(4)];
    c.tick_probability = std::vector<double>{1.0, 0.95, 0.8}[setup.below(3)];
    if (o.lease_reads) {
      c.config.read_only = ReadOnlyOption::kLeaseBased;
      c.config.check_quorum = true;
      c.tick_probability = 1.0;
      n_.crash = n_.transfer = n_.forget_leader = 0;
    }
    c.forget_vote_on_restart = o.forget_vote_on_restart;
    c.joiners_know_bootstrap = o.joiners_know_bootstrap;
    LinkFaults f;
    f.drop = std::vector<double>{0, 0.01, 0.05, 0.15}[setup.below(4)];
    f.duplicate = std::vector<double>{0, 0.02, 0.1}[setup.below(3)];
    f.reorder = std::vector<double>{0, 0.05, 0.2}[setup.below(3)];
    f.min_delay = 1;
    f.max_delay = std::vector<int>{1, 2, 3, 6}[setup.below(4)];
    links_ = f;
    double intensity = std::vector<double>{0.5, 1.0, 2.0}[setup.below(3)];
    n_.partition *= intensity;
    n_.crash *= intensity;
    n_.transfer *= intensity;
    n_.membership *= intensity;
    clients_.resize(static_cast<std::size_t>(setup.range(1, 4)));
    op_rate_ = std::vector<double>{0.1, 0.3, 0.6}[setup.below(3)];
    // Drawn last, so that adding them left the earlier choices of every seed as they were.
    c.config.max_committed_size_per_ready = std::vector<std::uint64_t>{16 << 20, 16 << 20, 100}[setup.below(3)];
    c.config.max_uncommitted_entries_size = std::vector<std::uint64_t>{0, 0, 2000}[setup.below(3)];
    c.async_leader_writes = setup.chance(0.5) || o.faults.count_own_entries_unpersisted;
    setup_ = std::to_string(c.voters) + " nodes, election/heartbeat ticks " + std::to_string(c.config.election_tick) +
             "/" + std::to_string(c.config.heartbeat_tick) + ", pre_vote=" + (c.config.pre_vote ? "on" : "off") +
             " check_quorum=" + (c.config.check_quorum ? "on" : "off") +
             " max_size_per_msg=" + std::to_string(c.config.max_size_per_msg) +
             " max_inflight=" + std::to_string(c.config.max_inflight_msgs) +
             " compact_every=" + std::to_string(c.compact_every) + " tick_p=" + std::to_string(c.tick_probability) +
             " drop=" + std::to_string(f.drop) + " dup=" + std::to_string(f.duplicate) +
             " reorder=" + std::to_string(f.reorder) + " delay<=" + std::to_string(f.max_delay) +
             " max_committed_per_ready=" + std::to_string(c.config.max_committed_size_per_ready) +
             " max_uncommitted=" + std::to_string(c.config.max_uncommitted_entries_size) +
             (c.async_leader_writes ? " async_leader_writes" : "") +
             " nemesis x" + std::to_string(intensity) + " clients=" + std::to_string(clients_.size()) +
             (o.lease_reads ? " lease reads" : "");
    next_id_ = static_cast<NodeId>(c.voters) + 1;
    return c;
  }

  Cluster& c() { return cluster_; }

  std::vector<NodeId> up_members() {
    std::vector<NodeId> out;
    for (NodeId id : c().members())
      if (c().node(id).up()) out.push_back(id);
    return out;
  }

  void nemesis() {
    if (c().now() == 0) c().net().set_default_faults(links_);
    Rng& rng = c().rng();
    std::vector<NodeId> all = c().members();
    if (!c().net().partitioned() && rng.chance(n_.partition)) partition(all);
    else if (c().net().partitioned() && rng.chance(n_.heal)) c().heal();

    if (rng.chance(n_.crash)) {
      std::vector<NodeId> up = up_members();
      if (!up.empty()) {
        NodeId victim = rng.chance(0.3) && c().leader() != kNone ? c().leader() : rng.pick(up);
        c().crash(victim);
        ++r_.crashes;
      }
    }
    for (NodeId id : all)
      if (!c().node(id).up() && rng.chance(n_.restart)) c().restart(id);
    // A driver that sees its leader's connection drop tells its core to forget the leader.
    if (c().net().partitioned() && rng.chance(n_.forget_leader)) {
      for (NodeId id : up_members()) {
        Node& core = c().node(id).core();
        if (core.role() == Role::kFollower && core.leader() != kNone && c().net().blocked(core.leader(), id)) {
          core.forget_leader();
          break;
        }
      }
    }

    NodeId lead = c().leader();
    if (lead == kNone) return;
    if (rng.chance(n_.transfer)) {
      std::vector<NodeId> voters = c().node(lead).core().status().conf_state.voters;
      voters.erase(std::remove(voters.begin(), voters.end(), lead), voters.end());
      if (!voters.empty() && c().node(lead).core().transfer_leader(rng.pick(voters)) == ProposeResult::kOk)
        ++r_.transfers;
    }
    if (rng.chance(n_.membership)) membership(lead);
  }

  void partition(const std::vector<NodeId>& all) {
    Rng& rng = c().rng();
    if (all.size() < 2) return;
    ++r_.partitions;
    NodeId lead = c().leader();
    NodeId someone = lead != kNone && rng.chance(0.5) ? lead : rng.pick(all);
    switch (rng.below(5)) {
      case 0:  // isolate one node (often the leader)
        c().isolate(someone);
        break;
      case 1: {  // a minority against a majority
        std::vector<NodeId> group = all;
        rng.shuffle(group);
        group.resize(1 + rng.below(std::max<std::size_t>(1, all.size() / 2)));
        c().split(group);
        break;
      }
      case 2:  // one node can send but not hear, or hear but not send
        for (NodeId other : all) {
          if (other == someone) continue;
          if (rng.chance(0.5)) c().net().cut(other, someone);
          else c().net().cut(someone, other);
        }
        break;
      case 3:  // random links cut both ways
        for (std::size_t i = 0; i < all.size(); ++i) {
          NodeId a = rng.pick(all);
          NodeId b = rng.pick(all);
          if (a != b) c().net().cut_both(a, b);
        }
        break;
      default: {  // one link cut one way
        NodeId a = rng.pick(all);
        NodeId b = rng.pick(all);
        if (a != b) c().net().cut(a, b);
        break;
      }
    }
  }

  void membership(NodeId lead) {
    Rng& rng = c().rng();
    ConfState cs = c().node(lead).core().status().conf_state;
    std::vector<int> choices;
    if (c().members().size() < kMaxServers) choices.push_back(0);  // add a learner
    if (!cs.learners.empty()) choices.insert(choices.end(), {1, 1});  // promote
    if (cs.voters.size() > (o_.shrink_to_one ? 1U : 2U)) choices.push_back(2);  // remove a voter (maybe the leader)
    if (!cs.learners.empty()) choices.push_back(3);  // remove a learner
    if (choices.empty()) return;
    ProposeResult r = ProposeResult::kInvalid;
    switch (rng.pick(choices)) {
      case 0: {
        NodeId id = next_id_++;
        c().add_node(id);
        r = c().change(lead, ConfChangeType::kAddLearner, id);
        if (r != ProposeResult::kOk) c().retire(id);
        break;
      }
      case 1:
        r = c().change(lead, ConfChangeType::kAddVoter, rng.pick(cs.learners));
        break;
      case 2:
        r = c().change(lead, ConfChangeType::kRemoveNode, rng.pick(cs.voters));
        break;
      default:
        r = c().change(lead, ConfChangeType::kRemoveNode, rng.pick(cs.learners));
        break;
    }
    if (r == ProposeResult::kOk) ++r_.conf_changes;
  }

  void clients() {
    Rng& rng = c().rng();
    History& h = c().history();
    for (Client& cl : clients_) {
      if (cl.op != 0) {
        if (!h.waiting(cl.op)) {
          cl.op = 0;
        } else if (c().now() - cl.since > kTimeout) {
          h.abandon(cl.op);
          cl.op = 0;
        }
      }
      if (cl.op != 0 || !rng.chance(op_rate_)) continue;
      std::vector<NodeId> up = up_members();
      if (up.empty()) continue;
      NodeId lead = c().leader();
      NodeId at = lead != kNone && rng.chance(0.6) ? lead : rng.pick(up);
      const std::string& key = rng.pick(kKeys);
      cl.op = rng.chance(0.5) ? c().put(at, key) : c().get(at, key);
      cl.since = c().now();
    }
  }

  // The faults stop; within a bounded time a leader must commit a put, answer a get, and every
  // member of its configuration must apply what it committed.
  void converge() {
    c().heal();
    c().net().set_default_faults(LinkFaults{});
    c().net().clear_link_faults();
    for (NodeId id : c().members())
      if (!c().node(id).up()) c().restart(id);
    for (Client& cl : clients_)
      if (cl.op != 0) c().history().abandon(cl.op);
    const std::uint64_t limit = 3000;
    std::uint64_t start = c().now();
    std::uint64_t put = 0;
    std::uint64_t get = 0;
    NodeId put_at = kNone;
    NodeId get_at = kNone;
    std::uint64_t put_since = 0;
    std::uint64_t get_since = 0;
    History& h = c().history();
    auto answered = [&](std::uint64_t op) { return op != 0 && h.find(op)->answered(); };
    // A request is retried when refused, when its node is no longer the leader, or when it waited
    // too long (a leader that lost and regained leadership drops its pending reads).
    auto lost = [&](std::uint64_t op, NodeId at, std::uint64_t since, NodeId lead) {
      return op == 0 || (!answered(op) && (at != lead || !h.waiting(op) || c().now() - since > 200));
    };
    auto done = [&] { return answered(put) && answered(get); };
    while (c().ok() && c().now() - start < limit && !done()) {
      NodeId lead = c().leader();
      if (lead != kNone && !answered(put) && lost(put, put_at, put_since, lead)) {
        if (put != 0) h.abandon(put);
        put_at = lead;
        put_since = c().now();
        put = c().put(lead, "final");
      } else if (lead != kNone && answered(put) && lost(get, get_at, get_since, lead)) {
        if (get != 0) h.abandon(get);
        get_at = lead;
        get_since = c().now();
        get = c().get(lead, "final");
      }
      c().step();
    }
    if (!c().ok()) return;
    if (!done()) {
      c().fail("liveness: no leader committed a put and answered a get within " + std::to_string(limit) +
               " fault-free steps; nodes:" + c().describe_nodes());
      return;
    }
    NodeId lead = c().leader();
    if (lead == kNone) return;
    Index target = c().node(lead).sm().applied();
    ConfState cs = c().node(lead).core().status().conf_state;
    std::vector<NodeId> everyone = cs.voters;
    everyone.insert(everyone.end(), cs.learners.begin(), cs.learners.end());
    auto caught_up = [&] {
      for (NodeId id : everyone)
        if (c().has(id) && c().node(id).up() && c().node(id).sm().applied() < target) return false;
      return true;
    };
    if (!c().run_until(caught_up, limit) && c().ok()) {
      std::string lag;
      for (NodeId id : everyone)
        if (c().has(id) && c().node(id).up())
          lag += " n" + std::to_string(id) + "=" + std::to_string(c().node(id).sm().applied());
      c().fail("liveness: members did not catch up to index " + std::to_string(target) + " within " +
               std::to_string(limit) + " fault-free steps; applied:" + lag + "; nodes:" + c().describe_nodes());
    }
  }

  static constexpr std::uint64_t kTimeout = 60;

  RandomRunOptions o_;
  Nemesis n_;
  LinkFaults links_;
  std::vector<Client> clients_;
  double op_rate_ = 0.3;
  NodeId next_id_ = 0;
  std::string setup_;
  RandomRunResult r_;
  Cluster cluster_;
};

}  // namespace

RandomRunResult run_random(const RandomRunOptions& options) { return RandomRun(options).run(); }

}  // namespace ha::raft::sim
