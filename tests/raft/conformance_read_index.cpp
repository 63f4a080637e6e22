// Conformance scenarios: linearizable reads with ReadIndex (dissertation §6.4) and the
// lease-based variant (§6.4.1); the paper's §8 asks for the same two precautions.
#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/raft/conformance_harness.hpp"

using namespace ha::raft;
using namespace ha::raft::conformance;

TEST_CASE("the leader answers a ReadIndex only after a heartbeat round reaches a quorum",
          "[conformance][diss-6.4] the leader records its commit index, then confirms it is still leader") {
  Network net({1, 2, 3});
  REQUIRE(net.elect(1));
  REQUIRE(net.propose(1, "a") == ProposeResult::kOk);
  net.stabilize();
  REQUIRE(net.commit(1) == 2);
  net.drop_type(MessageType::kHeartbeatResponse);
  REQUIRE(net.node(1).read_index("r1") == ProposeResult::kOk);
  net.stabilize();
  for (int i = 0; i < 3; ++i) {
    net.tick(1);
    net.stabilize();
  }
  CHECK(net.read_states(1).empty());  // no quorum confirmed it yet
  net.allow_type(MessageType::kHeartbeatResponse);
  net.tick(1);
  net.stabilize();
  REQUIRE(net.read_states(1).size() == 1);
  CHECK(net.read_states(1)[0] == ReadState{2, "r1"});

  // Several reads in one round, and a read after a write covers the write.
  net.clear_read_states(1);
  REQUIRE(net.node(1).read_index("r2") == ProposeResult::kOk);
  REQUIRE(net.propose(1, "b") == ProposeResult::kOk);
  net.stabilize();
  REQUIRE(net.node(1).read_index("r3") == ProposeResult::kOk);
  net.stabilize();
  REQUIRE(net.read_states(1).size() == 2);
  CHECK(net.read_states(1)[0] == ReadState{2, "r2"});
  CHECK(net.read_states(1)[1] == ReadState{3, "r3"});
}

TEST_CASE("a follower's ReadIndex is forwarded to the leader and answered",
          "[conformance][diss-6.4] followers ask the leader for the current read index") {
  Network none({1, 2, 3});
  CHECK(none.node(2).read_index("x") == ProposeResult::kNoLeader);

  Network net({1, 2, 3});
  REQUIRE(net.elect(1));
  REQUIRE(net.propose(1, "a") == ProposeResult::kOk);
  net.stabilize();
  REQUIRE(net.node(3).read_index("f") == ProposeResult::kOk);
  net.process(3);
  auto fwd = net.take(of_type(MessageType::kReadIndex, 3, 1));
  REQUIRE(fwd.size() == 1);
  CHECK(fwd[0].term == 0);
  net.send(fwd[0]);
  net.stabilize();
  REQUIRE(net.read_states(3).size() == 1);
  CHECK(net.read_states(3)[0] == ReadState{net.commit(1), "f"});
  CHECK(net.read_states(1).empty());
}

TEST_CASE("a read on a new leader waits until its first entry of the term commits",
          "[conformance][diss-6.4] a new leader does not know its commit index until its no-op commits") {
  Network net({1, 2, 3}, Options::paper());
  REQUIRE(net.elect(1));
  REQUIRE(net.propose(1, "a") == ProposeResult::kOk);
  net.stabilize();
  net.drop_if([](const Message& m) { return m.type == MessageType::kAppend && m.from == 2; });
  REQUIRE(net.elect(2));
  REQUIRE(net.commit(2) == 2);
  REQUIRE(net.node(2).read_index("r") == ProposeResult::kOk);
  for (int i = 0; i < 3; ++i) {
    net.tick(2);
    net.stabilize();
  }
  CHECK(net.read_states(2).empty());  // heartbeats were answered, but the no-op is not committed
  net.recover();
  for (int i = 0; i < 2; ++i) {
    net.tick(2);
    net.stabilize();
  }
  REQUIRE(net.commit(2) == 3);
  REQUIRE(net.read_states(2).size() == 1);
  CHECK(net.read_states(2)[0] == ReadState{3, "r"});
}

