// Conformance scenarios: when entries commit (Raft paper §5.3 and §5.4.2, Figure 8).
#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/raft/conformance_harness.hpp"

using namespace ha::raft;
using namespace ha::raft::conformance;

namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool carries_index(const Message& m, Index i) {
  return std::any_of(m.entries.begin(), m.entries.end(), [i](const Entry& e) { return e.index == i; });
}

}  // namespace

TEST_CASE("an entry commits once a majority of 1, 3 or 5 voters store it",
          "[conformance][5.3] a log entry is committed once the leader replicated it on a majority") {
  struct Case {
    std::size_t size;
    std::vector<NodeId> acks;  // followers that receive the entry
    bool commits;
  };
  const Case cases[] = {
      {1, {}, true},           {3, {}, false},          {3, {2}, true},      {3, {2, 3}, true},
      {5, {}, false},          {5, {2}, false},         {5, {2, 3}, true},   {5, {2, 3, 4}, true},
      {5, {2, 3, 4, 5}, true},
  };
  for (const Case& c : cases) {
    CAPTURE(c.size, c.acks);
    std::vector<NodeId> voters;
    for (NodeId id = 1; id <= c.size; ++id) voters.push_back(id);
    Network net(voters, Options::paper());
    REQUIRE(net.elect(1));
    REQUIRE(net.commit(1) == 1);
    std::vector<NodeId> acks = c.acks;
    net.drop_if([acks](const Message& m) {
      return m.type == MessageType::kAppend && std::find(acks.begin(), acks.end(), m.to) == acks.end();
    });
    REQUIRE(net.propose(1, "x") == ProposeResult::kOk);
    net.stabilize();
    CHECK((net.commit(1) == 2) == c.commits);
    CHECK(contains(net.applied(1), "x") == c.commits);
  }
}

TEST_CASE("a leader does not commit an entry of an earlier term by counting replicas",
          "[conformance][5.4.2] only log entries from the leader's current term are committed by counting") {
  const ConfState two{{1, 2}, {}};
  for (bool fault : {false, true}) {
    for (Index acked : {Index{1}, Index{2}, Index{3}}) {
      CAPTURE(fault, acked);
      Options o = Options::paper();
      o.faults.commit_old_term_by_counting = fault;
      Network net({1, 2}, o);
      net.install(1, storage_with_log(two, {1, 2}, HardState{2, kNone, 0}));
      net.install(2, storage_with_log(two, {}, HardState{2, kNone, 0}));
      net.hold_if(of_type(MessageType::kAppend, 1, 2));
      REQUIRE(net.elect(1));
      REQUIRE(net.term(1) == 3);  // its no-op is t3@3
      Message ack;
      ack.type = MessageType::kAppendResponse;
      ack.from = 2;
      ack.to = 1;
      ack.term = 3;
      ack.index = acked;
      net.step(ack);
      Index want = acked == 3 ? 3 : (fault ? acked : 0);
      CHECK(net.commit(1) == want);
    }
  }
}

