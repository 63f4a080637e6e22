// Conformance harness: a deterministic in-process network of Raft cores over MemoryStorage for
// the named conformance scenarios (tests/raft/conformance_*.cpp). Messages move only when a
// scenario says so; links can be cut, message types dropped or held back, nodes crashed and
// restarted. It is not the randomized simulator (tests/raft/sim/) and checks nothing by itself.
//
// Rule tags of the scenarios (Catch2 v2 tags must start alphanumeric, so no "§"): [5.2] is a
// section of the Raft paper (Ongaro & Ousterhout, extended version); [diss-9.6] is a section of
// Ongaro's dissertation. The text after the tags states the rule.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "raft/conf_change.hpp"
#include "raft/config.hpp"
#include "raft/memory_storage.hpp"
#include "raft/node.hpp"
#include "raft/ready.hpp"
#include "raft/types.hpp"

namespace ha::raft::conformance {

// Tunables shared by every node of a network.
struct Options {
  int election_tick = 10;
  int heartbeat_tick = 1;
  bool pre_vote = true;
  bool check_quorum = true;
  ReadOnlyOption read_only = ReadOnlyOption::kSafe;
  std::uint64_t max_size_per_msg = 1 << 20;
  std::size_t max_inflight_msgs = 256;
  std::uint64_t max_uncommitted_entries_size = 0;
  std::uint64_t seed = 1;
  FaultSwitches faults;

  // The paper's algorithm alone: no PreVote, no CheckQuorum (and so no leader lease).
  static Options paper() {
    Options o;
    o.pre_vote = false;
    o.check_quorum = false;
    return o;
  }
};

using MessagePredicate = std::function<bool(const Message&)>;

// A storage holding a prepared log: entry i (1-based) has term terms[i-1]; `hs` is stored too.
std::unique_ptr<MemoryStorage> storage_with_log(const ConfState& cs, const std::vector<Term>& terms,
                                                HardState hs = {});
// Entries with the given terms at consecutive indexes from `first`, data "e<index>".
std::vector<Entry> make_entries(Index first, const std::vector<Term>& terms);
Message make_append(NodeId from, NodeId to, Term term, Index prev_index, Term prev_term,
                    std::vector<Entry> entries, Index commit);
Message make_vote(MessageType type, NodeId from, NodeId to, Term term, Index last_index, Term last_term);
ConfChange conf_change(ConfChangeType type, NodeId node);
// The harness state machine's snapshot image: the applied (index, data) pairs.
std::string state_machine_image(const std::vector<std::pair<Index, std::string>>& applied);

class Network {
 public:
  // A new cluster: every id in voters and learners starts with that configuration.
  explicit Network(const std::vector<NodeId>& voters, Options options = {},
                   const std::vector<NodeId>& learners = {});
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  const Options& options() const { return options_; }
  Config config_for(NodeId id) const;

  // (Re)creates node `id` over `storage`, with `config` or the network's options.
  void install(NodeId id, std::unique_ptr<MemoryStorage> storage, std::optional<Config> config = {});
  // A node joining later: an empty log over the network's bootstrap configuration (as etcd's
  // --initial-cluster, and the simulator, start joiners); it learns the rest from the leader.
  void add_joining_node(NodeId id);
  const ConfState& bootstrap() const { return bootstrap_; }

  Node& node(NodeId id);
  MemoryStorage& storage(NodeId id);
  bool running(NodeId id) const;
  std::vector<NodeId> ids() const;

  // --- Ready handling ---
  // Handles one Ready the way a driver must: persist, send (through the filters), apply,
  // record read states, advance.
  void handle_ready(NodeId id, const Ready& rd);
  // Handles every pending Ready of `id` (or of every running node); returns whether any.
  bool process(NodeId id);
  bool process_all();
  // Delivers messages (processing Readies in between) until nothing is left to do.
  void stabilize();
  // Steps `m` into its destination now, bypassing the filters, then handles its Readies.
  void step(const Message& m);
  // Delivers the first queued message matching `pred` (any when empty); false if none.
  bool deliver_one(const MessagePredicate& pred = {});

