// Conformance scenarios: membership changes (Raft paper §6; dissertation §4.1 single-server
// changes, §4.2.1 learners catching up, §4.2.2 removing the leader).
#include <catch2/catch.hpp>

#include "tests/raft/conformance_harness.hpp"

using namespace ha::raft;
using namespace ha::raft::conformance;

namespace {

std::size_t votes_sent_by(const Network& net, NodeId id) {
  return net.count_sent([id](const Message& m) {
    return m.from == id && (m.type == MessageType::kVote || m.type == MessageType::kPreVote);
  });
}

// Heartbeat rounds from `leader` until quiet.
void settle(Network& net, NodeId leader, int rounds = 2) {
  for (int i = 0; i < rounds; ++i) {
    net.tick(leader);
    net.stabilize();
  }
}

}  // namespace

TEST_CASE("an added learner receives the log but never counts toward a quorum or campaigns",
          "[conformance][diss-4.2.1] new servers join as non-voting members while they catch up") {
  Network net({1, 2, 3});
  REQUIRE(net.elect(1));
  REQUIRE(net.propose(1, "a") == ProposeResult::kOk);
  net.stabilize();
  net.add_joining_node(4);
  REQUIRE(net.node(1).propose_conf_change(conf_change(ConfChangeType::kAddLearner, 4)) == ProposeResult::kOk);
  net.stabilize();
  settle(net, 1);
  const ConfState want{{1, 2, 3}, {4}};
  for (NodeId id = 1; id <= 4; ++id) CHECK(net.node(id).status().conf_state == want);
  CHECK(net.node(1).voter_count() == 3);  // learners are not counted
  CHECK(net.log_terms(4) == net.log_terms(1));
  CHECK(net.applied(4) == std::vector<std::string>{"a"});

  // The leader and the learner alone are no quorum.
  net.isolate(2);
  net.isolate(3);
  Index commit = net.commit(1);
  REQUIRE(net.propose(1, "b") == ProposeResult::kOk);
  net.stabilize();
  CHECK(net.last_index(4) == net.last_index(1));  // stored...
  CHECK(net.commit(1) == commit);                 // ...but not counted
  CHECK(net.applied(4) == std::vector<std::string>{"a"});
  net.recover();
  settle(net, 1);
  CHECK(net.applied(4) == std::vector<std::string>{"a", "b"});

  // It never campaigns, whatever happens to its timer.
  net.clear_sent();
  net.node(4).campaign();
  net.tick(4, 10 * net.options().election_tick);
  net.process(4);
  CHECK(votes_sent_by(net, 4) == 0);
  CHECK(net.role(4) == Role::kFollower);
}

TEST_CASE("a promoted learner votes and counts toward the quorum",
          "[conformance][diss-4.2.1] once caught up, the learner becomes a voting member") {
  Network net({1, 2, 3});
  REQUIRE(net.elect(1));
  net.add_joining_node(4);
  REQUIRE(net.node(1).propose_conf_change(conf_change(ConfChangeType::kAddLearner, 4)) == ProposeResult::kOk);
  net.stabilize();
  REQUIRE(net.node(1).propose_conf_change(conf_change(ConfChangeType::kAddVoter, 4)) == ProposeResult::kOk);
  net.stabilize();
  settle(net, 1);
  const ConfState want{{1, 2, 3, 4}, {}};
  for (NodeId id = 1; id <= 4; ++id) CHECK(net.node(id).status().conf_state == want);

  // Quorum is now 3 of 4: {1, 2, 4} commits, {1, 4} does not.
  net.isolate(3);
  REQUIRE(net.propose(1, "c") == ProposeResult::kOk);
  net.stabilize();
  CHECK(net.applied(4) == std::vector<std::string>{"c"});
  net.isolate(2);
  Index commit = net.commit(1);
  REQUIRE(net.propose(1, "d") == ProposeResult::kOk);
  net.stabilize();
  CHECK(net.commit(1) == commit);
  net.recover();
  settle(net, 1);

  // It can be elected.
  REQUIRE(net.node(1).transfer_leader(4) == ProposeResult::kOk);
  net.stabilize();
  CHECK(net.leader() == 4);
  REQUIRE(net.propose(4, "e") == ProposeResult::kOk);
  net.stabilize();
  settle(net, 4);
  CHECK(net.applied(2) == std::vector<std::string>{"c", "d", "e"});
}

