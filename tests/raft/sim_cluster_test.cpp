// Tests of the simulator itself: a healthy cluster elects, commits and answers reads; a seed
// replays exactly; crashes keep only durable state.
#include <catch2/catch.hpp>

#include <sstream>

#include "tests/raft/sim/cluster.hpp"
#include "tests/raft/sim/random_run.hpp"

using namespace ha::raft;
using namespace ha::raft::sim;

TEST_CASE("sim: a healthy 3-node cluster elects one leader and serves puts and gets", "[sim]") {
  ClusterOptions o;
  o.voters = 3;
  o.seed = 7;
  Cluster c(o);
  REQUIRE(c.run_until([&] { return c.leader() != kNone; }, 200));
  NodeId lead = c.leader();
  std::uint64_t put = c.put(lead, "k");
  REQUIRE(put != 0);
  REQUIRE(c.run_until([&] { return c.history().find(put)->answered(); }, 100));
  NodeId follower = lead == 1 ? 2 : 1;
  std::uint64_t get = c.get(follower, "k");
  REQUIRE(get != 0);
  REQUIRE(c.run_until([&] { return c.history().find(get)->answered(); }, 100));
  CHECK(c.history().find(get)->value == put);
  CHECK(c.check_history());
  CHECK(c.ok());
}

TEST_CASE("sim: an async sole voter's new term is durable before it leads in it, so a crash cannot make it lead "
          "that term twice",
          "[sim]") {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    ClusterOptions o;
    o.voters = 1;
    o.seed = seed;
    o.async_leader_writes = true;
    Cluster c(o);
    REQUIRE(c.run_until([&] { return c.leader() == 1; }, 200));
    const Term led = c.node(1).core().term();
    CHECK(c.node(1).storage().durable_hard_state().term == led);
    // Lose every staged write, then lead again: a new term, and the log stays consistent.
    c.crash(1);
    c.restart(1);
    REQUIRE(c.run_until([&] { return c.leader() == 1; }, 200));
    CHECK(c.node(1).core().term() > led);
    CHECK(c.ok());
  }
}