namespace {

struct Figure8Outcome {
  Index s1_commit_with_old_entry_on_majority = 0;
  std::size_t holders_of_old_entry = 0;
  std::vector<std::vector<std::string>> applied;  // per node 1..5 at the end
  std::vector<std::vector<Term>> logs;            // nodes 2..5 at the end
};

// The history of the paper's Figure 8 with five servers (every leader's first entry is its
// no-op, so index 2 plays the role of the figure's index 2):
// (a) S1 leads term 1 and replicates "x" at index 2 to S2 only; (b) S1 crashes, S5 wins term 2
// with S3, S4 and appends its own index 2 alone; (c) S5 crashes, S1 returns, wins term 3 and
// replicates "x" to S3 and S4: a majority holds it, but not S1's term-3 entry; (d) S1 crashes,
// S5 returns and wins (its last term 2 beats their 1), overwriting index 2 everywhere.
Figure8Outcome run_figure8(bool fault) {
  Options o = Options::paper();
  o.max_size_per_msg = 1;  // one entry per append: replication advances entry by entry
  o.faults.commit_old_term_by_counting = fault;
  Network net({1, 2, 3, 4, 5}, o);
  Figure8Outcome out;
  REQUIRE(net.elect(1));
  // (a)
  for (NodeId id : {3, 4, 5}) net.cut(1, id);
  REQUIRE(net.propose(1, "x") == ProposeResult::kOk);
  net.stabilize();
  REQUIRE(net.commit(1) == 1);
  // (b)
  net.crash(1);
  net.recover();
  net.drop_if(of_type(MessageType::kAppend));
  REQUIRE(net.elect(5));
  REQUIRE(net.term(5) == 2);
  // (c) S1 is back; its appends that carry index 3 (its term-3 no-op) get lost once the
  // follower holds index 2, so "x" spreads while no term-3 entry reaches a majority.
  net.crash(5);
  net.restart(1);
  net.recover();
  net.drop_if([&net](const Message& m) {
    return m.type == MessageType::kAppend && m.from == 1 && carries_index(m, 3) && net.running(m.to) &&
           net.storage(m.to).last_index() >= 2;
  });
  for (int i = 0; i < 3 && !net.node(1).is_leader(); ++i) net.elect(1);
  REQUIRE(net.node(1).is_leader());
  REQUIRE(net.term(1) == 3);
  for (NodeId id = 1; id <= 4; ++id) {
    std::vector<Entry> log = net.log(id);
    if (log.size() >= 2 && log[1].data == "x") ++out.holders_of_old_entry;
  }
  out.s1_commit_with_old_entry_on_majority = net.commit(1);
  // (d)
  net.crash(1);
  net.restart(5);
  net.recover();
  for (int i = 0; i < 3 && !net.node(5).is_leader(); ++i) net.elect(5);
  REQUIRE(net.node(5).is_leader());
  net.tick(5);
  net.stabilize();
  for (NodeId id = 1; id <= 5; ++id) out.applied.push_back(net.applied(id));
  for (NodeId id = 2; id <= 5; ++id) out.logs.push_back(net.log_terms(id));
  return out;
}

}  // namespace

TEST_CASE("the Figure 8 history never commits an old-term entry that a later leader overwrites",
          "[conformance][5.4.2] an entry from a previous term stored on a majority is not committed") {
  Figure8Outcome ok = run_figure8(false);
  CHECK(ok.holders_of_old_entry >= 3);  // "x" sat on a majority...
  CHECK(ok.s1_commit_with_old_entry_on_majority == 1);  // ...and was rightly not committed
  for (const auto& terms : ok.logs) CHECK(terms == std::vector<Term>{1, 2, 4});  // S5 overwrote it
  for (const auto& applied : ok.applied) CHECK_FALSE(contains(applied, "x"));

  // The same history with the deliberate fault (commit by counting): S1 applies "x", which the
  // next leader then erases: the check above is what catches it.
  Figure8Outcome bad = run_figure8(true);
  CHECK(bad.s1_commit_with_old_entry_on_majority == 2);
  CHECK(contains(bad.applied[0], "x"));
  for (const auto& terms : bad.logs) CHECK(terms == std::vector<Term>{1, 2, 4});
}

TEST_CASE("a new leader's no-op commits the entries left by earlier terms",
          "[conformance][5.4.2] once an entry of the current term commits, all prior entries are committed") {
  Network net({1, 2, 3, 4, 5}, Options::paper());
  REQUIRE(net.elect(1));
  for (NodeId id : {3, 4, 5}) net.cut(1, id);
  REQUIRE(net.propose(1, "a") == ProposeResult::kOk);
  REQUIRE(net.propose(1, "b") == ProposeResult::kOk);
  net.stabilize();
  REQUIRE(net.commit(1) == 1);
  net.recover();
  net.crash(1);
  // Node 2 wins but its appends are lost: the old entries sit on a majority only after it
  // replicates them, and they still need its own no-op.
  net.drop_if(of_type(MessageType::kAppend));
  REQUIRE(net.elect(2));
  CHECK(net.commit(2) == 1);
  net.recover();
  net.tick(2);
  net.stabilize();
  for (NodeId id = 2; id <= 5; ++id) {
    CAPTURE(id);
    CHECK(net.commit(id) == 4);
    CHECK(net.applied(id) == std::vector<std::string>{"a", "b"});
  }
}

