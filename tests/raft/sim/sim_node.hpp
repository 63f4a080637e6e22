// SimNode: one simulated server: its disk (SimStorage, kept across crashes), the core while it
// is up, the KV state machine and the configuration as of the applied index. It owns no policy:
// the Cluster drives it (Ready handling, crashes, clients).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "raft/node.hpp"
#include "tests/raft/sim/kv_state_machine.hpp"
#include "tests/raft/sim/sim_storage.hpp"

namespace ha::raft::sim {

class SimNode {
 public:
  SimNode(NodeId id, const ConfState& bootstrap) : id_(id), storage_(bootstrap) {}

  NodeId id() const { return id_; }
  bool up() const { return core_ != nullptr; }
  Node& core() { return *core_; }
  const Node& core() const { return *core_; }
  SimStorage& storage() { return storage_; }
  const SimStorage& storage() const { return storage_; }
  KvStateMachine& sm() { return sm_; }
  const KvStateMachine& sm() const { return sm_; }
  ConfState& conf() { return conf_; }
  const ConfState& conf() const { return conf_; }
  // Counts starts, so a message or report from an earlier life can be recognised.
  std::uint64_t epoch() const { return epoch_; }

  // Builds the core from the live storage (Config.applied = the snapshot's index) and restores
  // the state machine from the snapshot. False when the snapshot image is malformed.
  bool start(Config config);
  // Drops the core and everything volatile; the storage is left to the caller's crash().
  void stop();

  // Read states waiting for the state machine to reach their index.
  std::vector<ReadState> reads;
  // Saves staged in the storage (a leader's background writes), oldest first: the last entry
  // each writes (index 0: none) and the step at which its write completes.
  struct StagedWrite {
    Index index = 0;
    Term term = 0;
    std::uint64_t due = 0;
  };
  std::vector<StagedWrite> staged;
  bool removed = false;  // left the cluster for good

 private:
  NodeId id_;
  SimStorage storage_;
  std::unique_ptr<Node> core_;
  KvStateMachine sm_;
  ConfState conf_;
  std::uint64_t epoch_ = 0;
};

}  // namespace ha::raft::sim
