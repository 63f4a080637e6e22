// Conformance scenarios: terms and leader election (Raft paper §5.1, §5.2, §5.4.1).
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "tests/raft/conformance_harness.hpp"

using namespace ha::raft;
using namespace ha::raft::conformance;

namespace {

// Ticks `n` (a bare Node) until its role or term changes; returns the ticks taken (0 = never).
int ticks_until_change(Node& n, int limit) {
  Role r = n.role();
  Term t = n.term();
  for (int i = 1; i <= limit; ++i) {
    n.tick();
    if (n.role() != r || n.term() != t) return i;
  }
  return 0;
}

Config bare_config(NodeId id, std::uint64_t seed, bool pre_vote) {
  Config c;
  c.id = id;
  c.seed = seed;
  c.pre_vote = pre_vote;
  c.check_quorum = false;
  return c;
}

const ConfState kThree{{1, 2, 3}, {}};

}  // namespace

TEST_CASE("a fresh node starts as a follower and waits a full election timeout",
          "[conformance][5.2] servers start as followers; none campaigns before election_tick") {
  Network net({1, 2, 3});
  for (NodeId id : {1, 2, 3}) {
    CHECK(net.role(id) == Role::kFollower);
    CHECK(net.term(id) == 0);
    CHECK(net.node(id).leader() == kNone);
  }
  for (NodeId id : {1, 2, 3}) net.tick(id, net.options().election_tick - 1);
  net.process_all();
  CHECK(net.sent().empty());
  for (NodeId id : {1, 2, 3}) CHECK(net.role(id) == Role::kFollower);
}

TEST_CASE("the election timeout is randomized between election_tick and twice election_tick",
          "[conformance][5.2] election timeouts are chosen randomly from a fixed interval") {
  // Followers: a different seed per round.
  std::set<int> follower_timeouts;
  for (std::uint64_t seed = 1; seed <= 500; ++seed) {
    MemoryStorage s(kThree);
    Node n(bare_config(1, seed, true), s);
    int t = ticks_until_change(n, 100);
    REQUIRE(t >= 10);
    REQUIRE(t <= 19);
    CHECK(n.role() == Role::kPreCandidate);
    follower_timeouts.insert(t);
  }
  CHECK(follower_timeouts.size() == 10);  // every value of [10, 20) occurs

  // A candidate draws a new timeout each round.
  MemoryStorage s(kThree);
  Node n(bare_config(1, 7, false), s);
  REQUIRE(ticks_until_change(n, 100) > 0);
  REQUIRE(n.role() == Role::kCandidate);
  std::set<int> candidate_timeouts;
  for (int round = 0; round < 500; ++round) {
    Term before = n.term();
    int t = ticks_until_change(n, 100);
    REQUIRE(t >= 10);
    REQUIRE(t <= 19);
    REQUIRE(n.term() == before + 1);
    candidate_timeouts.insert(t);
    while (n.has_ready()) {
      Ready rd = n.ready();
      s.save(rd.hard_state ? &*rd.hard_state : nullptr, rd.entries, nullptr, rd.must_sync);
      n.advance(rd);
    }
  }
  CHECK(candidate_timeouts.size() == 10);
}

TEST_CASE("randomized timeouts of five nodes rarely expire on the same tick",
          "[conformance][5.2] randomization spreads out the servers so one usually times out alone") {
  const ConfState five{{1, 2, 3, 4, 5}, {}};
  int conflicts = 0;
  const int rounds = 1000;
  for (int round = 0; round < rounds; ++round) {
    std::vector<std::unique_ptr<MemoryStorage>> st;
    std::vector<std::unique_ptr<Node>> nodes;
    for (NodeId id = 1; id <= 5; ++id) {
      st.push_back(std::make_unique<MemoryStorage>(five));
      nodes.push_back(std::make_unique<Node>(bare_config(id, static_cast<std::uint64_t>(round) + 1000, false), *st.back()));
    }
    int fired = 0;
    for (int tick = 0; tick < 40 && fired == 0; ++tick) {
      for (auto& n : nodes) {
        n->tick();
        if (n->role() != Role::kFollower) ++fired;
      }
    }
    REQUIRE(fired > 0);
    if (fired > 1) ++conflicts;
  }
  CHECK(conflicts <= rounds * 3 / 10);
}

