#include "tests/raft/sim/sim_node.hpp"

namespace ha::raft::sim {

bool SimNode::start(Config config) {
  const MemoryStorage& live = storage_.live();
  Snapshot snap = live.snapshot();
  bool ok = true;
  if (snap.empty()) {
    sm_.reset(0);
  } else {
    ok = sm_.restore(snap.data);
    if (ok && sm_.applied() != snap.metadata.index) ok = false;
  }
  conf_ = live.initial_state().conf_state;
  config.id = id_;
  config.applied = snap.metadata.index;
  core_ = std::make_unique<Node>(config, storage_.live());
  ++epoch_;
  reads.clear();
  return ok;
}

void SimNode::stop() {
  core_.reset();
  reads.clear();
  staged.clear();
}

}  // namespace ha::raft::sim
