// Network: the simulated links between cores. Messages wait in flight for a delay counted in
// simulation steps; each link may drop, duplicate and reorder (by random extra delay), and
// partitions cut links one way or both ways. Time is the caller's step counter; every random
// choice comes from the caller's Rng. It does not know about nodes being up or down.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "raft/types.hpp"
#include "tests/raft/sim/rng.hpp"

namespace ha::raft::sim {

struct LinkFaults {
  double drop = 0;       // probability a message is lost
  double duplicate = 0;  // probability a message is delivered twice
  double reorder = 0;    // probability a message gets up to 2*max_delay extra steps of delay
  int min_delay = 1;     // steps from send to delivery (>= 1)
  int max_delay = 1;
};

struct Delivery {
  Message msg;
  std::uint64_t sender_epoch = 0;  // the sender's incarnation when it sent (see Cluster)
  bool dropped = false;            // lost in transit (link cut or random loss)
};

class Network {
 public:
  explicit Network(Rng& rng) : rng_(rng) {}

  void set_default_faults(const LinkFaults& f) { default_ = f; }
  const LinkFaults& default_faults() const { return default_; }
  void set_link_faults(NodeId from, NodeId to, const LinkFaults& f) { links_[{from, to}] = f; }
  void clear_link_faults() { links_.clear(); }

  // Partitions. cut() is one way: `from` can no longer reach `to`.
  void cut(NodeId from, NodeId to) { blocked_.insert({from, to}); }
  void cut_both(NodeId a, NodeId b) {
    cut(a, b);
    cut(b, a);
  }
  void isolate(NodeId id, const std::vector<NodeId>& all);
  // Every node of `group` can talk only to the others of `group` (both ways).
  void split(const std::vector<NodeId>& group, const std::vector<NodeId>& all);
  void heal() { blocked_.clear(); }
  bool blocked(NodeId from, NodeId to) const { return blocked_.count({from, to}) != 0; }
  bool partitioned() const { return !blocked_.empty(); }

  // Scenario hook: return false to drop a message at delivery time.
  std::function<bool(const Message&)> filter;

  void send(Message m, std::uint64_t sender_epoch, std::uint64_t now);
  // Messages due at `now`, in delivery order; lost ones come back with dropped = true.
  std::vector<Delivery> take_due(std::uint64_t now);
  // Every message in flight, ignoring delays (for scenarios that stabilise by hand).
  std::vector<Delivery> take_all();
  std::size_t in_flight() const { return queue_.size(); }
  void clear() { queue_.clear(); }

  std::uint64_t sent() const { return sent_; }
  std::uint64_t lost() const { return lost_; }

 private:
  struct InFlight {
    std::uint64_t due = 0;
    std::uint64_t seq = 0;
    std::uint64_t epoch = 0;
    bool lost = false;  // decided at send time (random loss)
    Message msg;
  };
  struct Later {
    bool operator()(const InFlight& a, const InFlight& b) const {
      return a.due != b.due ? a.due > b.due : a.seq > b.seq;
    }
  };
  const LinkFaults& faults(NodeId from, NodeId to) const;
  void enqueue(const Message& m, std::uint64_t epoch, std::uint64_t now, const LinkFaults& f, bool lost);
  Delivery finish(InFlight&& f);

  Rng& rng_;
  LinkFaults default_;
  std::map<std::pair<NodeId, NodeId>, LinkFaults> links_;
  std::set<std::pair<NodeId, NodeId>> blocked_;
  std::vector<InFlight> queue_;  // a min-heap by (due, seq)
  std::uint64_t seq_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t lost_ = 0;
};

}  // namespace ha::raft::sim