TEST_CASE("a candidate whose election times out starts a new one in a higher term",
          "[conformance][5.2] a candidate that neither wins nor loses increments its term and retries") {
  Network net({1, 2, 3}, Options::paper());
  Node& n = net.node(1);
  REQUIRE(ticks_until_change(n, 20) > 0);
  REQUIRE(n.role() == Role::kCandidate);
  REQUIRE(n.term() == 1);
  net.process(1);
  net.clear_sent();
  REQUIRE(ticks_until_change(n, 20) > 0);
  net.process(1);
  CHECK(n.role() == Role::kCandidate);
  CHECK(n.term() == 2);
  CHECK(n.status().hard_state.vote == 1);
  for (NodeId peer : {2, 3}) {
    REQUIRE(net.count_sent(of_type(MessageType::kVote, 1, peer)) == 1);
  }
  for (const Message& m : net.sent()) {
    CHECK(m.term == 2);
    CHECK(m.index == 0);
    CHECK(m.log_term == 0);
  }
}

TEST_CASE("a node grants at most one vote per term, first come first served",
          "[conformance][5.2] each server votes for at most one candidate in a given term") {
  struct Case {
    NodeId voted;  // vote already cast in term 1
    NodeId candidate;
    bool reject;
  };
  const Case cases[] = {{kNone, 2, false}, {kNone, 3, false}, {2, 2, false}, {3, 3, false}, {2, 3, true}, {3, 2, true}};
  for (const Case& c : cases) {
    CAPTURE(c.voted, c.candidate);
    Network net({1, 2, 3}, Options::paper());
    net.install(1, storage_with_log(kThree, {}, HardState{1, c.voted, 0}));
    net.step(make_vote(MessageType::kVote, c.candidate, 1, 1, 0, 0));
    auto out = net.take(from_node(1));
    REQUIRE(out.size() == 1);
    CHECK(out[0].type == MessageType::kVoteResponse);
    CHECK(out[0].to == c.candidate);
    CHECK(out[0].term == 1);
    CHECK(out[0].reject == c.reject);
    CHECK(net.storage(1).initial_state().hard_state.vote == (c.voted == kNone ? c.candidate : c.voted));
  }
  // After granting in term 1, a second candidate of the same term is refused.
  Network net({1, 2, 3}, Options::paper());
  net.step(make_vote(MessageType::kVote, 2, 1, 1, 0, 0));
  net.step(make_vote(MessageType::kVote, 3, 1, 1, 0, 0));
  auto out = net.take(from_node(1));
  REQUIRE(out.size() == 2);
  CHECK_FALSE(out[0].reject);
  CHECK(out[1].reject);
}

TEST_CASE("a candidate wins with a majority, loses with a majority against it, and otherwise waits",
          "[conformance][5.2] a candidate becomes leader when it receives votes from a majority") {
  struct Case {
    std::size_t size;
    std::map<NodeId, bool> granted;  // voter -> granted
    Role want;
  };
  const std::vector<Case> cases = {
      {1, {}, Role::kLeader},
      {3, {{2, true}, {3, true}}, Role::kLeader},
      {3, {{2, true}}, Role::kLeader},
      {5, {{2, true}, {3, true}, {4, true}, {5, true}}, Role::kLeader},
      {5, {{2, true}, {3, true}, {4, true}}, Role::kLeader},
      {5, {{2, true}, {3, true}}, Role::kLeader},
      {3, {{2, false}, {3, false}}, Role::kFollower},
      {5, {{2, false}, {3, false}, {4, false}, {5, false}}, Role::kFollower},
      {5, {{2, true}, {3, false}, {4, false}, {5, false}}, Role::kFollower},
      {3, {}, Role::kCandidate},
      {5, {{2, true}}, Role::kCandidate},
      {5, {{2, false}, {3, false}}, Role::kCandidate},
      {5, {}, Role::kCandidate},
  };
  for (const Case& c : cases) {
    CAPTURE(c.size, c.granted.size());
    std::vector<NodeId> voters;
    for (NodeId id = 1; id <= c.size; ++id) voters.push_back(id);
    Network net(voters, Options::paper());
    net.node(1).campaign();
    net.process(1);
    for (const auto& [voter, yes] : c.granted) {
      Message r = make_vote(MessageType::kVoteResponse, voter, 1, 1, 0, 0);
      r.reject = !yes;
      net.step(r);
    }
    CHECK(net.role(1) == c.want);
    CHECK(net.term(1) == 1);
  }
}

