// Conformance scenarios: log replication (Raft paper §5.2 heartbeats, §5.3 AppendEntries,
// consistency check, repair, flow control and batching).
#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/raft/conformance_harness.hpp"

using namespace ha::raft;
using namespace ha::raft::conformance;

namespace {

const ConfState kThree{{1, 2, 3}, {}};

// The length of the common prefix of two nodes' persisted logs (same index, same term).
Index matching_prefix(Network& net, NodeId a, NodeId b) {
  std::vector<Entry> la = net.log(a);
  std::vector<Entry> lb = net.log(b);
  Index n = 0;
  while (n < la.size() && n < lb.size() && la[n].term == lb[n].term && la[n].index == lb[n].index) ++n;
  return n;
}

}  // namespace

TEST_CASE("a follower rejects an append whose previous entry does not match",
          "[conformance][5.3] the consistency check: reject if the log has no entry at prevLogIndex "
          "with prevLogTerm, with a hint for the leader") {
  struct Case {
    Term prev_term;
    Index prev_index;
    Index want_index;
    bool reject;
    Index hint;
    Term hint_term;
  };
  // Follower log [t1@1, t2@2], commit 1.
  const Case cases[] = {
      {0, 0, 1, false, 0, 0},  // below the commit: answered with the commit index
      {1, 1, 1, false, 0, 0},
      {2, 2, 2, false, 0, 0},
      {1, 2, 2, true, 1, 1},  // term mismatch at 2: the hint is the last index with term <= 1
      {3, 3, 3, true, 2, 2},  // beyond the log: the hint is the follower's last entry
  };
  for (const Case& c : cases) {
    CAPTURE(c.prev_term, c.prev_index);
    Network net({1, 2, 3});
    net.install(1, storage_with_log(kThree, {1, 2}, HardState{2, kNone, 1}));
    net.step(make_append(2, 1, 2, c.prev_index, c.prev_term, {}, 1));
    auto out = net.take(from_node(1));
    REQUIRE(out.size() == 1);
    CHECK(out[0].type == MessageType::kAppendResponse);
    CHECK(out[0].to == 2);
    CHECK(out[0].term == 2);
    CHECK(out[0].index == c.want_index);
    CHECK(out[0].reject == c.reject);
    if (c.reject) {
      CHECK(out[0].reject_hint == c.hint);
      CHECK(out[0].log_term == c.hint_term);
    }
    CHECK(net.log_terms(1) == std::vector<Term>{1, 2});  // a rejected append changes nothing
  }
}

TEST_CASE("a conflicting suffix is deleted and replaced by the leader's entries",
          "[conformance][5.3] if an existing entry conflicts with a new one, delete it and all that follow") {
  struct Case {
    Index prev_index;
    Term prev_term;
    std::vector<Term> entries;  // from prev_index + 1
    std::vector<Term> want_log;
    std::vector<Term> want_written;
  };
  const Case cases[] = {
      {2, 2, {3}, {1, 2, 3}, {3}},
      {1, 1, {3, 4}, {1, 3, 4}, {3, 4}},
      {0, 0, {3}, {3}, {3}},  // a conflict at index 1 replaces the whole log
  };
  for (const Case& c : cases) {
    CAPTURE(c.prev_index, c.entries);
    Network net({1, 2, 3});
    net.install(1, storage_with_log(kThree, {1, 2}, HardState{2, kNone, 0}));
    net.node(1).step(make_append(2, 1, 4, c.prev_index, c.prev_term, make_entries(c.prev_index + 1, c.entries), 0));
    REQUIRE(net.node(1).has_ready());
    Ready rd = net.node(1).ready();
    std::vector<Term> written;
    for (const Entry& e : rd.entries) written.push_back(e.term);
    CHECK(written == c.want_written);
    CHECK(rd.must_sync);
    net.handle_ready(1, rd);
    CHECK(net.log_terms(1) == c.want_log);
  }
}