TEST_CASE("a voter can be added while proposals keep flowing",
          "[conformance][6] configuration changes without taking the cluster offline") {
  Network net({1, 2, 3});
  REQUIRE(net.elect(1));
  net.add_joining_node(4);
  std::vector<std::string> want;
  for (int i = 0; i < 30; ++i) {
    std::string v = "v" + std::to_string(i);
    want.push_back(v);
    REQUIRE(net.propose(1, v) == ProposeResult::kOk);
    if (i == 10) REQUIRE(net.node(1).propose_conf_change(conf_change(ConfChangeType::kAddVoter, 4)) == ProposeResult::kOk);
    if (i % 3 == 0) net.stabilize();
    if (i % 7 == 0) net.tick_all();
  }
  net.stabilize();
  settle(net, 1);
  const ConfState conf{{1, 2, 3, 4}, {}};
  for (NodeId id = 1; id <= 4; ++id) {
    CAPTURE(id);
    CHECK(net.node(id).status().conf_state == conf);
    CHECK(net.applied(id) == want);
  }
  // The new voter is part of every quorum now: two of four are not enough.
  net.isolate(2);
  net.isolate(3);
  Index commit = net.commit(1);
  REQUIRE(net.propose(1, "more") == ProposeResult::kOk);
  net.stabilize();
  CHECK(net.commit(1) == commit);
}