  // --- the wire ---
  std::deque<Message>& queue() { return queue_; }
  // Removes and returns queued messages that match.
  std::vector<Message> take(const MessagePredicate& pred);
  // Puts a message on the wire (through the filters) as if its sender had sent it.
  void send(const Message& m);
  // Every message a node emitted, before filtering, in order.
  const std::vector<Message>& sent() const { return sent_; }
  std::size_t count_sent(const MessagePredicate& pred) const;
  void clear_sent() { sent_.clear(); }

  // --- faults ---
  void cut(NodeId a, NodeId b);             // both directions
  void cut_one_way(NodeId from, NodeId to);
  void isolate(NodeId id);                  // from every other node, present or future
  void drop_type(MessageType t) { dropped_types_.insert(t); }
  void allow_type(MessageType t) { dropped_types_.erase(t); }
  void drop_if(MessagePredicate pred) { drop_pred_ = std::move(pred); }
  // Matching messages are parked (not delivered) until released.
  void hold_if(MessagePredicate pred) { hold_pred_ = std::move(pred); }
  std::vector<Message>& held() { return held_; }
  void release_held();  // re-sends every held message (through the filters) and stops holding
  // Heals every cut and drops/holds nothing any more (held messages stay parked).
  void recover();
  // Loses the node's volatile state and the messages addressed to it; its storage survives.
  void crash(NodeId id);
  // A new core over the surviving storage; the state machine is rebuilt from the snapshot.
  void restart(NodeId id, std::optional<Config> config = {});

  // --- time ---
  void tick(NodeId id, int n = 1);
  // n times: tick every running node, then stabilize.
  void tick_all(int n = 1);

  // --- shortcuts ---
  // Campaigns on `id` and stabilizes; true if it is then the leader.
  bool elect(NodeId id);
  ProposeResult propose(NodeId id, const std::string& data);
  // Application compaction on `id`: snapshot of its state machine at `index` (<= applied).
  void compact(NodeId id, Index index);

  // --- observations ---
  NodeId leader() const;  // the leader with the highest term among running nodes, or kNone
  std::vector<Entry> log(NodeId id);  // persisted entries from first_index
  std::vector<Term> log_terms(NodeId id);
  Index commit(NodeId id);
  Index last_index(NodeId id);
  Term term(NodeId id) { return node(id).term(); }
  Role role(NodeId id) { return node(id).role(); }
  // Data of the applied non-empty normal entries, in order (the node's state machine).
  const std::vector<std::string>& applied(NodeId id) const;
  Index applied_index(NodeId id) const;
  const std::vector<ReadState>& read_states(NodeId id) const;
  void clear_read_states(NodeId id);
  // The leader's view of `peer` (requires `leader` to lead).
  PeerStatus peer(NodeId leader, NodeId peer);

 private:
  struct Member {
    std::unique_ptr<MemoryStorage> storage;
    std::unique_ptr<Node> node;
    Config config;
    std::vector<std::pair<Index, std::string>> sm;  // applied normal entries (index, data)
    std::vector<std::string> sm_data;               // the data of sm, for applied()
    Index applied = 0;
    std::vector<ReadState> reads;
  };
  Member& member(NodeId id);
  const Member& member(NodeId id) const;
  void enqueue(const Message& m);
  bool blocked(const Message& m) const;
  void restore_state_machine(Member& mb, const Snapshot& s);

  Options options_;
  ConfState bootstrap_;
  std::map<NodeId, Member> members_;
  std::deque<Message> queue_;
  std::vector<Message> held_;
  std::vector<Message> sent_;
  std::set<std::pair<NodeId, NodeId>> cuts_;
  std::set<NodeId> isolated_;
  std::set<MessageType> dropped_types_;
  MessagePredicate drop_pred_;
  MessagePredicate hold_pred_;
};

// Message predicates for take(), hold_if(), drop_if() and count_sent().
MessagePredicate of_type(MessageType t);
MessagePredicate of_type(MessageType t, NodeId from, NodeId to);
MessagePredicate to_node(NodeId to);
MessagePredicate from_node(NodeId from);

}  // namespace ha::raft::conformance