TEST_CASE("a voter grants only a candidate whose log is at least as up to date as its own",
          "[conformance][5.4.1] the voter denies its vote if its own log is more up-to-date") {
  struct Case {
    std::vector<Term> voter_log;
    Term cand_last_term;
    Index cand_last_index;
    bool reject;
  };
  const Case cases[] = {
      // same last term: the longer log wins
      {{1}, 1, 1, false},
      {{1}, 1, 2, false},
      {{1, 1}, 1, 1, true},
      // candidate's last term is higher
      {{1}, 2, 1, false},
      {{1}, 2, 2, false},
      {{1, 1}, 2, 1, false},
      // voter's last term is higher
      {{2}, 1, 1, true},
      {{2}, 1, 2, true},
      {{1, 2}, 1, 5, true},
  };
  for (const Case& c : cases) {
    CAPTURE(c.voter_log, c.cand_last_term, c.cand_last_index);
    Network net({1, 2, 3}, Options::paper());
    net.install(1, storage_with_log(kThree, c.voter_log, HardState{2, kNone, 0}));
    net.step(make_vote(MessageType::kVote, 2, 1, 3, c.cand_last_index, c.cand_last_term));
    auto out = net.take(from_node(1));
    REQUIRE(out.size() == 1);
    CHECK(out[0].type == MessageType::kVoteResponse);
    CHECK(out[0].term == 3);
    CHECK(out[0].reject == c.reject);
    CHECK(net.term(1) == 3);  // the higher term is adopted either way
  }
}

TEST_CASE("a stale-log candidate loses the election",
          "[conformance][5.4.1] a candidate must have all committed entries to win") {
  Network net({1, 2, 3}, Options::paper());
  REQUIRE(net.elect(1));
  net.isolate(3);
  REQUIRE(net.propose(1, "a") == ProposeResult::kOk);
  REQUIRE(net.propose(1, "b") == ProposeResult::kOk);
  net.stabilize();
  REQUIRE(net.applied(2) == std::vector<std::string>{"a", "b"});
  REQUIRE(net.last_index(3) == 1);

  net.crash(1);
  net.recover();
  net.clear_sent();
  net.node(3).campaign();
  net.stabilize();
  CHECK(net.role(3) != Role::kLeader);
  REQUIRE(net.count_sent(of_type(MessageType::kVoteResponse, 2, 3)) == 1);
  for (const Message& m : net.sent()) {
    if (m.type == MessageType::kVoteResponse && m.from == 2) CHECK(m.reject);
  }
  // The up-to-date survivor wins and the committed entries survive.
  REQUIRE(net.elect(2));
  net.stabilize();
  CHECK(net.applied(3) == std::vector<std::string>{"a", "b"});
  CHECK(net.log_terms(3) == net.log_terms(2));
}

TEST_CASE("a split vote is resolved by randomized election timeouts",
          "[conformance][5.2] split votes are rare and resolved quickly by random timeouts") {
  Options o = Options::paper();
  o.seed = 11;
  Network net({1, 2, 3, 4, 5}, o);
  for (NodeId id = 1; id <= 5; ++id) net.node(id).campaign();
  net.stabilize();
  for (NodeId id = 1; id <= 5; ++id) {
    CHECK(net.role(id) != Role::kLeader);  // everyone voted for itself: nobody won term 1
    CHECK(net.term(id) == 1);
    CHECK(net.node(id).status().hard_state.vote == id);
  }
  std::map<Term, std::set<NodeId>> leaders;
  int ticks = 0;
  while (net.leader() == kNone && ticks < 200) {
    net.tick_all();
    ++ticks;
    for (NodeId id = 1; id <= 5; ++id) {
      if (net.role(id) == Role::kLeader) leaders[net.term(id)].insert(id);
    }
  }
  REQUIRE(net.leader() != kNone);
  CHECK(ticks <= 4 * o.election_tick);
  for (const auto& [term, who] : leaders) CHECK(who.size() == 1);
  NodeId lead = net.leader();
  CHECK(net.term(lead) >= 2);
  net.tick_all(2);
  for (NodeId id = 1; id <= 5; ++id) {
    CHECK(net.node(id).leader() == lead);
    CHECK(net.term(id) == net.term(lead));
  }
}

TEST_CASE("a candidate steps down when a leader of its term or a newer one appends",
          "[conformance][5.2] a candidate recognizes a legitimate leader and returns to follower") {
  for (Term t : {Term{1}, Term{2}}) {
    CAPTURE(t);
    Network net({1, 2, 3}, Options::paper());
    net.node(1).campaign();
    net.process(1);
    REQUIRE(net.role(1) == Role::kCandidate);
    REQUIRE(net.term(1) == 1);
    net.step(make_append(2, 1, t, 0, 0, {}, 0));
    CHECK(net.role(1) == Role::kFollower);
    CHECK(net.term(1) == t);
    CHECK(net.node(1).leader() == 2);
  }
}

