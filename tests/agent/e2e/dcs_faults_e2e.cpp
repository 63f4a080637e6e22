// Faults of the DCS under a healthy cluster: the hadcs leader killed (the PostgreSQL primary
// keeps its role and its lock), then 2 of 3 hadcs members stopped (the primary stops being
// writable within ttl, nobody else is promoted), then quorum back (one primary again, replicas
// streaming).
#include <catch2/catch.hpp>
#include <thread>

#include "tests/agent/e2e/e2e_checks.hpp"

namespace ha::e2e {
namespace {

constexpr Ms kTtl(3000);  // the default ttl (agent/dynamic_config.hpp)

TEST_CASE("e2e DCS leader loss keeps the primary and quorum loss demotes it within ttl", "[e2e]") {
  HaCluster c;
  const int p = c.wait_primary(Ms(60000));
  c.wait_streaming(p, c.others(p), Ms(60000));
  require_exec(c, p, "CREATE TABLE e2e_writes(id bigint PRIMARY KEY)");
  SqlWriter writer(c.pg_ports(), "e2e_writes", Ms(20));
  REQUIRE(writer.wait_more_acks(20, Ms(10000)));

  // The hadcs leader is killed: a new DCS leader is elected and the primary keeps its role.
  const int dl = c.dcs().wait_leader(Ms(10000));
  const auto dcs_kill = Clock::now();
  c.dcs().kill(dl);
  std::vector<int> rest;
  for (int i = 0; i < c.dcs().size(); ++i) {
    if (i != dl) rest.push_back(i);
  }
  c.dcs().wait_leader(Ms(15000), rest);
  std::this_thread::sleep_for(kTtl + Ms(2000));  // longer than a lease: a wrong demotion shows
  const auto changes = c.monitor().changes(p);
  std::string history;
  bool left_primary = false;
  for (const auto& ch : changes) {
    if (ch.at < dcs_kill) continue;
    history += std::to_string(static_cast<long>(ms_between(dcs_kill, ch.at))) + " ms: " +
               (ch.role == SplitBrainMonitor::Role::writable   ? "writable"
                : ch.role == SplitBrainMonitor::Role::recovery ? "in recovery"
                                                               : "no answer") +
               "\n";
    if (ch.role == SplitBrainMonitor::Role::recovery) left_primary = true;
  }
  INFO("role changes of " << c.node(p).name() << " after the hadcs leader was killed:\n"
                          << history << c.logs());
  CHECK_FALSE(left_primary);
  CHECK(c.monitor().role(p) == SplitBrainMonitor::Role::writable);
  CHECK(c.leader() == p);
  const auto gap_during_dcs_change = writer.longest_gap();
  WARN("hadcs leader killed: writer's longest gap " << gap_during_dcs_change.count() << " ms");
  c.dcs().start(dl);
  c.dcs().wait_leader(Ms(15000));

  // Quorum lost: 2 of 3 hadcs members stopped. The primary stops being writable within ttl
  // and no other node takes over.
  const int keep = c.dcs().wait_leader(Ms(10000));
  std::vector<int> stopped;
  for (int i = 0; i < c.dcs().size(); ++i) {
    if (i != keep) stopped.push_back(i);
  }
  const auto loss = Clock::now();
  for (int i : stopped) c.dcs().kill(i);
  bool demoted = false;
  while (ms_since(loss) < kTtl.count() + 5000) {
    if (c.monitor().role(p) != SplitBrainMonitor::Role::writable &&
        pg_in_recovery(c.node(p).pg_port(), Ms(300)) != std::optional<bool>(false)) {
      demoted = true;
      break;
    }
    std::this_thread::sleep_for(Ms(20));
  }
  const auto last_writable = c.monitor().last_writable(p);
  REQUIRE(last_writable.has_value());
  const auto last_ack = writer.last_ack();
  REQUIRE(last_ack.has_value());
  const double writable_for = ms_between(loss, *last_writable);
  WARN("quorum lost: " << c.node(p).name() << " last seen writable " << writable_for
                       << " ms after, last acknowledged write " << ms_between(loss, last_ack->at)
                       << " ms after");
  INFO(c.state() << c.logs());
  REQUIRE(demoted);
  CHECK(writable_for < static_cast<double>(kTtl.count()) + 500.0);
  CHECK(ms_between(loss, last_ack->at) < static_cast<double>(kTtl.count()) + 500.0);
  // Without quorum nobody may become a primary.
  std::this_thread::sleep_for(Ms(3000));
  for (int i = 0; i < c.size(); ++i) {
    CHECK(c.monitor().became_writable(i, *last_writable + Ms(1)) == std::nullopt);
  }

  // Quorum back: one primary again, the others streaming from it, writes acknowledged.
  for (int i : stopped) c.dcs().start(i);
  c.dcs().wait_leader(Ms(15000));
  const auto back = Clock::now();
  const int p2 = c.wait_primary(Ms(60000));
  c.wait_streaming(p2, c.others(p2), Ms(60000));
  REQUIRE(writer.wait_more_acks(20, Ms(20000)));
  WARN("quorum back: " << c.node(p2).name() << " primary after " << ms_since(back) << " ms");
  writer.stop();
  require_no_split_brain(c);
}

}  // namespace
}  // namespace ha::e2e
