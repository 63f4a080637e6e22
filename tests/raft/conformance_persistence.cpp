// Conformance scenarios: the persistence contract (Raft paper Figure 2, "persistent state on all
// servers, updated on stable storage before responding to RPCs") and restarts from storage.
#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/raft/conformance_harness.hpp"

using namespace ha::raft;
using namespace ha::raft::conformance;

namespace {

const Message* find(const std::vector<Message>& msgs, MessageType t) {
  auto it = std::find_if(msgs.begin(), msgs.end(), [t](const Message& m) { return m.type == t; });
  return it == msgs.end() ? nullptr : &*it;
}

}  // namespace

TEST_CASE("a vote is handed out for syncing in the same Ready as the vote response",
          "[conformance][fig-2] currentTerm and votedFor are on stable storage before a vote is answered") {
  Network net({1, 2, 3}, Options::paper());
  // The voter.
  net.node(2).step(make_vote(MessageType::kVote, 1, 2, 1, 0, 0));
  Ready rd = net.node(2).ready();
  REQUIRE(rd.hard_state.has_value());
  CHECK(rd.hard_state->term == 1);
  CHECK(rd.hard_state->vote == 1);
  CHECK(rd.must_sync);
  const Message* resp = find(rd.messages, MessageType::kVoteResponse);
  REQUIRE(resp != nullptr);
  CHECK_FALSE(resp->reject);
  CHECK(net.storage(2).initial_state().hard_state.vote == kNone);  // nothing durable before the driver acts
  net.handle_ready(2, rd);
  CHECK(net.storage(2).initial_state().hard_state == HardState{1, 1, 0});

  // The candidate's own vote, with its vote requests.
  net.node(3).campaign();
  Ready cand = net.node(3).ready();
  REQUIRE(cand.hard_state.has_value());
  CHECK(cand.hard_state->term == 1);
  CHECK(cand.hard_state->vote == 3);
  CHECK(cand.must_sync);
  CHECK(find(cand.messages, MessageType::kVote) != nullptr);
  net.handle_ready(3, cand);

  // A pre-vote changes nothing durable, so it needs no sync.
  Options o = Options::paper();
  o.pre_vote = true;
  Network pv({1, 2, 3}, o);
  pv.node(2).step(make_vote(MessageType::kPreVote, 1, 2, 1, 0, 0));
  Ready p = pv.node(2).ready();
  CHECK_FALSE(p.hard_state.has_value());
  CHECK_FALSE(p.must_sync);
  const Message* presp = find(p.messages, MessageType::kPreVoteResponse);
  REQUIRE(presp != nullptr);
  CHECK_FALSE(presp->reject);
  pv.handle_ready(2, p);
}

TEST_CASE("appended entries are handed out for syncing in the same Ready as their acknowledgement",
          "[conformance][fig-2] log entries are on stable storage before AppendEntries succeeds") {
  Network net({1, 2, 3}, Options::paper());
  net.node(1).step(make_append(2, 1, 1, 0, 0, make_entries(1, {1, 1}), 0));
  Ready rd = net.node(1).ready();
  CHECK(rd.entries.size() == 2);
  CHECK(rd.must_sync);
  const Message* ack = find(rd.messages, MessageType::kAppendResponse);
  REQUIRE(ack != nullptr);
  CHECK(ack->index == 2);
  net.handle_ready(1, rd);
  CHECK(net.storage(1).last_index() == 2);

  // The leader's own new entries go out for syncing with the appends that carry them.
  REQUIRE(net.elect(2));
  REQUIRE(net.propose(2, "x") == ProposeResult::kOk);
  Ready lr = net.node(2).ready();
  REQUIRE(lr.entries.size() == 1);
  CHECK(lr.entries[0].data == "x");
  CHECK(lr.must_sync);
  CHECK(find(lr.messages, MessageType::kAppend) != nullptr);
  net.handle_ready(2, lr);
}

TEST_CASE("a restart from storage restores term, vote, log and commit",
          "[conformance][fig-2] a server that restarts resumes from its persistent state") {
  Network net({1, 2, 3});
  REQUIRE(net.elect(1));
  for (const char* v : {"a", "b", "c"}) REQUIRE(net.propose(1, v) == ProposeResult::kOk);
  net.stabilize();
  net.tick_all();
  Status before = net.node(2).status();
  std::vector<Term> log_before = net.log_terms(2);
  REQUIRE(before.hard_state.commit == 4);

  net.crash(2);
  net.restart(2);
  Status after = net.node(2).status();
  CHECK(after.hard_state == before.hard_state);
  CHECK(net.log_terms(2) == log_before);
  CHECK(net.role(2) == Role::kFollower);
  CHECK(net.node(2).leader() == kNone);
  net.process(2);
  CHECK(net.applied(2) == std::vector<std::string>{"a", "b", "c"});  // re-applied from the log

  // A restarted leader comes back as a follower of its term and rejoins.
  Term t = net.term(1);
  net.crash(1);
  net.restart(1);
  CHECK(net.role(1) == Role::kFollower);
  CHECK(net.term(1) == t);
  CHECK(net.node(1).status().hard_state.vote == 1);
  int ticks = 0;
  while (net.leader() == kNone && ticks++ < 100) net.tick_all();
  REQUIRE(net.leader() != kNone);
  REQUIRE(net.propose(net.leader(), "d") == ProposeResult::kOk);
  net.stabilize();
  net.tick_all();
  for (NodeId id : {1, 2, 3}) CHECK(net.applied(id) == std::vector<std::string>{"a", "b", "c", "d"});
}

TEST_CASE("a restarted node does not vote twice in a term",
          "[conformance][fig-2] votedFor survives a crash, so one vote per term holds across restarts") {
  Network net({1, 2, 3}, Options::paper());
  net.step(make_vote(MessageType::kVote, 1, 3, 5, 0, 0));
  auto first = net.take(from_node(3));
  REQUIRE(first.size() == 1);
  REQUIRE_FALSE(first[0].reject);

  net.crash(3);
  net.restart(3);
  net.step(make_vote(MessageType::kVote, 2, 3, 5, 0, 0));
  auto second = net.take(from_node(3));
  REQUIRE(second.size() == 1);
  CHECK(second[0].reject);
  // The same candidate asking again (a retry) is granted again.
  net.step(make_vote(MessageType::kVote, 1, 3, 5, 0, 0));
  auto retry = net.take(from_node(3));
  REQUIRE(retry.size() == 1);
  CHECK_FALSE(retry[0].reject);

  // A vote whose Ready was never persisted was never sent either: after the crash the node is
  // free to vote, and nobody saw the lost one.
  Network lost({1, 2, 3}, Options::paper());
  lost.node(3).step(make_vote(MessageType::kVote, 1, 3, 5, 0, 0));
  lost.crash(3);
  CHECK(lost.count_sent(from_node(3)) == 0);
  lost.restart(3);
  lost.step(make_vote(MessageType::kVote, 2, 3, 5, 0, 0));
  auto fresh = lost.take(from_node(3));
  REQUIRE(fresh.size() == 1);
  CHECK_FALSE(fresh[0].reject);
}