TEST_CASE("a removed follower leaves every quorum and cannot disrupt the cluster",
          "[conformance][6] servers ignore RequestVote while they hear from a current leader, so a "
          "removed server that times out changes nothing") {
  Network net({1, 2, 3});
  REQUIRE(net.elect(1));
  REQUIRE(net.propose(1, "a") == ProposeResult::kOk);
  net.stabilize();
  REQUIRE(net.node(1).propose_conf_change(conf_change(ConfChangeType::kRemoveNode, 3)) == ProposeResult::kOk);
  net.stabilize();
  settle(net, 1);
  const ConfState conf{{1, 2}, {}};
  for (NodeId id : {1, 2}) CHECK(net.node(id).status().conf_state == conf);
  for (const PeerStatus& p : net.node(1).status().peers) CHECK(p.id != 3);

  // The two remaining voters commit alone; the leader sends nothing more to node 3.
  net.clear_sent();
  REQUIRE(net.propose(1, "b") == ProposeResult::kOk);
  net.stabilize();
  settle(net, 1);
  CHECK(net.applied(2) == std::vector<std::string>{"a", "b"});
  CHECK(net.count_sent(of_type(MessageType::kAppend, 1, 3)) == 0);
  CHECK(net.count_sent(of_type(MessageType::kHeartbeat, 1, 3)) == 0);
  // Node 3 may not even know it was removed; when its timer fires it campaigns in vain.
  Term term = net.term(1);
  net.tick_all(10 * net.options().election_tick);
  CHECK(net.leader() == 1);
  CHECK(net.term(1) == term);
  CHECK(net.term(2) == term);
  REQUIRE(net.propose(1, "c") == ProposeResult::kOk);
  net.stabilize();
  settle(net, 1);
  CHECK(net.applied(2) == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("removing an unresponsive voter lets pending entries commit",
          "[conformance][6] the new configuration's smaller quorum applies as soon as the change is appended") {
  Network net({1, 2}, Options::paper());
  REQUIRE(net.elect(1));
  net.crash(2);
  REQUIRE(net.propose(1, "x") == ProposeResult::kOk);
  net.stabilize();
  REQUIRE(net.applied(1).empty());
  REQUIRE(net.node(1).propose_conf_change(conf_change(ConfChangeType::kRemoveNode, 2)) == ProposeResult::kOk);
  net.stabilize();
  CHECK(net.applied(1) == std::vector<std::string>{"x"});
  CHECK(net.commit(1) == net.last_index(1));
  CHECK(net.node(1).status().conf_state == ConfState{{1}, {}});
}

TEST_CASE("removing the leader: it steps down once the removal commits and the rest elect a leader",
          "[conformance][diss-4.2.2] the leader manages the cluster without counting itself, then steps down") {
  Network net({1, 2, 3});
  REQUIRE(net.elect(1));
  REQUIRE(net.propose(1, "a") == ProposeResult::kOk);
  net.stabilize();
  // While the removal is uncommitted, node 1 still leads but no longer counts itself:
  // node 2's copy alone is not a quorum of {2, 3}.
  net.drop_if(of_type(MessageType::kAppend, 1, 3));
  REQUIRE(net.node(1).propose_conf_change(conf_change(ConfChangeType::kRemoveNode, 1)) == ProposeResult::kOk);
  net.stabilize();
  CHECK(net.node(1).is_leader());
  CHECK(net.commit(1) < net.last_index(1));
  CHECK(net.last_index(2) == net.last_index(1));

  net.recover();
  net.clear_sent();
  net.tick(1);
  net.stabilize();
  CHECK(net.role(1) == Role::kFollower);
  NodeId lead = net.leader();
  int ticks = 0;
  while (lead == kNone && ticks++ < 50) {
    net.tick(2);
    net.tick(3);
    net.stabilize();
    lead = net.leader();
  }
  REQUIRE((lead == 2 || lead == 3));
  CHECK(net.node(lead).status().conf_state == ConfState{{2, 3}, {}});
  REQUIRE(net.propose(lead, "b") == ProposeResult::kOk);
  net.stabilize();
  settle(net, lead);
  CHECK(net.applied(2) == std::vector<std::string>{"a", "b"});
  CHECK(net.applied(3) == std::vector<std::string>{"a", "b"});
  // The old leader never campaigns again.
  net.clear_sent();
  net.tick(1, 10 * net.options().election_tick);
  net.process(1);
  CHECK(votes_sent_by(net, 1) == 0);
  CHECK(net.leader() == lead);
}

TEST_CASE("a second membership change is refused while the first is uncommitted",
          "[conformance][diss-4.1] one configuration change at a time") {
  Network net({1, 2, 3});
  REQUIRE(net.elect(1));
  net.hold_if([](const Message& m) { return m.type == MessageType::kAppend && m.from == 1; });
  REQUIRE(net.node(1).propose_conf_change(conf_change(ConfChangeType::kAddLearner, 4)) == ProposeResult::kOk);
  net.process(1);
  Index last = net.last_index(1);
  CHECK(net.node(1).propose_conf_change(conf_change(ConfChangeType::kAddLearner, 5)) ==
        ProposeResult::kConfChangePending);
  // A conf-change entry that reaches the leader as a forwarded proposal is dropped too.
  Message fwd;
  fwd.type = MessageType::kPropose;
  fwd.from = 2;
  fwd.to = 1;
  Entry e;
  e.type = EntryType::kConfChange;
  e.data = encode_conf_change(conf_change(ConfChangeType::kAddLearner, 5));
  fwd.entries.push_back(e);
  net.step(fwd);
  CHECK(net.last_index(1) == last);
  CHECK(net.node(1).status().conf_state == ConfState{{1, 2, 3}, {4}});
  // Once the first change commits, the next one is accepted.
  net.release_held();
  net.stabilize();
  settle(net, 1);
  CHECK(net.node(1).propose_conf_change(conf_change(ConfChangeType::kAddLearner, 5)) == ProposeResult::kOk);
  net.stabilize();
  CHECK(net.node(2).status().conf_state == ConfState{{1, 2, 3}, {4, 5}});
}

TEST_CASE("a new leader may not change the configuration before its first entry commits",
          "[conformance][diss-4.1] a leader changes membership only after committing an entry of its term") {
  Network net({1, 2, 3}, Options::paper());
  net.drop_if([](const Message& m) { return m.type == MessageType::kAppend && m.from == 1; });
  REQUIRE(net.elect(1));
  REQUIRE(net.commit(1) == 0);
  CHECK(net.node(1).propose_conf_change(conf_change(ConfChangeType::kAddLearner, 4)) ==
        ProposeResult::kConfChangePending);
  net.recover();
  settle(net, 1);
  REQUIRE(net.commit(1) == 1);
  CHECK(net.node(1).propose_conf_change(conf_change(ConfChangeType::kAddLearner, 4)) == ProposeResult::kOk);
}

TEST_CASE("a configuration entry that is truncated away reverts the configuration",
          "[conformance][diss-4.1] a server uses the latest configuration in its log, committed or not") {
  Network net({1, 2, 3, 4, 5}, Options::paper());
  REQUIRE(net.elect(1));
  REQUIRE(net.propose(1, "a") == ProposeResult::kOk);
  net.stabilize();
  // Leader 1 and follower 2 get a change that never reaches a majority.
  for (NodeId a : {1, 2}) {
    for (NodeId b : {3, 4, 5}) net.cut(a, b);
  }
  REQUIRE(net.node(1).propose_conf_change(conf_change(ConfChangeType::kAddVoter, 6)) == ProposeResult::kOk);
  net.stabilize();
  const ConfState with6{{1, 2, 3, 4, 5, 6}, {}};
  const ConfState without{{1, 2, 3, 4, 5}, {}};
  REQUIRE(net.node(1).status().conf_state == with6);  // in force as soon as appended
  REQUIRE(net.node(2).status().conf_state == with6);
  CHECK(net.node(1).voter_count() == 6);
  // The majority elects node 3, which writes its own entries over that index.
  REQUIRE(net.elect(3));
  REQUIRE(net.propose(3, "b") == ProposeResult::kOk);
  net.stabilize();
  net.recover();
  settle(net, 3);
  for (NodeId id = 1; id <= 5; ++id) {
    CAPTURE(id);
    CHECK(net.node(id).status().conf_state == without);
    CHECK(net.node(id).voter_count() == 5);
    CHECK(net.log_terms(id) == net.log_terms(3));
    CHECK(net.applied(id) == std::vector<std::string>{"a", "b"});
  }
  CHECK(net.role(1) == Role::kFollower);
}

TEST_CASE("a learner added after compaction is caught up by a snapshot",
          "[conformance][diss-4.2.1] a new server with an empty log receives the snapshot, then the log") {
  Network net({1, 2, 3});
  REQUIRE(net.elect(1));
  for (int i = 0; i < 10; ++i) REQUIRE(net.propose(1, "v" + std::to_string(i)) == ProposeResult::kOk);
  net.stabilize();
  net.compact(1, net.applied_index(1));
  net.add_joining_node(4);
  net.clear_sent();
  REQUIRE(net.node(1).propose_conf_change(conf_change(ConfChangeType::kAddLearner, 4)) == ProposeResult::kOk);
  net.stabilize();
  settle(net, 1);
  CHECK(net.count_sent(of_type(MessageType::kSnapshot, 1, 4)) == 1);
  CHECK(net.applied(4) == net.applied(1));
  CHECK(net.node(4).status().conf_state == ConfState{{1, 2, 3}, {4}});
  REQUIRE(net.propose(1, "after") == ProposeResult::kOk);
  net.stabilize();
  settle(net, 1);
  CHECK(net.applied(4).back() == "after");
}