TEST_CASE("a message with a higher term turns every role into a follower of that term",
          "[conformance][5.1] if a server sees a larger term it updates its term and becomes follower") {
  const Role roles[] = {Role::kFollower, Role::kPreCandidate, Role::kCandidate, Role::kLeader};
  for (Role role : roles) {
    for (MessageType type : {MessageType::kAppend, MessageType::kVote, MessageType::kHeartbeat}) {
      CAPTURE(to_string(role), to_string(type));
      Options o = Options::paper();
      o.pre_vote = role == Role::kPreCandidate;
      Network net({1, 2, 3}, o);
      if (role == Role::kLeader) {
        REQUIRE(net.elect(1));
      } else if (role != Role::kFollower) {
        net.node(1).campaign();
        net.process(1);
      }
      REQUIRE(net.role(1) == role);
      Message m;
      if (type == MessageType::kVote) {
        m = make_vote(type, 2, 1, 5, 10, 5);
      } else {
        m = make_append(2, 1, 5, 0, 0, {}, 0);
        m.type = type;
      }
      net.step(m);
      CHECK(net.role(1) == Role::kFollower);
      CHECK(net.term(1) == 5);
      CHECK(net.node(1).leader() == (type == MessageType::kVote ? kNone : NodeId{2}));
    }
  }
}

TEST_CASE("messages of a stale term are ignored",
          "[conformance][5.1] a request with a stale term number is rejected") {
  Network net({1, 2, 3}, Options::paper());
  net.install(1, storage_with_log(kThree, {1}, HardState{2, kNone, 1}));
  // A deposed leader's append with a new entry and a higher commit.
  net.step(make_append(2, 1, 1, 1, 1, make_entries(2, {1}), 2));
  // A stale candidate.
  net.step(make_vote(MessageType::kVote, 3, 1, 1, 5, 1));
  CHECK(net.last_index(1) == 1);
  CHECK(net.commit(1) == 1);
  CHECK(net.term(1) == 2);
  CHECK(net.node(1).status().hard_state.vote == kNone);
  CHECK(net.take(from_node(1)).empty());  // the paper's rule: nothing answers a stale message

  // A candidate ignores a stale vote grant.
  net.node(1).campaign();
  net.process(1);
  REQUIRE(net.term(1) == 3);
  net.step(make_vote(MessageType::kVoteResponse, 2, 1, 2, 0, 0));
  CHECK(net.role(1) == Role::kCandidate);

  // With CheckQuorum a stale append is answered with the current term only (the deposed
  // leader learns it), and still changes nothing.
  Network cq({1, 2, 3});
  cq.install(1, storage_with_log(kThree, {1}, HardState{2, kNone, 1}));
  cq.step(make_append(2, 1, 1, 1, 1, make_entries(2, {1}), 2));
  CHECK(cq.last_index(1) == 1);
  CHECK(cq.commit(1) == 1);
  auto out = cq.take(from_node(1));
  REQUIRE(out.size() == 1);
  CHECK(out[0].type == MessageType::kAppendResponse);
  CHECK(out[0].term == 2);
  CHECK(out[0].to == 2);
}

TEST_CASE("a single-node cluster elects itself and commits alone",
          "[conformance][5.2] a candidate that holds a majority by itself wins at once") {
  for (bool pre_vote : {false, true}) {
    CAPTURE(pre_vote);
    Options o;
    o.pre_vote = pre_vote;
    Network net({1}, o);
    int ticks = 0;
    while (net.role(1) != Role::kLeader && ticks < 20) {
      net.tick_all();
      ++ticks;
    }
    REQUIRE(net.role(1) == Role::kLeader);
    CHECK(ticks >= o.election_tick);
    CHECK(net.term(1) == 1);
    REQUIRE(net.propose(1, "a") == ProposeResult::kOk);
    REQUIRE(net.propose(1, "b") == ProposeResult::kOk);
    net.stabilize();
    CHECK(net.commit(1) == 3);
    CHECK(net.applied(1) == std::vector<std::string>{"a", "b"});
  }
}

TEST_CASE("each node can be elected in turn",
          "[conformance][5.2] elections work from any prior state; the others follow the winner") {
  Options o = Options::paper();
  o.pre_vote = true;
  Network net({1, 2, 3}, o);
  for (NodeId campaigner : {1, 2, 3, 1}) {
    CAPTURE(campaigner);
    REQUIRE(net.elect(campaigner));
    for (NodeId id : {1, 2, 3}) {
      if (id == campaigner) continue;
      CHECK(net.role(id) == Role::kFollower);
      CHECK(net.node(id).leader() == campaigner);
      CHECK(net.term(id) == net.term(campaigner));
    }
  }
  CHECK(net.term(1) == 4);
}