TEST_CASE("reads after a leader change are never stale",
          "[conformance][diss-6.4] a read index on a new leader covers every write acknowledged before") {
  Network net({1, 2, 3}, Options::paper());
  REQUIRE(net.elect(1));
  // "w" commits on node 1 with node 2's copy; the new commit index never leaves node 1.
  net.drop_if(of_type(MessageType::kAppend, 1, 3));
  REQUIRE(net.propose(1, "w") == ProposeResult::kOk);
  REQUIRE(net.deliver_one(of_type(MessageType::kAppend, 1, 2)));
  REQUIRE(net.deliver_one(of_type(MessageType::kAppendResponse, 2, 1)));
  REQUIRE(net.applied(1) == std::vector<std::string>{"w"});  // acknowledged to the client
  const Index w_index = 2;
  net.crash(1);
  net.take(from_node(1));
  net.recover();
  REQUIRE(net.commit(2) < w_index);

  // Node 2 wins (its log is longer) but does not know that "w" committed.
  net.hold_if([](const Message& m) { return m.type == MessageType::kAppend && m.from == 2; });
  REQUIRE(net.elect(2));
  REQUIRE(net.node(2).read_index("on-leader") == ProposeResult::kOk);
  net.tick(2);
  net.stabilize();
  REQUIRE(net.node(3).leader() == 2);
  REQUIRE(net.node(3).read_index("on-follower") == ProposeResult::kOk);
  net.stabilize();
  CHECK(net.read_states(2).empty());  // answering now could only say index 1: stale
  CHECK(net.read_states(3).empty());
  net.release_held();
  for (int i = 0; i < 3; ++i) {
    net.tick(2);
    net.stabilize();
  }
  for (NodeId id : {2, 3}) {
    CAPTURE(id);
    REQUIRE(net.read_states(id).size() == 1);
    CHECK(net.read_states(id)[0].index >= w_index);
    CHECK(net.commit(id) >= net.read_states(id)[0].index);
    CHECK(net.applied(id) == std::vector<std::string>{"w"});
  }
}

TEST_CASE("a partitioned old leader cannot answer a ReadIndex",
          "[conformance][diss-6.4] a deposed leader cannot confirm its leadership, so it never answers") {
  Network net({1, 2, 3}, Options::paper());  // no CheckQuorum: it does not even step down
  REQUIRE(net.elect(1));
  REQUIRE(net.propose(1, "a") == ProposeResult::kOk);
  net.stabilize();
  net.isolate(1);
  REQUIRE(net.node(1).read_index("stale") == ProposeResult::kOk);
  REQUIRE(net.elect(2));
  REQUIRE(net.propose(2, "b") == ProposeResult::kOk);
  net.stabilize();
  for (int i = 0; i < 30; ++i) {
    net.tick(1);
    net.tick(2);
    net.stabilize();
  }
  CHECK(net.node(1).is_leader());
  CHECK(net.read_states(1).empty());
  net.recover();
  net.tick(2);
  net.stabilize();
  CHECK(net.role(1) == Role::kFollower);
  CHECK(net.read_states(1).empty());  // dropped on stepping down: the client retries elsewhere
}

TEST_CASE("with lease-based reads the leader answers without a heartbeat round",
          "[conformance][diss-6.4.1] a leader within its lease may serve reads from its commit index") {
  Options o;
  o.read_only = ReadOnlyOption::kLeaseBased;
  Network net({1, 2, 3}, o);
  REQUIRE(net.elect(1));
  REQUIRE(net.propose(1, "a") == ProposeResult::kOk);
  net.stabilize();
  net.drop_type(MessageType::kHeartbeat);
  REQUIRE(net.node(1).read_index("l") == ProposeResult::kOk);
  net.process(1);
  REQUIRE(net.read_states(1).size() == 1);
  CHECK(net.read_states(1)[0] == ReadState{2, "l"});
}

TEST_CASE("a single-node cluster answers a ReadIndex at once",
          "[conformance][diss-6.4] with one voter, the leader's commit index is the read index") {
  Network net({1});
  REQUIRE(net.elect(1));
  REQUIRE(net.propose(1, "a") == ProposeResult::kOk);
  net.stabilize();
  REQUIRE(net.node(1).read_index("s") == ProposeResult::kOk);
  net.process(1);
  REQUIRE(net.read_states(1).size() == 1);
  CHECK(net.read_states(1)[0] == ReadState{2, "s"});
}

TEST_CASE("a learner's ReadIndex is forwarded and answered",
          "[conformance][diss-6.4] any member that receives the log may serve linearizable reads") {
  Network net({1, 2, 3}, Options{}, {4});
  REQUIRE(net.elect(1));
  REQUIRE(net.propose(1, "a") == ProposeResult::kOk);
  net.stabilize();
  REQUIRE(net.node(4).leader() == 1);
  REQUIRE(net.node(4).read_index("learner") == ProposeResult::kOk);
  net.stabilize();
  REQUIRE(net.read_states(4).size() == 1);
  CHECK(net.read_states(4)[0] == ReadState{2, "learner"});
}
