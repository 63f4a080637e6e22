// Tests of the simulator's parts: the network's delays, losses, duplicates and partitions; the
// disk that loses unsynced writes; the KV state machine's snapshots; replay by seed.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <sstream>

#include "tests/raft/sim/cluster.hpp"
#include "tests/raft/sim/kv_command.hpp"
#include "tests/raft/sim/kv_state_machine.hpp"
#include "tests/raft/sim/network.hpp"
#include "tests/raft/sim/random_run.hpp"
#include "tests/raft/sim/sim_storage.hpp"

using namespace ha::raft;
using namespace ha::raft::sim;

namespace {

Message msg(NodeId from, NodeId to, Index tag) {
  Message m;
  m.type = MessageType::kHeartbeat;
  m.from = from;
  m.to = to;
  m.index = tag;
  return m;
}

}  // namespace

TEST_CASE("sim network: delays within bounds, in order when the delay is fixed", "[sim]") {
  Rng rng(1);
  Network net(rng);
  LinkFaults f;
  f.min_delay = 2;
  f.max_delay = 2;
  net.set_default_faults(f);
  for (Index i = 0; i < 5; ++i) net.send(msg(1, 2, i), 1, 10);
  CHECK(net.take_due(11).empty());
  std::vector<Delivery> d = net.take_due(12);
  REQUIRE(d.size() == 5);
  for (Index i = 0; i < 5; ++i) {
    CHECK(d[i].msg.index == i);
    CHECK_FALSE(d[i].dropped);
  }
  CHECK(net.in_flight() == 0);
}

TEST_CASE("sim network: random delay reorders, duplication doubles, loss drops", "[sim]") {
  Rng rng(2);
  Network net(rng);
  LinkFaults f;
  f.max_delay = 5;
  f.duplicate = 0.5;
  f.drop = 0.2;
  net.set_default_faults(f);
  for (Index i = 0; i < 400; ++i) net.send(msg(1, 2, i), 1, 0);
  std::vector<Delivery> all;
  for (std::uint64_t t = 1; t <= 6; ++t)
    for (Delivery& d : net.take_due(t)) all.push_back(std::move(d));
  CHECK(net.in_flight() == 0);
  std::size_t lost = 0;
  std::size_t inversions = 0;
  std::multiset<Index> seen;
  Index highest = 0;
  for (const Delivery& d : all) {
    if (d.dropped) {
      ++lost;
      continue;
    }
    if (d.msg.index < highest) ++inversions;  // overtaken by a later message
    highest = std::max(highest, d.msg.index);
    seen.insert(d.msg.index);
  }
  CHECK(lost > 40);
  CHECK(lost < 130);
  CHECK(inversions > 50);
  std::size_t twice = 0;
  for (Index i = 0; i < 400; ++i) twice += seen.count(i) == 2 ? 1 : 0;
  CHECK(twice > 100);
}

TEST_CASE("sim network: one-way cuts, isolation, splits and heal", "[sim]") {
  Rng rng(3);
  Network net(rng);
  std::vector<NodeId> all{1, 2, 3, 4, 5};
  net.cut(1, 2);
  CHECK(net.blocked(1, 2));
  CHECK_FALSE(net.blocked(2, 1));
  net.heal();
  net.split({1, 2}, all);
  CHECK(net.blocked(1, 3));
  CHECK(net.blocked(5, 2));
  CHECK_FALSE(net.blocked(1, 2));
  CHECK_FALSE(net.blocked(3, 4));
  net.send(msg(1, 3, 7), 1, 0);
  net.send(msg(1, 2, 8), 1, 0);
  std::vector<Delivery> d = net.take_due(1);
  REQUIRE(d.size() == 2);
  CHECK(d[0].dropped);  // cut at delivery time
  CHECK_FALSE(d[1].dropped);
  net.heal();
  net.isolate(4, all);
  for (NodeId id : {1, 2, 3, 5}) {
    CHECK(net.blocked(4, id));
    CHECK(net.blocked(id, 4));
  }
  net.filter = [](const Message& m) { return m.index != 9; };
  net.heal();
  net.send(msg(1, 2, 9), 1, 0);
  CHECK(net.take_all().front().dropped);
}

TEST_CASE("sim storage: a crash keeps synced saves and may lose unsynced ones", "[sim]") {
  SimStorage s(ConfState{{1, 2, 3}, {}});
  HardState hs1{1, 2, 0};
  s.save(&hs1, {Entry{1, 1, EntryType::kNormal, "a"}}, nullptr, true);
  HardState hs2{1, 2, 1};
  s.save(&hs2, {}, nullptr, false);  // a commit-only change: allowed to be lost
  s.save(nullptr, {Entry{1, 2, EntryType::kNormal, "b"}}, nullptr, false);
  CHECK(s.live().last_index() == 2);
  CHECK(s.durable().last_index() == 1);
  CHECK(s.unsynced() == 2);

  SimStorage keep_one = s;
  keep_one.crash(1);
  CHECK(keep_one.live().last_index() == 1);
  CHECK(keep_one.live_hard_state() == hs2);

  SimStorage lose_all = s;
  lose_all.crash(0);
  CHECK(lose_all.live_hard_state() == hs1);
  CHECK(lose_all.live().last_index() == 1);

  // A later synced save flushes the earlier unsynced ones first.
  HardState hs3{2, 0, 1};
  s.save(&hs3, {}, nullptr, true);
  s.crash(0);
  CHECK(s.live().last_index() == 2);
  CHECK(s.live_hard_state() == hs3);

  SimStorage forgetful(ConfState{{1}, {}});
  forgetful.save(&hs1, {}, nullptr, true);
  forgetful.crash(0, true);
  CHECK(forgetful.live_hard_state().vote == kNone);
  CHECK(forgetful.live_hard_state().term == 1);
}

