// Cluster: a deterministic simulated Raft cluster. Nodes (SimNode) talk over a simulated
// Network in logical time; one seeded Rng makes every choice, so a seed replays exactly. Each
// step ticks the nodes, delivers the messages that are due, handles every pending Ready (persist,
// send, apply, serve reads, advance) and runs the Checker. Scenarios may instead drive it by
// hand (tick, campaign, stabilize). Clients put and get through any node and are recorded in a
// History for the linearizability check. Not a random schedule: see random_run.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "raft/config.hpp"
#include "tests/raft/sim/checker.hpp"
#include "tests/raft/sim/history.hpp"
#include "tests/raft/sim/network.hpp"
#include "tests/raft/sim/rng.hpp"
#include "tests/raft/sim/sim_node.hpp"

namespace ha::raft::sim {

struct ClusterOptions {
  int voters = 3;                  // nodes 1..voters form the initial configuration
  std::uint64_t seed = 1;
  Config config;                   // for every node; id, seed and applied are set per node
  Index compact_every = 0;         // compact once this many entries were applied since; 0 = never
  double tick_probability = 1.0;   // per node and step; below 1 the clocks drift apart
  bool lose_unsynced_on_crash = true;   // a crash keeps a random prefix of the unsynced saves
  bool forget_vote_on_restart = false;  // a deliberate driver bug, for checker tests
  bool shutdown_removed = true;    // stop a node once its removal is applied anywhere
  // A leader stages its Ready's saves and sends and applies at once; each write completes 0-3
  // steps later (Config::async_storage_writes, as hadcs's driver does). Other Readies first wait
  // for every staged write.
  bool async_leader_writes = false;
  // A server added later starts from the cluster's bootstrap configuration (as etcd's
  // --initial-cluster does); false starts it with an empty one, learning everything from the leader.
  bool joiners_know_bootstrap = true;
  std::ostream* trace = nullptr;   // when set, every event is written here
};

class Cluster {
 public:
  explicit Cluster(const ClusterOptions& options);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // --- Timed mode. Each returns false once a violation was found.
  bool step();
  bool run(std::uint64_t steps);
  // Steps until `done` holds (true) or `max_steps` ran out or a violation (false).
  bool run_until(const std::function<bool()>& done, std::uint64_t max_steps);
  std::uint64_t now() const { return now_; }

  // --- Manual mode (etcd-style scenario tests): nothing happens unless asked.
  void tick(NodeId id, int times = 1);
  void campaign(NodeId id);
  // Handles Readys and delivers every message at once (ignoring delays, honouring partitions and
  // the network filter) until nothing moves. Checks after each round.
  void stabilize(int max_rounds = 10000);
  // Handles every pending Ready of one node.
  void process_ready(NodeId id);

  // --- Inspection.
  bool has(NodeId id) const { return nodes_.count(id) != 0; }
  SimNode& node(NodeId id);
  const SimNode& node(NodeId id) const;
  std::vector<NodeId> members() const;   // every node not removed, up or down
  std::vector<NodeId> up_nodes() const;
  NodeId leader() const;  // the up leader of the highest term, or kNone
  // One line per node: role, term, log, commit, applied, configuration (for failure reports).
  std::string describe_nodes() const;
  Network& net() { return net_; }
  Rng& rng() { return rng_; }
  Checker& checker() { return checker_; }
  History& history() { return history_; }
  const ClusterOptions& options() const { return options_; }

  // --- Faults.
  void crash(NodeId id);
  void restart(NodeId id);
  void isolate(NodeId id) { net_.isolate(id, members()); }
  void split(const std::vector<NodeId>& group) { net_.split(group, members()); }
  void heal() { net_.heal(); }
  // Stops a node for good (it left the cluster, or never joined).
  void retire(NodeId id);

  // --- Membership. add_node creates a server with an empty log that will join once a leader
  // replicates to it (see ClusterOptions::joiners_know_bootstrap); change() proposes at `at`.
  void add_node(NodeId id);
  ProposeResult change(NodeId at, ConfChangeType type, NodeId target);

  // --- Clients. Return the operation id, 0 when the node refused at once.
  std::uint64_t put(NodeId at, const std::string& key);
  std::uint64_t get(NodeId at, const std::string& key);

  // --- Verdict.
  bool ok() const { return !checker_.failed(); }
  const std::string& failure() const { return checker_.failure(); }
  // Runs the linearizability check over the history so far; false (and a failure) if it fails.
  bool check_history();
  void fail(const std::string& what) { checker_.fail(what); }

 private:
  void handle_ready(SimNode& n);
  // Completes the oldest staged write of `n` (DurableStorage::write_staged, then persisted()).
  void write_staged(SimNode& n);
  void write_due_staged();
  void apply(SimNode& n, const Entry& e);
  void serve_reads(SimNode& n);
  void deliver(Delivery d);
  void check_all();
  void maybe_compact(SimNode& n);
  void shutdown_removed();
  void abandon_ops_at(NodeId id);
  Config config_for(NodeId id);
  SimNode* find(NodeId id);
  template <class F>
  void trace(F&& text) {
    if (options_.trace != nullptr) *options_.trace << "[" << now_ << "] " << text() << "\n";
  }

  ClusterOptions options_;
  Rng rng_;
  Network net_;
  Checker checker_;
  History history_;
  ConfState bootstrap_;
  std::map<NodeId, std::unique_ptr<SimNode>> nodes_;
  std::set<NodeId> to_remove_;
  std::uint64_t now_ = 0;
};

}  // namespace ha::raft::sim