TEST_CASE("entries the follower already has are not rewritten",
          "[conformance][5.3] append only entries not already in the log; a matching append never truncates") {
  struct Case {
    Index prev_index;
    Term prev_term;
    std::vector<Term> entries;
  };
  const Case cases[] = {{0, 0, {1}}, {1, 1, {2}}, {0, 0, {1, 2}}, {1, 1, {}}};
  for (const Case& c : cases) {
    CAPTURE(c.prev_index, c.entries);
    Network net({1, 2, 3});
    // The follower's log is longer than the (delayed, duplicate) append.
    net.install(1, storage_with_log(kThree, {1, 2, 2}, HardState{2, kNone, 0}));
    net.node(1).step(make_append(2, 1, 2, c.prev_index, c.prev_term, make_entries(c.prev_index + 1, c.entries), 0));
    Ready rd = net.node(1).ready();
    CHECK(rd.entries.empty());
    net.handle_ready(1, rd);
    CHECK(net.log_terms(1) == std::vector<Term>{1, 2, 2});
    auto out = net.take(from_node(1));
    REQUIRE(out.size() == 1);
    CHECK_FALSE(out[0].reject);
    CHECK(out[0].index == c.prev_index + c.entries.size());  // acknowledges only what it was sent
  }
}

TEST_CASE("a leader repairs each of the six Figure 7 follower logs",
          "[conformance][5.3] the leader forces followers' logs to duplicate its own (Figure 7 a-f)") {
  const std::vector<Term> leader_log = {1, 1, 1, 4, 4, 5, 5, 6, 6, 6};
  const std::vector<std::vector<Term>> followers = {
      {1, 1, 1, 4, 4, 5, 5, 6, 6},           // (a) missing one entry
      {1, 1, 1, 4},                          // (b) missing many
      {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6},     // (c) an extra uncommitted entry
      {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7},  // (d) extra entries of a later term
      {1, 1, 1, 4, 4, 4, 4},                 // (e) a divergent term-4 tail
      {1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3},     // (f) divergent terms 2 and 3
  };
  char which = 'a';
  for (const auto& f : followers) {
    CAPTURE(which++);
    Network net({1, 2, 3}, Options::paper());
    net.install(1, storage_with_log(kThree, leader_log, HardState{8, kNone, 0}));
    net.install(2, storage_with_log(kThree, f, HardState{8, kNone, 0}));
    net.install(3, storage_with_log(kThree, {}, HardState{8, kNone, 0}));
    REQUIRE(net.elect(1));  // node 3 supplies the second vote
    REQUIRE(net.propose(1, "x") == ProposeResult::kOk);
    net.stabilize();
    std::vector<Term> want = leader_log;
    want.push_back(9);
    want.push_back(9);
    CHECK(net.log_terms(1) == want);
    CHECK(net.log_terms(2) == want);
    CHECK(net.commit(2) == want.size());
    CHECK(net.applied(2).back() == "x");
  }
}

TEST_CASE("a rejection hint lets the leader skip a whole conflicting term in one round trip",
          "[conformance][5.3] the follower returns the conflicting term and its first index (fast backtracking)") {
  const ConfState two{{1, 2}, {}};
  Network net({1, 2}, Options::paper());
  net.install(1, storage_with_log(two, {1, 2, 2, 4, 4, 4, 4}, HardState{4, kNone, 0}));
  net.install(2, storage_with_log(two, {1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3}, HardState{4, kNone, 0}));
  REQUIRE(net.elect(1));
  std::vector<Message> appends;
  std::size_t rejections = 0;
  for (const Message& m : net.sent()) {
    if (m.type == MessageType::kAppend && m.to == 2) appends.push_back(m);
    if (m.type == MessageType::kAppendResponse && m.from == 2 && m.reject) {
      ++rejections;
      CHECK(m.reject_hint == 7);  // its last entry with term <= 4
      CHECK(m.log_term == 3);
    }
  }
  CHECK(rejections == 1);
  REQUIRE(appends.size() >= 2);
  CHECK(appends[0].index == 7);
  CHECK(appends[0].log_term == 4);
  // The next probe goes straight past the follower's whole term-3 run.
  CHECK(appends[1].index == 3);
  CHECK(appends[1].log_term == 2);
  CHECK(net.log_terms(2) == std::vector<Term>{1, 2, 2, 4, 4, 4, 4, 5});
}

