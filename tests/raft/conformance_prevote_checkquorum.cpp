// Conformance scenarios: PreVote (dissertation §9.6), CheckQuorum (§6.2) and the leader lease
// against disruptive servers (§4.2.3).
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "tests/raft/conformance_harness.hpp"

using namespace ha::raft;
using namespace ha::raft::conformance;

namespace {

std::size_t granted_pre_votes_to(const Network& net, NodeId id) {
  return net.count_sent([id](const Message& m) {
    return m.type == MessageType::kPreVoteResponse && m.to == id && !m.reject;
  });
}

}  // namespace

TEST_CASE("with PreVote a rejoining partitioned node does not bump the term or disturb the leader",
          "[conformance][diss-9.6] a server first asks whether it could win; a partitioned one never could") {
  Network net({1, 2, 3});
  REQUIRE(net.elect(1));
  REQUIRE(net.propose(1, "a") == ProposeResult::kOk);
  net.stabilize();
  const int et = net.options().election_tick;
  net.isolate(3);
  net.clear_sent();
  net.tick_all(10 * et);
  CHECK(net.term(3) == 1);
  CHECK(net.role(3) != Role::kCandidate);
  CHECK(net.count_sent(of_type(MessageType::kVote)) == 0);
  net.recover();
  net.clear_sent();
  net.tick_all(3 * et);
  CHECK(granted_pre_votes_to(net, 3) == 0);
  CHECK(net.leader() == 1);
  for (NodeId id : {1, 2, 3}) CHECK(net.term(id) == 1);
  CHECK(net.node(3).leader() == 1);
}

TEST_CASE("without PreVote a rejoining partitioned node disrupts the leader",
          "[conformance][diss-9.6] the problem PreVote solves: an isolated server's term keeps rising") {
  Network net({1, 2, 3}, Options::paper());
  REQUIRE(net.elect(1));
  const int et = net.options().election_tick;
  net.isolate(3);
  net.tick_all(5 * et);
  CHECK(net.term(3) > 2);
  CHECK(net.term(1) == 1);
  net.recover();
  net.tick_all(3 * et);
  CHECK(net.term(1) > 1);  // the leader of term 1 was deposed although nothing was wrong
}

TEST_CASE("a pre-candidate that loses the pre-vote keeps its term",
          "[conformance][diss-9.6] a failed pre-vote changes neither the candidate's term nor anyone else's") {
  Options o;
  o.check_quorum = false;  // the log alone decides here
  Network net({1, 2, 3}, o);
  REQUIRE(net.elect(1));
  net.isolate(3);
  REQUIRE(net.propose(1, "a") == ProposeResult::kOk);
  net.stabilize();
  net.recover();
  net.crash(1);
  // Node 3's log is behind node 2's: node 2 refuses the pre-vote.
  net.clear_sent();
  net.node(3).campaign();
  net.stabilize();
  CHECK(net.count_sent([](const Message& m) {
          return m.type == MessageType::kPreVoteResponse && m.from == 2 && m.reject;
        }) == 1);
  CHECK(net.term(3) == 1);
  CHECK(net.term(2) == 1);
  CHECK(net.role(3) != Role::kCandidate);
  CHECK(net.count_sent(of_type(MessageType::kVote)) == 0);
  // Alone, it stays in term 1 however long it waits.
  net.crash(2);
  net.tick(3, 10 * net.options().election_tick);
  net.process(3);
  CHECK(net.term(3) == 1);
  // The up-to-date node wins in the very next term.
  net.restart(2);
  REQUIRE(net.elect(2));
  CHECK(net.term(2) == 2);
  net.tick(2);
  net.stabilize();
  CHECK(net.applied(3) == std::vector<std::string>{"a"});
}

