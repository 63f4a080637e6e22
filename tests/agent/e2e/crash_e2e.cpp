// Crashes of one part of the primary's node: PostgreSQL alone (the agent restarts it in place
// and keeps the leader key), then the agent alone (its PostgreSQL must stop taking writes before
// any other node is promoted; the agent restarted rejoins as a replica).
#include <catch2/catch.hpp>
#include <thread>

#include "tests/agent/e2e/e2e_checks.hpp"

namespace ha::e2e {
namespace {

TEST_CASE("e2e PostgreSQL crash restarts in place and agent crash fences the old primary first",
          "[e2e]") {
  HaCluster c;
  const int p = c.wait_primary(Ms(60000));
  c.wait_streaming(p, c.others(p), Ms(60000));
  require_exec(c, p, "CREATE TABLE e2e_writes(id bigint PRIMARY KEY)");

  // PostgreSQL crash only: kill -9 the postmaster and its children, the agent lives on.
  {
    const auto crash = Clock::now();
    const int old_pid = c.node(p).kill_postgres();
    REQUIRE(old_pid > 0);
    int other_leader = -1;
    bool back = false;
    const auto end = crash + Ms(30000);
    while (Clock::now() < end) {
      const int l = c.leader();
      if (l >= 0 && l != p) other_leader = l;
      if (pg_in_recovery(c.node(p).pg_port(), Ms(300)) == std::optional<bool>(false)) {
        back = true;
        break;
      }
      std::this_thread::sleep_for(Ms(20));
    }
    const double restart_ms = ms_since(crash);
    INFO(c.state() << c.logs());
    REQUIRE(back);
    WARN("PostgreSQL crash: " << c.node(p).name() << " writable again after " << restart_ms
                              << " ms");
    CHECK(other_leader == -1);
    CHECK(c.leader() == p);
    CHECK(c.node(p).postmaster_pid() != old_pid);
    for (int o : c.others(p)) CHECK_FALSE(c.monitor().became_writable(o, crash).has_value());
    c.wait_streaming(p, c.others(p), Ms(30000));
  }

  // Agent crash only: a writer pinned to the old primary shows when it stopped taking writes.
  SqlWriter pinned({c.node(p).pg_port()}, "e2e_writes", Ms(10), Ms(1000));
  REQUIRE(pinned.wait_more_acks(20, Ms(10000)));
  const auto kill = Clock::now();
  c.node(p).kill_agent();
  const int q = c.wait_primary(Ms(30000), p);
  const auto promoted = c.monitor().became_writable(q, kill);
  REQUIRE(promoted.has_value());
  std::this_thread::sleep_for(Ms(1000));  // the pinned writer keeps trying the old primary
  pinned.stop();
  const auto last_old_ack = pinned.last_ack();
  REQUIRE(last_old_ack.has_value());
  const auto last_old_writable = c.monitor().last_writable(p);
  REQUIRE(last_old_writable.has_value());
  WARN("agent crash: old primary's last acknowledged write "
       << ms_between(kill, last_old_ack->at)
       << " ms after the kill, last seen "
          "writable at "
       << ms_between(kill, *last_old_writable) << " ms; " << c.node(q).name() << " writable at "
       << ms_between(kill, *promoted) << " ms");
  CHECK(last_old_ack->at < *promoted);
  CHECK(*last_old_writable < *promoted);

  // The agent restarted rejoins as a replica of the new primary.
  c.node(p).start_agent();
  c.wait_streaming(q, c.others(q), Ms(90000));
  require_exec(c, q, "INSERT INTO e2e_writes VALUES (-1)");
  const bool replicated =
      c.wait_value(p, "SELECT count(*) FROM e2e_writes WHERE id = -1", "1", Ms(10000));
  INFO(c.state() << "replay on " << c.node(p).name() << ": "
                 << pg_value(c.node(p).pg_port(),
                             "SELECT pg_last_wal_replay_lsn() || ' received ' || "
                             "coalesce(pg_last_wal_receive_lsn()::text, '-')")
                        .value_or("(no answer)")
                 << ", primary at "
                 << pg_value(c.node(q).pg_port(), "SELECT pg_current_wal_lsn()").value_or("?")
                 << "\n"
                 << c.logs());
  CHECK(replicated);
  CHECK(c.leader() == q);
  require_no_split_brain(c);
}

}  // namespace
}  // namespace ha::e2e