TEST_CASE("a leader commits older-term entries together with its own, in log order",
          "[conformance][5.4.2] committing an entry commits all preceding entries in the leader's log") {
  const std::vector<std::vector<Term>> prefixes = {{}, {2}, {1, 2}, {1}};
  for (const auto& prefix : prefixes) {
    CAPTURE(prefix);
    const ConfState three{{1, 2, 3}, {}};
    Network net({1, 2, 3}, Options::paper());
    net.install(1, storage_with_log(three, prefix, HardState{2, kNone, 0}));
    net.install(2, storage_with_log(three, {}, HardState{2, kNone, 0}));
    net.install(3, storage_with_log(three, {}, HardState{2, kNone, 0}));
    REQUIRE(net.elect(1));
    REQUIRE(net.propose(1, "p") == ProposeResult::kOk);
    net.stabilize();
    std::vector<std::string> want;
    for (std::size_t i = 1; i <= prefix.size(); ++i) want.push_back("e" + std::to_string(i));
    want.push_back("p");
    for (NodeId id : {1, 2, 3}) {
      CAPTURE(id);
      CHECK(net.commit(id) == prefix.size() + 2);
      CHECK(net.applied(id) == want);
    }
  }
}

TEST_CASE("a partitioned old leader cannot commit",
          "[conformance][5.3] a leader without a majority commits nothing; its entries are later replaced") {
  Network net({1, 2, 3, 4, 5}, Options::paper());
  REQUIRE(net.elect(1));
  REQUIRE(net.propose(1, "a") == ProposeResult::kOk);
  net.stabilize();
  Index before = net.commit(1);
  // Minority {1, 2} | majority {3, 4, 5}.
  for (NodeId a : {1, 2}) {
    for (NodeId b : {3, 4, 5}) net.cut(a, b);
  }
  REQUIRE(net.propose(1, "stale") == ProposeResult::kOk);
  REQUIRE(net.elect(3));
  REQUIRE(net.propose(3, "new") == ProposeResult::kOk);
  for (int i = 0; i < 30; ++i) {
    net.tick(1);
    net.tick(3);
    net.stabilize();
  }
  CHECK(net.node(1).is_leader());  // without CheckQuorum it does not even know
  CHECK(net.commit(1) == before);
  CHECK(net.commit(2) <= before);
  CHECK_FALSE(contains(net.applied(1), "stale"));
  CHECK(net.applied(4) == std::vector<std::string>{"a", "new"});
  net.recover();
  for (int i = 0; i < 3; ++i) {
    net.tick(3);
    net.stabilize();
  }
  CHECK(net.role(1) == Role::kFollower);
  for (NodeId id = 1; id <= 5; ++id) {
    CAPTURE(id);
    CHECK(net.applied(id) == std::vector<std::string>{"a", "new"});
    CHECK(net.log_terms(id) == net.log_terms(3));
  }
}

TEST_CASE("a follower commits up to the leader's commit index and never beyond what it holds",
          "[conformance][5.3] if leaderCommit > commitIndex, commitIndex = min(leaderCommit, index of last new entry)") {
  struct Case {
    std::size_t entries;
    Index leader_commit;
    Index want_commit;
  };
  const Case cases[] = {{1, 1, 1}, {2, 1, 1}, {2, 2, 2}, {2, 5, 2}, {1, 0, 0}};
  for (const Case& c : cases) {
    CAPTURE(c.entries, c.leader_commit);
    Network net({1, 2, 3}, Options::paper());
    std::vector<Term> terms(c.entries, 1);
    net.step(make_append(2, 1, 1, 0, 0, make_entries(1, terms), c.leader_commit));
    CHECK(net.commit(1) == c.want_commit);
    std::vector<std::string> want;
    for (Index i = 1; i <= c.want_commit; ++i) want.push_back("e" + std::to_string(i));
    CHECK(net.applied(1) == want);
  }
  // A later heartbeat moves the commit on, to what the follower holds.
  Network net({1, 2, 3}, Options::paper());
  net.step(make_append(2, 1, 1, 0, 0, make_entries(1, {1, 1, 1}), 1));
  Message hb;
  hb.type = MessageType::kHeartbeat;
  hb.from = 2;
  hb.to = 1;
  hb.term = 1;
  hb.commit = 3;
  net.step(hb);
  CHECK(net.commit(1) == 3);
  CHECK(net.applied(1) == std::vector<std::string>{"e1", "e2", "e3"});
}
