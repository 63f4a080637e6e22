// The checker can fail: each deliberate bug (Config::faults, and a driver that forgets its vote)
// is caught, by a targeted scenario that passes without the bug and fails with it, and by a
// random search over seeds.
#include <catch2/catch.hpp>

#include <string>

#include "tests/raft/sim/cluster.hpp"
#include "tests/raft/sim/random_run.hpp"

using namespace ha::raft;
using namespace ha::raft::sim;

namespace {

// The paper's algorithm (no PreVote, no CheckQuorum), one entry per AppendEntries, manual time.
ClusterOptions paper(int voters, FaultSwitches faults) {
  ClusterOptions o;
  o.voters = voters;
  o.config.pre_vote = false;
  o.config.check_quorum = false;
  o.config.max_size_per_msg = 1;
  o.config.faults = faults;
  return o;
}

bool elect(Cluster& c, NodeId id) {
  for (int i = 0; i < 4 && c.ok(); ++i) {
    c.campaign(id);
    c.stabilize();
    if (c.node(id).up() && c.node(id).core().is_leader()) return true;
  }
  return false;
}

// The term at index i of a node's log, 0 when the log does not hold i.
Term term_at(Cluster& c, NodeId id, Index i) {
  const MemoryStorage& log = c.node(id).storage().live();
  return i + 1 >= log.first_index() && i <= log.last_index() ? log.term(i) : 0;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Figure 8 of the Raft paper. Returns the cluster's failure ("" when none).
std::string figure8(FaultSwitches faults) {
  Cluster c(paper(5, faults));
  REQUIRE(elect(c, 1));  // term 1, [1@1] everywhere
  // (a) S1 replicates an entry of its term only to S2.
  for (NodeId other : {3, 4, 5}) c.net().cut_both(1, other);
  REQUIRE(c.put(1, "x") != 0);
  c.stabilize();
  REQUIRE(c.node(2).storage().live().last_index() == 2);
  REQUIRE(c.node(3).storage().live().last_index() == 1);
  // (b) S1 crashes; S5 wins term 2 with S3 and S4 and appends 2@t2 that nobody else receives.
  c.crash(1);
  c.heal();
  c.net().filter = [](const Message& m) { return !(m.from == 5 && m.type == MessageType::kAppend); };
  REQUIRE(elect(c, 5));
  REQUIRE(term_at(c, 5, 2) == 2);
  // (c) S5 crashes; S1 restarts and wins term 3; it replicates its old-term entry to S3 and S4
  // but its own term-3 entry only to S2 (S3 and S4 may see it only while they still lack index 2,
  // when they reject it and S1 backs up).
  c.crash(5);
  c.restart(1);
  c.net().filter = [&c](const Message& m) {
    if (m.from != 1 || m.type != MessageType::kAppend || (m.to != 3 && m.to != 4)) return true;
    for (const Entry& e : m.entries)
      if (e.index >= 3 && term_at(c, m.to, 2) != 0) return false;
    return true;
  };
  REQUIRE(elect(c, 1));
  REQUIRE(term_at(c, 3, 2) == 1);
  // (d) S1 crashes; S5 restarts and wins with S3 and S4 (its last term 2 beats their 1); it
  // overwrites index 2 and commits its own entry at index 3.
  c.crash(1);
  c.restart(5);
  c.net().filter = nullptr;
  elect(c, 5);
  c.stabilize();
  return c.failure();
}

std::string stale_voter(FaultSwitches faults) {
  Cluster c(paper(3, faults));
  REQUIRE(elect(c, 1));
  c.net().cut_both(1, 3);
  c.net().cut_both(2, 3);
  std::uint64_t put = c.put(1, "x");
  c.stabilize();
  REQUIRE(c.history().find(put)->answered());  // committed by S1 and S2
  c.heal();
  c.crash(1);
  // S3 lacks the committed entry; only a voter that ignores the log lets it win.
  bool won = elect(c, 3);
  if (won) {
    c.put(3, "y");
    c.stabilize();
  }
  return c.failure();
}

std::string stale_read(FaultSwitches faults) {
  Cluster c(paper(3, faults));
  REQUIRE(elect(c, 1));
  std::uint64_t v1 = c.put(1, "k");
  c.stabilize();
  REQUIRE(c.history().find(v1)->answered());
  // S1 is cut off but, without CheckQuorum, still believes it leads term 1.
  c.isolate(1);
  REQUIRE(elect(c, 2));
  std::uint64_t v2 = c.put(2, "k");
  c.stabilize();
  REQUIRE(c.history().find(v2)->answered());
  REQUIRE(c.node(1).core().is_leader());
  std::uint64_t get = c.get(1, "k");
  c.stabilize();
  if (get != 0 && c.history().find(get)->answered()) CHECK(c.history().find(get)->value == v1);  // stale
  c.check_history();
  return c.failure();
}

}  // namespace

TEST_CASE("checker: the Figure 8 history passes, and fails when old-term entries are committed by counting",
          "[sim][checker][5.4.2] A leader commits only entries of its own term by counting replicas") {
  CHECK(figure8({}) == "");
  FaultSwitches f;
  f.commit_old_term_by_counting = true;
  std::string failure = figure8(f);
  INFO(failure);
  CHECK((contains(failure, "committed entry changed") || contains(failure, "leader completeness")));
}

TEST_CASE("checker: a stale candidate cannot win, and wins and overwrites a commit when votes ignore the log",
          "[sim][checker][5.4.1] A vote goes only to a candidate whose log is at least as up to date") {
  CHECK(stale_voter({}) == "");
  FaultSwitches f;
  f.grant_vote_ignoring_log = true;
  std::string failure = stale_voter(f);
  INFO(failure);
  CHECK((contains(failure, "committed entry changed") || contains(failure, "leader completeness")));
}

TEST_CASE("checker: a deposed leader's ReadIndex is not answered, and is stale without the heartbeat round",
          "[sim][checker][diss-6.4] ReadIndex confirms leadership with a heartbeat round") {
  CHECK(stale_read({}) == "");
  FaultSwitches f;
  f.read_index_without_heartbeat = true;
  std::string failure = stale_read(f);
  INFO(failure);
  CHECK(contains(failure, "linearizability"));
}

TEST_CASE("checker: a driver that forgets its vote on restart is caught",
          "[sim][checker][5.2] A vote is persisted before it is answered and never forgotten") {
  ClusterOptions o = paper(3, {});
  o.forget_vote_on_restart = true;
  Cluster c(o);
  REQUIRE(elect(c, 1));
  CHECK(c.ok());
  c.crash(2);
  c.restart(2);
  INFO(c.failure());
  CHECK(contains(c.failure(), "forget its vote"));
}

namespace {

// The first seed in [1, limit] whose randomized run reports a violation, or 0.
std::uint64_t search(RandomRunOptions o, std::uint64_t limit, std::string& failure) {
  o.liveness = false;
  for (std::uint64_t seed = 1; seed <= limit; ++seed) {
    o.seed = seed;
    RandomRunResult r = run_random(o);
    if (!r.ok) {
      failure = r.failure;
      return seed;
    }
  }
  return 0;
}

}  // namespace

TEST_CASE("checker: random search finds a violation when votes ignore the log", "[sim][checker][random]") {
  RandomRunOptions o;
  o.steps = 2000;
  o.faults.grant_vote_ignoring_log = true;
  std::string failure;
  std::uint64_t seed = search(o, 50, failure);
  INFO("seed " << seed << ": " << failure);
  CHECK(seed != 0);
}

TEST_CASE("checker: random search finds a stale read when ReadIndex skips the heartbeat round", "[sim][checker][random]") {
  RandomRunOptions o;
  o.steps = 2000;
  o.faults.read_index_without_heartbeat = true;
  std::string failure;
  std::uint64_t seed = search(o, 400, failure);
  INFO("seed " << seed << ": " << failure);
  CHECK(seed != 0);
  CHECK(contains(failure, "linearizability"));
}

TEST_CASE("checker: random search finds a forgotten vote", "[sim][checker][random]") {
  RandomRunOptions o;
  o.steps = 2000;
  o.forget_vote_on_restart = true;
  std::string failure;
  std::uint64_t seed = search(o, 20, failure);
  INFO("seed " << seed << ": " << failure);
  CHECK(seed != 0);
}

TEST_CASE("checker: random search finds a lost commit when an async leader counts its copy before it is durable",
          "[sim][checker][random]") {
  RandomRunOptions o;
  o.steps = 2000;
  o.faults.count_own_entries_unpersisted = true;  // also switches async_leader_writes on
  std::string failure;
  std::uint64_t seed = search(o, 400, failure);
  INFO("seed " << seed << ": " << failure);
  CHECK(seed != 0);
}
