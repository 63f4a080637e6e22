// Bootstrap of a 3-node cluster, Patroni's REST health checks, planned switchovers (to a named
// candidate through POST /switchover, to the best candidate through the /failover key), and an
// asynchronous node crash (agent and PostgreSQL killed) with the old node rejoining — on one
// cluster, in that order.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/agent/e2e/e2e_checks.hpp"

namespace ha::e2e {
namespace {

std::string rows_on(int port, const std::string& sql) {
  return pg_value(static_cast<std::uint16_t>(port), sql).value_or("(no answer)");
}

TEST_CASE("e2e bootstrap then REST checks then switchovers then a node crash", "[e2e]") {
  const auto started = Clock::now();
  HaCluster c;
  const int p = c.wait_primary(Ms(60000));
  c.wait_streaming(p, c.others(p), Ms(60000));
  const double bootstrap_ms = ms_since(started);
  WARN("bootstrap: " << c.node(p).name() << " primary, two replicas streaming after "
                     << bootstrap_ms << " ms (including starting hadcs)");

  // A row written on the primary is read on both replicas.
  require_exec(c, p, "CREATE TABLE e2e_rows(id int PRIMARY KEY, v text)");
  require_exec(c, p, "INSERT INTO e2e_rows VALUES (1, 'from the primary')");
  for (int r : c.others(p)) {
    INFO(c.node(r).name() << " sees: " << rows_on(c.node(r).pg_port(), "SELECT v FROM e2e_rows"));
    CHECK(c.wait_value(r, "SELECT v FROM e2e_rows WHERE id = 1", "from the primary", Ms(10000)));
    std::string write_err;
    CHECK_FALSE(pg_exec(c.node(r).pg_port(), "INSERT INTO e2e_rows VALUES (2, 'x')", &write_err));
  }

  // Patroni's health checks: /primary answers 200 only on the leader, /replica only on replicas.
  for (int i = 0; i < c.size(); ++i) {
    const auto primary = c.node(i).api_get("/primary");
    const auto replica = c.node(i).api_get("/replica");
    const auto patroni = c.node(i).api_get("/patroni");
    INFO(c.node(i).name() << ": /primary " << primary.status << ", /replica " << replica.status
                          << ", /patroni " << patroni.status << " " << patroni.body);
    CHECK(primary.status == (i == p ? 200 : 503));
    CHECK(replica.status == (i == p ? 503 : 200));
    CHECK(patroni.status == 200);
    CHECK(c.node(i).api_get("/health").status == 200);
  }

  // An idle cluster decides about once per loop_wait (1 s) on each agent: nothing (the
  // leader's own refresh of its lock, say) wakes the loops in between.
  {
    auto loops = [&](int i) -> long {
      const auto m = c.node(i).api_get("/metrics");
      // "haagent_loops_total{scope=...,name=...} N"
      const auto at = m.body.find("\nhaagent_loops_total");
      const auto space = at == std::string::npos ? at : m.body.find(' ', at);
      return space == std::string::npos ? -1 : std::stol(m.body.substr(space + 1));
    };
    std::vector<long> before;
    for (int i = 0; i < c.size(); ++i) before.push_back(loops(i));
    std::this_thread::sleep_for(Ms(4000));
    for (int i = 0; i < c.size(); ++i) {
      const long after = loops(i);
      INFO(c.node(i).name() << ": haagent_loops_total " << before[i] << " -> " << after);
      REQUIRE(before[i] >= 0);
      CHECK(after - before[i] >= 2);
      CHECK(after - before[i] <= 12);
    }
  }

  require_exec(c, p, "CREATE TABLE e2e_writes(id bigint PRIMARY KEY)");
  SqlWriter writer(c.pg_ports(), "e2e_writes", Ms(20));
  REQUIRE(writer.wait_more_acks(20, Ms(10000)));

  // Planned switchover to a named candidate, through the leader's REST API.
  const int candidate = c.others(p).back();
  const nlohmann::json body = {{"leader", c.node(p).name()},
                               {"candidate", c.node(candidate).name()}};
  const auto sw_start = Clock::now();
  const auto reply = c.node(p).api_post("/switchover", body.dump(), Ms(30000));
  INFO("POST /switchover: " << reply.status << " " << reply.body);
  CHECK(reply.status == 200);
  const int p2 = c.wait_primary(Ms(30000), p);
  CHECK(p2 == candidate);
  c.wait_streaming(p2, c.others(p2), Ms(60000));
  REQUIRE(writer.wait_more_acks(20, Ms(10000)));
  WARN("switchover to " << c.node(candidate).name() << ": " << ms_since(sw_start)
                        << " ms until all streaming; writer's longest gap so far "
                        << writer.longest_gap().count() << " ms");

  // Switchover without a candidate: the /failover key with only the leader.
  const nlohmann::json request = {{"leader", c.node(p2).name()}};
  c.dcs_put("failover", request.dump());
  const int p3 = c.wait_primary(Ms(30000), p2);
  c.wait_streaming(p3, c.others(p3), Ms(60000));
  REQUIRE(writer.wait_more_acks(20, Ms(10000)));
  writer.stop();
  INFO("writer: " << writer.ack_count() << " acknowledged, " << writer.failed().size()
                  << " failed, longest gap " << writer.longest_gap().count() << " ms");
  // A planned switchover stops the old primary cleanly: nothing acknowledged is lost.
  require_acked_present(c, p3, writer, "e2e_writes");
  CHECK_FALSE(c.dcs_get("failover").has_value());

  // Node crash, asynchronous replication: kill -9 the primary's agent and PostgreSQL.
  require_exec(c, p3, "INSERT INTO e2e_rows VALUES (3, 'before the crash')");
  for (int r : c.others(p3)) {
    CHECK(c.wait_value(r, "SELECT v FROM e2e_rows WHERE id = 3", "before the crash", Ms(10000)));
  }
  const auto crash = Clock::now();
  REQUIRE(c.node(p3).crash_node() > 0);
  const int p4 = c.wait_primary(Ms(30000), p3);
  const auto promoted = c.monitor().became_writable(p4, crash);
  REQUIRE(promoted.has_value());
  WARN("node crash: " << c.node(p4).name() << " writable " << ms_between(crash, *promoted)
                      << " ms after the kill");
  require_exec(c, p4, "INSERT INTO e2e_rows VALUES (4, 'after the crash')");

  // The old node comes back as a replica of the new primary and has the new row.
  c.node(p3).start_agent();
  c.wait_streaming(p4, c.others(p4), Ms(90000));
  CHECK(c.wait_value(p3, "SELECT v FROM e2e_rows WHERE id = 4", "after the crash", Ms(10000)));
  CHECK(c.leader() == p4);
  require_no_split_brain(c);
}

}  // namespace
}  // namespace ha::e2e