TEST_CASE("a vote request carries the candidate's last log index and term",
          "[conformance][5.4.1] RequestVote includes lastLogIndex and lastLogTerm") {
  for (bool pre_vote : {false, true}) {
    CAPTURE(pre_vote);
    Options o = Options::paper();
    o.pre_vote = pre_vote;
    Network net({1, 2, 3}, o);
    net.install(1, storage_with_log(kThree, {1, 1, 2}, HardState{2, kNone, 1}));
    REQUIRE(ticks_until_change(net.node(1), 20) > 0);
    net.process(1);
    MessageType type = pre_vote ? MessageType::kPreVote : MessageType::kVote;
    for (NodeId peer : {2, 3}) {
      auto out = net.take(of_type(type, 1, peer));
      REQUIRE(out.size() == 1);
      CHECK(out[0].term == 3);
      CHECK(out[0].index == 3);
      CHECK(out[0].log_term == 2);
    }
    CHECK(net.term(1) == (pre_vote ? 2 : 3));
  }
}

TEST_CASE("no leader is elected without a live majority",
          "[conformance][5.2] a candidate needs votes from a majority of the full cluster") {
  struct Case {
    std::size_t size;
    std::vector<NodeId> dead;
    bool pre_vote;
    Role want;
    Term want_term;
  };
  const Case cases[] = {
      {3, {}, false, Role::kLeader, 1},
      {3, {3}, false, Role::kLeader, 1},
      {3, {2, 3}, false, Role::kCandidate, 1},
      {4, {3, 4}, false, Role::kCandidate, 1},
      {5, {4, 5}, false, Role::kLeader, 1},
      {3, {2, 3}, true, Role::kPreCandidate, 0},
      {5, {4, 5}, true, Role::kLeader, 1},
  };
  for (const Case& c : cases) {
    CAPTURE(c.size, c.dead, c.pre_vote);
    std::vector<NodeId> voters;
    for (NodeId id = 1; id <= c.size; ++id) voters.push_back(id);
    Options o = Options::paper();
    o.pre_vote = c.pre_vote;
    Network net(voters, o);
    for (NodeId d : c.dead) net.crash(d);
    net.elect(1);
    CHECK(net.role(1) == c.want);
    CHECK(net.term(1) == c.want_term);
  }
}

TEST_CASE("a winner overwrites newer-term entries that were never committed",
          "[conformance][5.4.1] elections decide which uncommitted entries survive") {
  const ConfState five{{1, 2, 3, 4, 5}, {}};
  Network net({1, 2, 3, 4, 5}, Options::paper());
  net.install(1, storage_with_log(five, {1}, HardState{1, kNone, 0}));
  net.install(2, storage_with_log(five, {1}, HardState{1, kNone, 0}));
  net.install(3, storage_with_log(five, {2}, HardState{2, kNone, 0}));
  net.install(4, storage_with_log(five, {}, HardState{2, 3, 0}));
  net.install(5, storage_with_log(five, {}, HardState{2, 3, 0}));
  // First campaign (term 2): 3, 4 and 5 refuse, so node 1 falls back to follower at term 2.
  net.elect(1);
  CHECK(net.role(1) == Role::kFollower);
  CHECK(net.term(1) == 2);
  // Second campaign (term 3): 2, 4 and 5 vote for it.
  REQUIRE(net.elect(1));
  CHECK(net.term(1) == 3);
  for (NodeId id = 1; id <= 5; ++id) {
    CAPTURE(id);
    CHECK(net.log_terms(id) == std::vector<Term>{1, 3});
  }
}

TEST_CASE("dueling candidates: a higher-term candidate with a short log deposes the leader but cannot win",
          "[conformance][5.4.1] a higher term forces step-down, the election restriction still decides") {
  Network net({1, 2, 3}, Options::paper());
  net.cut(1, 3);
  net.node(1).campaign();
  net.node(3).campaign();
  net.stabilize();
  REQUIRE(net.role(1) == Role::kLeader);
  REQUIRE(net.role(3) == Role::kCandidate);
  REQUIRE(net.term(3) == 1);
  net.recover();
  // Node 3 times out alone and campaigns in term 2.
  while (net.term(3) == 1) {
    net.tick(3);
    net.stabilize();
  }
  for (NodeId id : {1, 2, 3}) {
    CAPTURE(id);
    CHECK(net.role(id) == Role::kFollower);
    CHECK(net.term(id) == 2);
  }
  CHECK(net.last_index(1) == 1);
  CHECK(net.last_index(2) == 1);
  CHECK(net.last_index(3) == 0);
}
