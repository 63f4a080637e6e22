// Node::Impl: the Raft algorithm's state and rules, shared by the files that implement them:
// node.cpp (API, Ready), election.cpp, replication.cpp, read_index.cpp, membership.cpp.
// Internal to raft/; applications use node.hpp.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "raft/node.hpp"
#include "raft/progress.hpp"
#include "raft/raft_log.hpp"

namespace ha::raft {

// The context of a vote request that follows a leadership transfer: it overrides the lease.
inline constexpr const char* kTransferContext = "transfer";

class Node::Impl {
 public:
  Impl(const Config& config, Storage& storage);

  // --- inputs ---
  void tick();
  void step(Message m);
  ProposeResult propose_entries(std::vector<Entry> entries);

  // --- Ready bookkeeping (node.cpp) ---
  bool has_ready() const;
  Ready ready();
  void advance(const Ready& rd);
  void persisted(Index index, Term t);
  Status status() const;

  Config cfg;
  RaftLog log;
  NodeId id;
  Term term = 0;
  NodeId vote = kNone;
  NodeId lead = kNone;
  Role role = Role::kFollower;

  // --- election.cpp ---
  void become_follower(Term t, NodeId leader);
  void become_pre_candidate();
  void become_candidate();
  void become_leader();
  void reset(Term t);
  void hup(bool transfer);
  void campaign(bool pre_vote, bool transfer);
  void handle_vote_request(const Message& m);
  void handle_vote_response(const Message& m);
  bool step_term(const Message& m);  // term rules before dispatch; false = drop the message
  void tick_election();
  void tick_heartbeat();
  bool past_election_timeout() const { return election_elapsed >= randomized_election_timeout; }
  void reset_randomized_election_timeout();
  bool quorum_active();
  void abort_leader_transfer() { lead_transferee = kNone; }
  void handle_transfer_leader(const Message& m);

  int election_elapsed = 0;
  int heartbeat_elapsed = 0;
  int randomized_election_timeout = 0;
  NodeId lead_transferee = kNone;
  std::map<NodeId, bool> votes;
  std::mt19937_64 rng;

  // --- replication.cpp ---
  void step_leader(const Message& m);
  void step_follower(const Message& m);
  void step_candidate(const Message& m);
  void handle_append(const Message& m);
  void handle_heartbeat(const Message& m);
  void handle_snapshot(const Message& m);
  void handle_append_response(const Message& m);
  void handle_heartbeat_response(const Message& m);
  bool append_entries(std::vector<Entry> entries);
  bool maybe_send_append(NodeId to, bool send_if_empty);
  void send_append(NodeId to) { maybe_send_append(to, true); }
  void bcast_append();
  void bcast_heartbeat(const std::string& context);
  bool maybe_commit();
  void on_commit_advanced();
  void send(Message m);
  static void drop_superseded_commit_updates(std::vector<Message>& out);
  bool committed_entry_in_current_term() const;

  std::map<NodeId, Progress> progress;  // leader only: every voter and learner, self included
  std::vector<Message> msgs;
  std::uint64_t uncommitted_size = 0;

  // --- read_index.cpp ---
  struct PendingRead {
    NodeId from = kNone;  // kNone or self = a local request
    std::string context;
    Index index = 0;
    std::uint64_t round = 0;
  };
  void handle_read_index(const Message& m);
  void respond_read(NodeId from, const std::string& context, Index index);
  void handle_read_ack(NodeId from, const std::string& round_context);
  void release_reads_waiting_for_commit();
  void reset_reads();

  std::deque<PendingRead> pending_reads;           // waiting for a heartbeat quorum
  std::map<std::uint64_t, std::map<NodeId, bool>> read_acks;  // round -> acks
  std::vector<Message> reads_waiting_for_commit;   // arrived before the term's first commit
  std::uint64_t read_round = 0;
  std::vector<ReadState> read_states;

  // --- membership.cpp ---
  // The configuration is the latest one in the log: base (from the snapshot) + conf entries.
  ConfState base_conf;
  Index base_conf_index = 0;
  std::vector<std::pair<Index, ConfState>> conf_history;
  const ConfState& conf() const { return conf_history.empty() ? base_conf : conf_history.back().second; }
  Index last_conf_index() const { return conf_history.empty() ? base_conf_index : conf_history.back().first; }
  ConfState conf_state_at(Index i) const;
  bool is_voter(NodeId n) const;
  bool is_learner(NodeId n) const;
  // May campaign: a voter of the latest configuration, or of the committed one (a node whose own
  // removal is appended but not committed must still be able to lead the cluster to commit it,
  // or a cluster whose other voters lack that entry could never elect anyone).
  bool promotable() const;
  std::size_t quorum() const { return conf().voters.size() / 2 + 1; }
  void load_conf_from_log();
  // The log changed from first_changed on and now holds `entries` there: drop the conf history
  // from that index and record the conf-change entries among `entries`.
  void track_conf_entries(Index first_changed, const std::vector<Entry>& entries);
  void on_snapshot_restored(const Snapshot& s);
  void sync_progress_with_conf();
  ProposeResult check_conf_change_allowed(const ConfChange& cc) const;
  void maybe_step_down_after_removal();

  // --- Ready state (node.cpp) ---
  SoftState prev_soft;
  HardState prev_hard;
  bool ready_outstanding = false;
  HardState hard_state() const { return HardState{term, vote, log.committed()}; }
  SoftState soft_state() const { return SoftState{lead, role}; }
};

}  // namespace ha::raft