TEST_CASE("reordered appends do not corrupt the leader's view of a follower",
          "[conformance][5.3] match never exceeds what the follower really holds; stale replies are ignored") {
  Network net({1, 2, 3}, Options::paper());
  REQUIRE(net.elect(1));
  REQUIRE(net.peer(1, 2).state == std::string("replicate"));
  net.hold_if(of_type(MessageType::kAppend, 1, 2));
  REQUIRE(net.propose(1, "a") == ProposeResult::kOk);
  REQUIRE(net.propose(1, "b") == ProposeResult::kOk);
  net.process_all();
  std::vector<Message> held = net.held();
  net.held().clear();
  net.hold_if({});
  REQUIRE(held.size() == 2);
  auto check_match = [&] {
    PeerStatus p = net.peer(1, 2);
    CHECK(p.match <= matching_prefix(net, 1, 2));
  };
  // The second append arrives first (rejected: a gap), then the first one.
  net.step(held[1]);
  net.step(held[0]);
  check_match();
  auto replies = net.take(from_node(2));
  REQUIRE(replies.size() == 2);
  CHECK(replies[0].reject);
  CHECK_FALSE(replies[1].reject);
  // The replies reach the leader in reverse order too.
  net.step(replies[1]);
  check_match();
  net.step(replies[0]);
  check_match();
  CHECK(net.peer(1, 2).match >= 2);
  for (int i = 0; i < 3; ++i) {
    net.tick(1);
    net.stabilize();
    check_match();
  }
  CHECK(net.log_terms(2) == net.log_terms(1));
  CHECK(net.peer(1, 2).match == net.last_index(1));
  CHECK(net.applied(2) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("a leader keeps at most max_inflight_msgs appends unacknowledged per follower",
          "[conformance][5.3] flow control: replication pauses when the in-flight window is full") {
  Options o = Options::paper();
  o.max_inflight_msgs = 3;
  Network net({1, 2, 3}, o);
  REQUIRE(net.elect(1));
  REQUIRE(net.peer(1, 2).state == std::string("replicate"));
  net.hold_if(of_type(MessageType::kAppend, 1, 2));
  auto with_entries = [&net] {
    std::vector<Message> out;
    for (const Message& m : net.held()) {
      if (!m.entries.empty()) out.push_back(m);
    }
    return out;
  };
  std::size_t held_when_full = 0;
  for (int i = 0; i < 10; ++i) {
    REQUIRE(net.propose(1, "p" + std::to_string(i)) == ProposeResult::kOk);
    net.stabilize();
    CHECK(with_entries().size() == std::min<std::size_t>(static_cast<std::size_t>(i) + 1, 3));
    // Once the window is full the follower is paused: nothing more is sent to it, not even
    // an empty append carrying the new commit index.
    if (i == 2) held_when_full = net.held().size();
    if (i > 2) CHECK(net.held().size() == held_when_full);
  }
  CHECK(net.commit(1) == 11);  // node 3 keeps the quorum going
  // Acknowledging the first append frees one slot: the backlog goes out in one append.
  Message first = with_entries().front();
  net.held().clear();
  net.step(first);
  net.stabilize();
  REQUIRE(with_entries().size() == 1);
  const Message last = with_entries().back();
  CHECK(last.entries.size() == 7);
  CHECK(last.entries.front().index == 5);
  CHECK(last.entries.back().index == 11);
  net.release_held();
  net.stabilize();
  net.tick(1);
  net.stabilize();
  CHECK(net.log_terms(2) == net.log_terms(1));
}

TEST_CASE("a leader probing a follower sends one append at a time until it answers",
          "[conformance][5.3] flow control: in probe state at most one append is outstanding") {
  Network net({1, 2, 3}, Options::paper());
  net.hold_if(of_type(MessageType::kAppend, 1, 2));
  REQUIRE(net.elect(1));
  CHECK(net.peer(1, 2).state == std::string("probe"));
  for (int i = 0; i < 5; ++i) REQUIRE(net.propose(1, "p" + std::to_string(i)) == ProposeResult::kOk);
  net.stabilize();
  CHECK(net.held().size() == 1);
  CHECK(net.commit(1) == 6);
  // Once the probe is answered, everything the follower misses goes out in one append.
  Message probe = net.held().front();
  net.held().clear();
  net.step(probe);
  net.stabilize();
  REQUIRE(net.held().size() == 1);
  CHECK(net.held().front().entries.size() == 5);
  CHECK(net.peer(1, 2).state == std::string("replicate"));
  net.release_held();
  net.stabilize();
  CHECK(net.log_terms(2) == net.log_terms(1));
}

TEST_CASE("many proposals are batched into one append, within max_size_per_msg",
          "[conformance][5.3] AppendEntries carries many entries; a message stays within the size limit") {
  Network net({1, 2, 3}, Options::paper());
  REQUIRE(net.elect(1));
  net.clear_sent();
  std::vector<std::string> batch;
  for (int i = 0; i < 100; ++i) batch.push_back("b" + std::to_string(i));
  REQUIRE(net.node(1).propose_batch(batch) == ProposeResult::kOk);
  net.process(1);
  for (NodeId peer : {2, 3}) {
    auto out = net.take(of_type(MessageType::kAppend, 1, peer));
    REQUIRE(out.size() == 1);
    CHECK(out[0].entries.size() == 100);
  }

  Options o = Options::paper();
  o.max_size_per_msg = 10 * (24 + 2);  // ten two-byte entries
  Network small({1, 2, 3}, o);
  REQUIRE(small.elect(1));
  small.clear_sent();
  batch.clear();
  for (int i = 0; i < 100; ++i) batch.push_back(std::string(2, static_cast<char>('a' + i % 26)));
  REQUIRE(small.node(1).propose_batch(batch) == ProposeResult::kOk);
  small.stabilize();
  std::size_t appends = 0;
  for (const Message& m : small.sent()) {
    if (m.type != MessageType::kAppend || m.to != 2 || m.entries.empty()) continue;
    ++appends;
    CHECK(m.entries.size() <= 10);
  }
  CHECK(appends >= 10);
  CHECK(small.applied(2).size() == 100);
}

TEST_CASE("a commit-only append superseded by a later append in the same Ready is not sent",
          "[conformance][5.3] the later append carries the same commit index, so one message per "
          "follower is enough (dropping a message never breaks safety)") {
  Network net({1, 2, 3}, Options::paper());
  REQUIRE(net.elect(1));
  REQUIRE(net.propose(1, "a") == ProposeResult::kOk);
  net.process(1);
  const Index a = net.last_index(1);
  for (NodeId peer : {2, 3}) {
    auto app = net.take(of_type(MessageType::kAppend, 1, peer));
    REQUIRE(app.size() == 1);
    net.step(app[0]);
  }
  auto acks = net.take(of_type(MessageType::kAppendResponse));
  REQUIRE(acks.size() == 2);
  // One ack commits "a" (an empty append to each follower would tell them), and "b" is proposed
  // before the leader's next Ready: each follower gets one append, with "b" and commit = a.
  net.node(1).step(acks[0]);
  REQUIRE(net.node(1).propose("b") == ProposeResult::kOk);
  net.process(1);
  for (NodeId peer : {2, 3}) {
    std::vector<Message> out;
    for (const Message& m : net.queue()) {
      if (m.type == MessageType::kAppend && m.from == 1 && m.to == peer) out.push_back(m);
    }
    REQUIRE(out.size() == 1);
    REQUIRE(out[0].entries.size() == 1);
    CHECK(out[0].entries[0].data == "b");
    CHECK(out[0].commit == a);
  }
  // The other ack arrives late; nothing is lost: both followers get both entries and the commit.
  net.stabilize();
  net.node(1).step(acks[1]);
  net.stabilize();
  net.tick_all(1);
  CHECK(net.commit(2) == a + 1);
  CHECK(net.commit(3) == a + 1);
  CHECK(net.applied(3) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("the leader sends a heartbeat to every follower each heartbeat interval",
          "[conformance][5.2] leaders send periodic heartbeats (AppendEntries without entries)") {
  Network net({1, 2, 3}, Options::paper());
  REQUIRE(net.elect(1));
  for (int round = 0; round < 3; ++round) {
    net.clear_sent();
    net.tick(1);
    net.process(1);
    for (NodeId peer : {2, 3}) {
      auto out = net.take(of_type(MessageType::kHeartbeat, 1, peer));
      REQUIRE(out.size() == 1);
      CHECK(out[0].term == 1);
      CHECK(out[0].entries.empty());
    }
    net.stabilize();
  }
}

TEST_CASE("a heartbeat carries commit = min(follower's match, leader's commit)",
          "[conformance][5.3] a follower is never told to commit entries it may not have") {
  Network net({1, 2, 3}, Options::paper());
  REQUIRE(net.elect(1));
  net.drop_if(of_type(MessageType::kAppend, 1, 3));
  REQUIRE(net.propose(1, "a") == ProposeResult::kOk);
  REQUIRE(net.propose(1, "b") == ProposeResult::kOk);
  net.stabilize();
  REQUIRE(net.commit(1) == 3);
  REQUIRE(net.peer(1, 3).match == 1);
  net.tick(1);
  net.process(1);
  auto to2 = net.take(of_type(MessageType::kHeartbeat, 1, 2));
  auto to3 = net.take(of_type(MessageType::kHeartbeat, 1, 3));
  REQUIRE(to2.size() == 1);
  REQUIRE(to3.size() == 1);
  CHECK(to2[0].commit == 3);
  CHECK(to3[0].commit == 1);
}

TEST_CASE("the leader re-sends missing entries when a lagging follower answers a heartbeat",
          "[conformance][5.3] the leader retries AppendEntries until the follower stores every entry") {
  Network net({1, 2, 3}, Options::paper());
  REQUIRE(net.elect(1));
  net.drop_if(of_type(MessageType::kAppend, 1, 3));
  for (int i = 0; i < 4; ++i) REQUIRE(net.propose(1, "p" + std::to_string(i)) == ProposeResult::kOk);
  net.stabilize();
  REQUIRE(net.last_index(3) == 1);
  net.recover();
  // No new proposal: one heartbeat round is enough to trigger the repair.
  net.tick(1);
  net.stabilize();
  CHECK(net.log_terms(3) == net.log_terms(1));
  net.tick(1);
  net.stabilize();
  CHECK(net.applied(3) == net.applied(1));
}

TEST_CASE("a follower forwards a proposal to the leader",
          "[conformance][5.3] clients may contact any server; followers redirect to the leader") {
  Network net({1, 2, 3}, Options::paper());
  CHECK(net.propose(2, "lost") == ProposeResult::kNoLeader);
  REQUIRE(net.elect(1));
  net.clear_sent();
  REQUIRE(net.propose(2, "x") == ProposeResult::kOk);
  net.process(2);
  auto fwd = net.take(of_type(MessageType::kPropose, 2, 1));
  REQUIRE(fwd.size() == 1);
  CHECK(fwd[0].term == 0);
  net.step(fwd[0]);
  net.stabilize();
  for (NodeId id : {1, 2, 3}) CHECK(net.applied(id) == std::vector<std::string>{"x"});
}

TEST_CASE("committed entries are applied by every node in the same order",
          "[conformance][5.3] state machine safety: all servers apply the same commands in log order") {
  Network net({1, 2, 3, 4, 5});
  REQUIRE(net.elect(1));
  std::vector<std::string> want;
  for (int i = 0; i < 20; ++i) {
    std::string v = "v" + std::to_string(i);
    want.push_back(v);
    REQUIRE(net.propose(NodeId{1} + static_cast<NodeId>(i % 5), v) == ProposeResult::kOk);
    if (i % 3 == 0) net.stabilize();
  }
  net.stabilize();
  net.tick_all();
  // Forwarded proposals may be ordered differently from their submission; every node applies
  // the one order the log fixed.
  std::vector<std::string> got = net.applied(1);
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  CHECK(got == want);
  for (NodeId id = 2; id <= 5; ++id) {
    CAPTURE(id);
    CHECK(net.applied(id) == net.applied(1));
    CHECK(net.log_terms(id) == net.log_terms(1));
  }
}