TEST_CASE("sim state machine: puts, dedup by id, snapshot round trip", "[sim]") {
  KvStateMachine sm;
  CHECK_FALSE(sm.apply(Entry{1, 1, EntryType::kNormal, ""}));  // a no-op
  CHECK(sm.apply(Entry{1, 2, EntryType::kNormal, encode_put({"k", 5})}) == 5U);
  CHECK_FALSE(sm.apply(Entry{1, 3, EntryType::kNormal, encode_put({"k", 5})}));  // duplicate
  CHECK(sm.apply(Entry{1, 4, EntryType::kNormal, encode_put({"j", 6})}) == 6U);
  CHECK(sm.get("k") == 5);
  CHECK(sm.get("x") == 0);
  CHECK(sm.applied() == 4);

  KvStateMachine copy;
  REQUIRE(copy.restore(sm.snapshot()));
  CHECK(copy.get("j") == 6);
  CHECK(copy.applied() == 4);
  CHECK(copy.chain() == sm.chain());
  CHECK_FALSE(copy.apply(Entry{1, 5, EntryType::kNormal, encode_put({"k", 5})}));  // dedup survives
  CHECK_FALSE(copy.restore("garbage"));
  CHECK(copy.applied() == 5);

  KvStateMachine other;  // same entries, other terms: a different applied history
  other.apply(Entry{2, 1, EntryType::kNormal, ""});
  KvStateMachine first;
  first.apply(Entry{1, 1, EntryType::kNormal, ""});
  CHECK(other.chain() != first.chain());
}

TEST_CASE("sim: a seed replays exactly; another seed differs", "[sim]") {
  auto trace_of = [](std::uint64_t seed) {
    std::ostringstream out;
    RandomRunOptions o;
    o.seed = seed;
    o.steps = 300;
    o.trace = &out;
    RandomRunResult r = run_random(o);
    CHECK(r.ok);
    return out.str();
  };
  std::string a = trace_of(5);
  CHECK(a.size() > 1000);
  CHECK(a == trace_of(5));
  CHECK(a != trace_of(6));
}

TEST_CASE("sim: crash and restart keep committed data; a wiped-out leader is replaced", "[sim]") {
  ClusterOptions o;
  o.voters = 5;
  o.seed = 11;
  o.compact_every = 4;
  Cluster c(o);
  REQUIRE(c.run_until([&] { return c.leader() != kNone; }, 300));
  std::vector<std::uint64_t> puts;
  for (int i = 0; i < 20; ++i) {
    NodeId lead = c.leader();
    if (lead != kNone) puts.push_back(c.put(lead, "k"));
    c.run(3);
  }
  NodeId old = c.leader();
  REQUIRE(old != kNone);
  c.crash(old);
  REQUIRE(c.run_until([&] { return c.leader() != kNone && c.leader() != old; }, 400));
  c.restart(old);
  std::uint64_t last = c.put(c.leader(), "k");
  REQUIRE(last != 0);
  REQUIRE(c.run_until([&] { return c.history().find(last)->answered(); }, 400));
  // Everyone, including the restarted node (which may need a snapshot), converges.
  REQUIRE(c.run_until([&] {
    for (NodeId id : c.members())
      if (c.node(id).sm().get("k") != last) return false;
    return true;
  }, 600));
  CHECK(c.node(old).storage().live().first_index() > 1);  // compaction happened
  CHECK(c.check_history());
  CHECK(c.ok());
}

TEST_CASE("sim: a minority partition cannot commit; after heal everything converges", "[sim]") {
  ClusterOptions o;
  o.voters = 5;
  o.seed = 3;
  Cluster c(o);
  REQUIRE(c.run_until([&] { return c.leader() != kNone; }, 300));
  NodeId lead = c.leader();
  std::vector<NodeId> minority{lead, lead == 1 ? NodeId{2} : NodeId{1}};
  c.split(minority);
  std::uint64_t lost = c.put(lead, "k");
  REQUIRE(lost != 0);
  c.run(60);
  CHECK_FALSE(c.history().find(lost)->answered());
  REQUIRE(c.run_until([&] {
    NodeId l = c.leader();
    return l != kNone && l != minority[0] && l != minority[1];
  }, 300));
  std::uint64_t won = c.put(c.leader(), "k");
  REQUIRE(c.run_until([&] { return won != 0 && c.history().find(won)->answered(); }, 300));
  c.heal();
  REQUIRE(c.run_until([&] {
    for (NodeId id : c.members())
      if (c.node(id).sm().get("k") != won) return false;
    return true;
  }, 400));
  CHECK_FALSE(c.history().applied(lost));  // the minority's entry was overwritten
  CHECK(c.check_history());
}