TEST_CASE("a pre-vote for an up-to-date node succeeds once the leader is gone",
          "[conformance][diss-9.6] a node raises its term only after a majority granted its pre-vote") {
  Network net({1, 2, 3, 4, 5});
  REQUIRE(net.elect(1));
  REQUIRE(net.propose(1, "a") == ProposeResult::kOk);
  net.stabilize();
  net.crash(1);
  net.clear_sent();
  int ticks = 0;
  while (net.leader() == kNone && ticks++ < 200) net.tick_all();
  NodeId lead = net.leader();
  REQUIRE(lead != kNone);
  CHECK(net.term(lead) >= 2);
  // Every real election was preceded by a pre-vote for the same term that a majority granted.
  std::map<std::pair<NodeId, Term>, std::set<NodeId>> granted;  // (candidate, term) -> voters
  for (const Message& m : net.sent()) {
    if (m.type == MessageType::kPreVoteResponse && !m.reject) granted[{m.to, m.term}].insert(m.from);
    if (m.type == MessageType::kVote) {
      CAPTURE(m.from, m.term);
      CHECK(granted[{m.from, m.term}].size() + 1 >= 3);
    }
  }
  for (NodeId id = 2; id <= 5; ++id) CHECK(net.term(id) <= net.term(lead));
  REQUIRE(net.propose(lead, "b") == ProposeResult::kOk);
  net.stabilize();
  net.tick_all();
  for (NodeId id = 2; id <= 5; ++id) CHECK(net.applied(id) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("CheckQuorum makes a minority leader step down after an election timeout",
          "[conformance][diss-6.2] a leader that cannot reach a majority for an election timeout steps down") {
  Network net({1, 2, 3});
  REQUIRE(net.elect(1));
  const int et = net.options().election_tick;
  net.isolate(1);
  int ticks = 0;
  while (net.node(1).is_leader() && ticks < 5 * et) {
    net.tick(1);
    net.stabilize();
    ++ticks;
  }
  CHECK(net.role(1) == Role::kFollower);
  CHECK(ticks >= et);      // the followers were active during the first timeout
  CHECK(ticks <= 2 * et);  // but not during the second one
  CHECK(net.propose(1, "x") == ProposeResult::kNoLeader);
}

TEST_CASE("a leader that hears from a quorum stays leader",
          "[conformance][diss-6.2] CheckQuorum never deposes a leader whose majority answers") {
  Network net({1, 2, 3});
  REQUIRE(net.elect(1));
  const int et = net.options().election_tick;
  net.tick_all(10 * et);
  CHECK(net.leader() == 1);
  CHECK(net.term(1) == 1);
  net.crash(3);  // two of three still answer
  net.tick_all(10 * et);
  CHECK(net.leader() == 1);
  CHECK(net.term(1) == 1);
  net.crash(2);  // now only itself
  net.tick_all(3 * et);
  CHECK(net.role(1) == Role::kFollower);
}

TEST_CASE("a follower that hears from its leader ignores a disruptive vote request",
          "[conformance][diss-4.2.3] servers disregard RequestVote within the minimum election timeout "
          "of hearing from a current leader") {
  Options o;
  o.pre_vote = false;  // the disruptive node sends real vote requests with a higher term
  Network net({1, 2, 3}, o);
  REQUIRE(net.elect(1));
  net.tick_all();
  net.isolate(3);
  while (net.term(3) < 4) {
    net.tick(3);
    net.process(3);
  }
  net.recover();
  net.clear_sent();
  Term t3 = net.term(3);
  // Node 3's next election reaches nodes that heard from leader 1 moments ago.
  while (net.count_sent(of_type(MessageType::kVote)) == 0) {
    net.tick(3);
    net.stabilize();
  }
  CHECK(net.term(3) == t3 + 1);
  CHECK(net.term(1) == 1);
  CHECK(net.term(2) == 1);
  CHECK(net.leader() == 1);
  CHECK(net.node(2).status().hard_state.vote == 1);
  CHECK(net.count_sent(of_type(MessageType::kVoteResponse)) == 0);  // ignored, not even refused
}

TEST_CASE("a candidate stuck in a higher term is freed when the leader hears of it",
          "[conformance][diss-6.2] the higher term travels back on the heartbeat reply; the cluster re-elects") {
  Options o;
  o.pre_vote = false;
  Network net({1, 2, 3}, o);
  REQUIRE(net.elect(1));
  net.tick_all();
  net.isolate(3);
  while (net.term(3) < 4) {
    net.tick(3);
    net.process(3);
  }
  net.recover();
  Term stuck = net.term(3);
  // The leader's heartbeat reaches node 3, whose reply carries its higher term.
  net.tick(1);
  net.stabilize();
  CHECK(net.role(1) == Role::kFollower);
  CHECK(net.term(1) == stuck);
  int ticks = 0;
  while (net.leader() == kNone && ticks++ < 100) net.tick_all();
  NodeId lead = net.leader();
  REQUIRE(lead != kNone);
  CHECK(net.term(lead) > stuck);
  net.tick_all();
  for (NodeId id : {1, 2, 3}) {
    CHECK(net.term(id) == net.term(lead));
    CHECK(net.node(id).leader() == lead);
  }
}

TEST_CASE("adding a voter does not make the leader step down at once",
          "[conformance][diss-6.2] a new member gets an election timeout to answer before CheckQuorum counts it") {
  Network net({1});
  REQUIRE(net.elect(1));
  REQUIRE(net.node(1).propose_conf_change(conf_change(ConfChangeType::kAddVoter, 2)) == ProposeResult::kOk);
  net.stabilize();  // node 2 never answers: it was not started
  const int et = net.options().election_tick;
  for (int i = 0; i < et; ++i) {
    net.tick(1);
    net.stabilize();
  }
  CHECK(net.node(1).is_leader());
  for (int i = 0; i < et; ++i) {
    net.tick(1);
    net.stabilize();
  }
  CHECK(net.role(1) == Role::kFollower);
}
