// Conformance scenarios: leadership transfer (dissertation §3.10): catch the target up, send it
// TimeoutNow, refuse proposals meanwhile, give up after an election timeout.
#include <catch2/catch.hpp>

#include "tests/raft/conformance_harness.hpp"

using namespace ha::raft;
using namespace ha::raft::conformance;

TEST_CASE("a transfer to an up-to-date follower sends TimeoutNow and the target wins",
          "[conformance][diss-3.10] the target starts an election at once and wins, even inside the lease") {
  Network net({1, 2, 3});  // PreVote and CheckQuorum: the followers are inside the leader lease
  REQUIRE(net.elect(1));
  REQUIRE(net.propose(1, "a") == ProposeResult::kOk);
  net.stabilize();
  net.tick_all();
  net.clear_sent();
  REQUIRE(net.node(1).transfer_leader(2) == ProposeResult::kOk);
  net.process(1);
  auto tn = net.take(of_type(MessageType::kTimeoutNow, 1, 2));
  REQUIRE(tn.size() == 1);
  net.send(tn[0]);
  net.stabilize();
  CHECK(net.leader() == 2);
  CHECK(net.term(2) == 2);
  CHECK(net.role(1) == Role::kFollower);
  CHECK(net.node(1).leader() == 2);
  CHECK(net.count_sent(of_type(MessageType::kPreVote)) == 0);  // no pre-vote: a real election now
  for (const Message& m : net.sent()) {
    if (m.type == MessageType::kVote) CHECK(m.context == "transfer");
  }
  // And back again.
  REQUIRE(net.node(2).transfer_leader(1) == ProposeResult::kOk);
  net.stabilize();
  CHECK(net.leader() == 1);
  CHECK(net.term(1) == 3);
  REQUIRE(net.propose(1, "b") == ProposeResult::kOk);
  net.stabilize();
  CHECK(net.applied(2) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("a transfer to a lagging follower first catches it up",
          "[conformance][diss-3.10] the leader replicates to the target until its log is current, then TimeoutNow") {
  Network net({1, 2, 3});
  REQUIRE(net.elect(1));
  net.isolate(3);
  for (int i = 0; i < 5; ++i) REQUIRE(net.propose(1, "v" + std::to_string(i)) == ProposeResult::kOk);
  net.stabilize();
  net.recover();
  net.clear_sent();
  net.hold_if(of_type(MessageType::kTimeoutNow));
  REQUIRE(net.node(1).transfer_leader(3) == ProposeResult::kOk);
  net.process(1);
  CHECK(net.held().empty());  // not yet: the target lacks entries
  CHECK(net.count_sent(to_node(3)) > 0);
  net.stabilize();
  REQUIRE(net.held().size() == 1);
  CHECK(net.log_terms(3) == net.log_terms(1));  // TimeoutNow only once the target holds everything
  net.release_held();
  net.stabilize();
  CHECK(net.leader() == 3);
  CHECK(net.term(3) == 2);
  net.tick(3);
  net.stabilize();
  CHECK(net.applied(3) == net.applied(1));
}

TEST_CASE("a transfer also works when the target must first be caught up by a snapshot",
          "[conformance][diss-3.10] catching the target up may take an InstallSnapshot") {
  Network net({1, 2, 3});
  REQUIRE(net.elect(1));
  net.isolate(3);
  for (int i = 0; i < 5; ++i) REQUIRE(net.propose(1, "v" + std::to_string(i)) == ProposeResult::kOk);
  net.stabilize();
  net.compact(1, net.applied_index(1));
  net.recover();
  net.clear_sent();
  REQUIRE(net.node(1).transfer_leader(3) == ProposeResult::kOk);
  net.stabilize();
  CHECK(net.count_sent(of_type(MessageType::kSnapshot, 1, 3)) == 1);
  CHECK(net.leader() == 3);
  CHECK(net.applied(3) == net.applied(1));
}

TEST_CASE("proposals are refused while a transfer is in progress",
          "[conformance][diss-3.10] the leader stops accepting client requests during a transfer") {
  Network net({1, 2, 3});
  REQUIRE(net.elect(1));
  net.isolate(3);  // the transfer cannot finish
  REQUIRE(net.propose(1, "x") == ProposeResult::kOk);
  net.stabilize();
  REQUIRE(net.node(1).transfer_leader(3) == ProposeResult::kOk);
  net.stabilize();
  REQUIRE(net.node(1).status().lead_transferee == 3);
  Index last = net.last_index(1);
  CHECK(net.propose(1, "y") == ProposeResult::kTransferInProgress);
  REQUIRE(net.propose(2, "z") == ProposeResult::kOk);  // forwarded by a follower...
  net.stabilize();
  CHECK(net.last_index(1) == last);  // ...and dropped by the leader
  CHECK(net.node(1).propose_conf_change(conf_change(ConfChangeType::kAddLearner, 4)) != ProposeResult::kOk);
  CHECK(net.last_index(1) == last);
}

TEST_CASE("an unfinished transfer is abandoned after an election timeout",
          "[conformance][diss-3.10] if the transfer does not complete within an election timeout, "
          "the leader aborts it and resumes accepting requests") {
  Network net({1, 2, 3});
  REQUIRE(net.elect(1));
  net.isolate(3);
  REQUIRE(net.node(1).transfer_leader(3) == ProposeResult::kOk);
  const int et = net.options().election_tick;
  for (int i = 0; i < et - 1; ++i) {
    net.tick(1);
    net.stabilize();
  }
  CHECK(net.node(1).status().lead_transferee == 3);
  CHECK(net.propose(1, "early") == ProposeResult::kTransferInProgress);
  net.tick(1);
  net.stabilize();
  CHECK(net.node(1).status().lead_transferee == kNone);
  CHECK(net.node(1).is_leader());
  CHECK(net.propose(1, "late") == ProposeResult::kOk);
  net.stabilize();
  CHECK(net.applied(2) == std::vector<std::string>{"late"});
}

TEST_CASE("repeating a transfer request does not extend its deadline",
          "[conformance][diss-3.10] the election-timeout bound counts from the first request") {
  Network net({1, 2, 3});
  REQUIRE(net.elect(1));
  net.isolate(3);
  REQUIRE(net.node(1).transfer_leader(3) == ProposeResult::kOk);
  const int et = net.options().election_tick;
  for (int i = 0; i < et / 2; ++i) {
    net.tick(1);
    net.stabilize();
  }
  REQUIRE(net.node(1).transfer_leader(3) == ProposeResult::kOk);
  for (int i = et / 2; i < et; ++i) {
    net.tick(1);
    net.stabilize();
  }
  CHECK(net.node(1).status().lead_transferee == kNone);
  CHECK(net.node(1).is_leader());
}

TEST_CASE("a transfer to itself, to a learner or to a stranger is refused",
          "[conformance][diss-3.10] only another voter can take over leadership") {
  Network net({1, 2, 3}, Options{}, {4});
  REQUIRE(net.elect(1));
  net.clear_sent();
  net.node(1).transfer_leader(1);
  net.stabilize();
  CHECK(net.node(1).status().lead_transferee == kNone);
  CHECK(net.count_sent(of_type(MessageType::kTimeoutNow)) == 0);
  CHECK(net.node(1).is_leader());
  CHECK(net.node(1).transfer_leader(4) == ProposeResult::kInvalid);
  CHECK(net.node(1).transfer_leader(9) == ProposeResult::kInvalid);
  CHECK(net.node(2).transfer_leader(3) == ProposeResult::kNotLeader);
  CHECK(net.node(1).status().lead_transferee == kNone);
  CHECK(net.propose(1, "still-leading") == ProposeResult::kOk);
  // A learner that gets a TimeoutNow anyway does not campaign.
  Message tn;
  tn.type = MessageType::kTimeoutNow;
  tn.from = 1;
  tn.to = 4;
  tn.term = net.term(1);
  net.step(tn);
  net.stabilize();
  CHECK(net.role(4) == Role::kFollower);
  CHECK(net.count_sent([](const Message& m) {
          return m.from == 4 && (m.type == MessageType::kVote || m.type == MessageType::kPreVote);
        }) == 0);
  CHECK(net.leader() == 1);
}

TEST_CASE("a follower forwards a transfer request to the leader with the transferee intact",
          "[conformance][diss-3.10]a transfer request reaching a follower is redirected to the leader") {
  Network net({1, 2, 3});
  REQUIRE(net.elect(1));
  net.tick_all();
  Message req;
  req.type = MessageType::kTransferLeader;
  req.from = 3;  // the transferee travels in `from`
  req.to = 2;
  net.node(2).step(req);
  net.process(2);
  auto fwd = net.take(of_type(MessageType::kTransferLeader));
  REQUIRE(fwd.size() == 1);
  CHECK(fwd[0].to == 1);
  CHECK(fwd[0].from == 3);
  net.send(fwd[0]);
  net.stabilize();
  CHECK(net.leader() == 3);
}
