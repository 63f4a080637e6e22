// Node: one Raft participant as a pure, deterministic state machine (the etcd/raft model).
// It does no I/O, reads no clock and starts no thread; it is not thread-safe. The driver feeds
// it ticks, messages and proposals, then handles Ready and calls advance().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "raft/conf_change.hpp"
#include "raft/config.hpp"
#include "raft/ready.hpp"
#include "raft/storage.hpp"
#include "raft/types.hpp"

namespace ha::raft {

// Why a request was refused. kOk means accepted (not yet committed).
enum class ProposeResult : std::uint8_t {
  kOk,
  kNoLeader,            // no known leader to forward to
  kNotLeader,           // only the leader may do this
  kTransferInProgress,  // leadership transfer under way: retry shortly
  kConfChangePending,   // a membership change is not yet committed (or the term's first entry)
  kTooLarge,            // the uncommitted tail exceeds max_uncommitted_entries_size
  kInvalid,             // malformed request (unknown node, no-op change, ...)
};
const char* to_string(ProposeResult r);

struct Progress;  // progress.hpp

struct PeerStatus {
  NodeId id = kNone;
  Index match = 0;
  Index next = 0;
  bool voter = true;
  bool recent_active = false;
  const char* state = "";  // probe / replicate / snapshot
};

struct Status {
  NodeId id = kNone;
  HardState hard_state;
  SoftState soft_state;
  Index applied = 0;
  Index first_index = 0;
  Index last_index = 0;
  ConfState conf_state;
  NodeId lead_transferee = kNone;
  std::vector<PeerStatus> peers;  // leader only
};

class Node {
 public:
  // Restores the durable state from `storage` (which must outlive the node).
  Node(const Config& config, Storage& storage);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  void tick();
  // A message from a peer (or a local one). Messages of older terms are dropped.
  void step(const Message& m);
  ProposeResult propose(std::string data);
  ProposeResult propose_batch(std::vector<std::string> data);
  ProposeResult propose_conf_change(const ConfChange& cc);
  // Asks for a linearizable read point; the answer arrives as a ReadState with this context.
  ProposeResult read_index(std::string context);
  ProposeResult transfer_leader(NodeId to);
  void campaign();
  // A follower forgets its leader (the driver saw the leader's connection drop): it stays a
  // leaderless follower of the current term and no longer defends the leader's lease, so a
  // peer's pre-vote can succeed without waiting a whole election timeout. A leader that is
  // still reachable by a quorum keeps it: the other followers still refuse.
  void forget_leader();
  // The transport could not deliver to `peer`: replication to it falls back to probing.
  void report_unreachable(NodeId peer);
  // The transport finished sending a kSnapshot to `peer` (ok) or gave up (!ok). The leader
  // pauses a follower while its snapshot is in flight, so a driver must report every outcome.
  void report_snapshot(NodeId peer, bool ok);

  bool has_ready() const;
  Ready ready();
  void advance(const Ready& rd);
  // With Config::async_storage_writes: the driver made the log durable up to `index`, whose
  // entry has term `term` (entries handed out in Ready::entries, reported in order). A leader
  // then counts its own copy toward the quorum; anyone else ignores it.
  void persisted(Index index, Term term);

  Status status() const;
  // The configuration in force at log index i (for a snapshot the application takes at its
  // applied index). Requires i >= the current snapshot's index.
  ConfState conf_state_at(Index i) const;
  NodeId id() const;
  NodeId leader() const;
  Role role() const;
  Term term() const;
  bool is_leader() const { return role() == Role::kLeader; }
  // Voters in the configuration in force (the latest in the log, committed or not); cheap.
  std::size_t voter_count() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ha::raft
