// Synchronous mode (bootstrap.dcs synchronous_mode: true): the leader names a synchronous
// standby; a whole-node crash of the primary (agent, its fence guard and PostgreSQL kill -9:
// the lock goes by lease expiry) while a writer inserts sequential ids promotes that standby and
// loses no acknowledged id; the old primary comes back, rejoins on the new timeline and streams
// from the new primary.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/agent/e2e/e2e_checks.hpp"

namespace ha::e2e {
namespace {

// The member named by the sync key's sync_standby, "" when none.
std::string sync_standby(HaCluster& c) {
  const auto v = c.dcs_get("sync");
  if (!v) return "";
  const auto j = nlohmann::json::parse(*v, nullptr, false);
  if (j.is_discarded() || !j.contains("sync_standby") || !j["sync_standby"].is_string()) return "";
  return j["sync_standby"].get<std::string>();
}

TEST_CASE("e2e synchronous mode node crash loses no acknowledged write and the old primary rejoins",
          "[e2e]") {
  HaClusterOptions o;
  o.synchronous_mode = true;
  HaCluster c(o);
  const int p = c.wait_primary(Ms(60000));
  c.wait_streaming(p, c.others(p), Ms(60000));

  // The leader publishes a synchronous standby and PostgreSQL waits for it.
  std::string standby;
  const auto sync_end = Clock::now() + Ms(20000);
  while (Clock::now() < sync_end) {
    standby = sync_standby(c);
    if (!standby.empty()) break;
    std::this_thread::sleep_for(Ms(100));
  }
  INFO("sync key: " << c.dcs_get("sync").value_or("(none)"));
  REQUIRE(!standby.empty());
  const int s = c.index_of(standby);
  REQUIRE(s >= 0);
  REQUIRE(s != p);
  const auto names = pg_value(c.node(p).pg_port(), "SHOW synchronous_standby_names");
  INFO("synchronous_standby_names: " << names.value_or("(no answer)"));
  CHECK(names.value_or("").find(standby) != std::string::npos);
  CHECK(c.wait_value(
      p, "SELECT sync_state FROM pg_stat_replication WHERE application_name = '" + standby + "'",
      "sync", Ms(10000)));

  require_exec(c, p, "CREATE TABLE e2e_writes(id bigint PRIMARY KEY)");
  SqlWriter writer(c.pg_ports(), "e2e_writes", Ms(20));
  REQUIRE(writer.wait_more_acks(50, Ms(15000)));

  const auto crash = Clock::now();
  REQUIRE(c.node(p).crash_node(AgentNode::Crash::whole_node) > 0);
  const int q = c.wait_primary(Ms(30000), p);
  // Only the synchronous standby may be promoted.
  CHECK(q == s);
  const auto promoted = c.monitor().became_writable(q, crash);
  REQUIRE(promoted.has_value());
  REQUIRE(writer.wait_more_acks(50, Ms(20000)));
  const auto first_new = writer.first_ack_after(crash, c.node(q).pg_port());
  REQUIRE(first_new.has_value());
  WARN("sync node crash: " << c.node(q).name() << " writable after " << ms_between(crash, *promoted)
                           << " ms, first acknowledged write " << ms_between(crash, first_new->at)
                           << " ms after the kill");

  // The old primary comes back, follows the new timeline and streams from the new primary,
  // while the writer keeps writing.
  c.node(p).start_agent();
  c.wait_streaming(q, c.others(q), Ms(90000));
  REQUIRE(writer.wait_more_acks(20, Ms(20000)));
  writer.stop();
  INFO("writer: " << writer.ack_count() << " acknowledged, " << writer.failed().size()
                  << " failed; old node's log:\n"
                  << c.node(p).log_tail(6000));
  const std::size_t checked = require_acked_present(c, q, writer, "e2e_writes");
  CHECK(checked > 100);
  const auto tl_new =
      pg_value(c.node(q).pg_port(),
               "SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int");
  const auto tl_old =
      pg_value(c.node(p).pg_port(), "SELECT received_tli FROM pg_stat_wal_receiver");
  INFO("timeline of " << c.node(q).name() << ": " << tl_new.value_or("?") << ", "
                      << c.node(p).name() << " receives " << tl_old.value_or("?"));
  CHECK(tl_new.has_value());
  CHECK(tl_new == tl_old);
  // Every acknowledged id is on the rejoined node too.
  const auto last = writer.last_ack();
  REQUIRE(last.has_value());
  CHECK(c.wait_value(p, "SELECT count(*) FROM e2e_writes WHERE id = " + std::to_string(last->id),
                     "1", Ms(10000)));
  require_acked_present(c, p, writer, "e2e_writes");
  require_no_split_brain(c);
}

}  // namespace
}  // namespace ha::e2e
