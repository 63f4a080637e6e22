// Linearizable reads: ReadIndex (a heartbeat round confirms leadership, §6.4 of the
// dissertation) and the optional lease-based variant.
#include "raft/assert.hpp"
#include "raft/node_impl.hpp"

namespace ha::raft {

void Node::Impl::reset_reads() {
  pending_reads.clear();
  read_acks.clear();
  reads_waiting_for_commit.clear();
}

void Node::Impl::respond_read(NodeId from, const std::string& context, Index index) {
  if (from == kNone || from == id) {
    read_states.push_back(ReadState{index, context});
    return;
  }
  Message r;
  r.type = MessageType::kReadIndexResponse;
  r.to = from;
  r.index = index;
  r.context = context;
  send(std::move(r));
}

void Node::Impl::handle_read_index(const Message& m) {
  if (progress.find(id) == progress.end()) return;  // removed leader: let the client retry
  // The read index must cover every entry committed in earlier terms: wait for our first commit.
  // (A sole voter too: with asynchronous storage writes it commits its first entry only once
  // that is durable, and its commit index from before a restart may lag what it acknowledged.)
  if (!committed_entry_in_current_term()) {
    reads_waiting_for_commit.push_back(m);
    return;
  }
  std::size_t voters = conf().voters.size();
  if (voters == 1 && is_voter(id)) {
    respond_read(m.from, m.context, log.committed());
    return;
  }
  bool lease = cfg.read_only == ReadOnlyOption::kLeaseBased || cfg.faults.read_index_without_heartbeat;
  if (lease) {
    // Safe only while CheckQuorum keeps the leader from outliving its quorum (bounded drift).
    respond_read(m.from, m.context, log.committed());
    return;
  }
  PendingRead pr;
  pr.from = m.from;
  pr.context = m.context;
  pr.index = log.committed();
  pr.round = ++read_round;
  pending_reads.push_back(pr);
  read_acks[pr.round][id] = true;
  bcast_heartbeat(std::to_string(pr.round));
}

void Node::Impl::handle_read_ack(NodeId from, const std::string& round_context) {
  if (!is_voter(from)) return;
  std::uint64_t round = 0;
  try {
    round = std::stoull(round_context);
  } catch (...) {
    return;
  }
  auto it = read_acks.find(round);
  if (it == read_acks.end()) return;
  it->second[from] = true;
  std::size_t acks = 0;
  for (const auto& [peer, yes] : it->second) acks += (yes && is_voter(peer)) ? 1 : 0;
  if (acks < quorum()) return;
  // A quorum confirmed our leadership at this round: every read queued up to it is safe.
  while (!pending_reads.empty() && pending_reads.front().round <= round) {
    PendingRead pr = pending_reads.front();
    pending_reads.pop_front();
    read_acks.erase(pr.round);
    respond_read(pr.from, pr.context, pr.index);
  }
}

void Node::Impl::release_reads_waiting_for_commit() {
  if (reads_waiting_for_commit.empty() || !committed_entry_in_current_term()) return;
  std::vector<Message> waiting = std::move(reads_waiting_for_commit);
  reads_waiting_for_commit.clear();
  for (const Message& m : waiting) handle_read_index(m);
}

}  // namespace ha::raft
