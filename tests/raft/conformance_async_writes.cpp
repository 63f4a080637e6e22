// Conformance scenarios: asynchronous storage writes (Config::async_storage_writes). A leader
// persists its entries while it goes on replicating (the dissertation's 10.2.1); its own copy
// counts toward the quorum only once the driver reports it durable with Node::persisted().
#include <catch2/catch.hpp>

#include "tests/raft/conformance_harness.hpp"

using namespace ha::raft;
using namespace ha::raft::conformance;

namespace {

Config async_config(const Network& net, NodeId id, bool fault = false) {
  Config c = net.config_for(id);
  c.async_storage_writes = true;
  c.faults.count_own_entries_unpersisted = fault;
  return c;
}

}  // namespace

TEST_CASE("an async leader's own unpersisted copy does not count toward the quorum",
          "[conformance][diss-10.2.1] the leader's entry counts once it is on its own disk") {
  for (bool fault : {false, true}) {
    CAPTURE(fault);
    Network net({1, 2, 3}, Options::paper());
    net.install(1, std::make_unique<MemoryStorage>(net.bootstrap()), async_config(net, 1, fault));
    REQUIRE(net.elect(1));
    // Both followers acknowledged the first entry: it commits without the leader's copy.
    REQUIRE(net.commit(1) == 1);
    // Now only node 2 gets the next entry: 2 of 3 only with the leader's own copy.
    net.drop_if([](const Message& m) { return m.type == MessageType::kAppend && m.to == 3; });
    REQUIRE(net.propose(1, "x") == ProposeResult::kOk);
    net.stabilize();
    REQUIRE(net.last_index(2) == 2);
    if (fault) {
      CHECK(net.commit(1) == 2);  // the deliberate bug: counted before it was durable
      continue;
    }
    CHECK(net.commit(1) == 1);
    CHECK(net.commit(2) == 1);  // nor may a follower learn a commit index that counts it
    // A stale report (another term at that index) changes nothing.
    net.node(1).persisted(2, net.term(1) + 1);
    net.process(1);
    CHECK(net.commit(1) == 1);
    net.node(1).persisted(2, net.term(1));
    net.stabilize();
    CHECK(net.commit(1) == 2);
    CHECK(net.commit(2) == 2);  // the new commit index goes out at once
    CHECK(net.applied(1) == std::vector<std::string>{"x"});
  }
}

TEST_CASE("an async sole voter commits and serves reads only once its entry is durable",
          "[conformance][diss-6.4] a read index covers every entry committed in earlier terms") {
  Network net({1}, Options::paper());
  net.install(1, std::make_unique<MemoryStorage>(net.bootstrap()), async_config(net, 1));
  net.node(1).campaign();
  net.process(1);
  REQUIRE(net.role(1) == Role::kLeader);
  CHECK(net.commit(1) == 0);
  REQUIRE(net.node(1).read_index("r1") == ProposeResult::kOk);
  net.process(1);
  CHECK(net.read_states(1).empty());  // its first entry is not committed yet
  net.node(1).persisted(1, net.term(1));
  net.process(1);
  CHECK(net.commit(1) == 1);
  REQUIRE(net.read_states(1).size() == 1);
  CHECK(net.read_states(1)[0].index == 1);
}

TEST_CASE("a follower ignores persisted reports",
          "[conformance][diss-10.2.1] only a leader counts its own copy") {
  Network net({1, 2, 3}, Options::paper());
  net.install(2, std::make_unique<MemoryStorage>(net.bootstrap()), async_config(net, 2));
  REQUIRE(net.elect(1));
  const Index commit = net.commit(2);
  net.node(2).persisted(net.last_index(2), net.term(2));
  net.process(2);
  CHECK(net.commit(2) == commit);
  CHECK(net.role(2) == Role::kFollower);
}
