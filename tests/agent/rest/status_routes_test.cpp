// The read-only endpoints as pure functions of an AgentStatus: the /patroni document, every
// health check for a primary, replicas (lagging, noloadbalance, tags, sync), a paused agent, a
// stale loop and a DCS outage; HEAD/OPTIONS; /cluster, /history, /metrics; 404 and 405.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "agent/rest/router.hpp"
#include "agent/rest/size_param.hpp"
#include "tests/agent/rest/status_builders.hpp"

using namespace ha::agent;
using namespace ha::agent::rest;
using namespace ha::agent::rest::test;
using nlohmann::json;

namespace {

HttpResponse get(const AgentStatus& s, const std::string& path, Params query = {},
                 const std::string& method = "GET", WallTime now = kNow) {
  HttpRequest req;
  req.method = method;
  req.path = path;
  req.query = std::move(query);
  const auto r = handle_status_request(req, s, config(), now);
  REQUIRE(r.has_value());
  return *r;
}

int code(const AgentStatus& s, const std::string& path, Params query = {}) {
  return get(s, path, std::move(query)).status;
}

}  // namespace

TEST_CASE("GET /patroni on a primary: Patroni's fields") {
  const auto r = get(primary_status(), "/patroni");
  CHECK(r.status == 200);
  CHECK(r.content_type == "application/json");
  const json v = json::parse(r.body);
  CHECK(v["state"] == "running");
  CHECK(v["role"] == "primary");
  CHECK(v["server_version"] == 150004);
  CHECK(v["postmaster_start_time"] == "2026-05-01 10:00:00.000 UTC");
  CHECK(v["xlog"]["location"] == 0x5000000);
  CHECK(v["timeline"] == 2);
  CHECK(v["cluster_unlocked"] == false);
  CHECK(v["dcs_last_seen"].get<std::int64_t>() ==
        std::chrono::duration_cast<std::chrono::seconds>(kNow.time_since_epoch()).count() - 1);
  CHECK(v["database_system_identifier"] == "7300000000000000001");
  CHECK(v["patroni"] == json{{"version", "0.1.0"}, {"scope", "demo"}, {"name", "node1"}});
  CHECK(v["pending_restart"] == false);
  CHECK(v["pause"] == false);
  CHECK(v["watchdog_failed"] == false);
  REQUIRE(v["replication"].size() == 2);
  const json& row = v["replication"][0];
  CHECK(row["usename"] == "replicator");
  CHECK(row["application_name"] == "node2");
  CHECK(row["client_addr"] == "10.0.0.2");
  CHECK(row["state"] == "streaming");
  CHECK(row["sync_state"] == "async");
  CHECK(row["sync_priority"] == 0);
  CHECK_FALSE(v.contains("tags"));
}

TEST_CASE("GET /patroni on a replica: received and replayed positions, tags") {
  AgentStatus s = replica_status("node2", 0x100);
  s.tags.nofailover = true;
  s.tags.other["zone"] = "a";
  const json v = json::parse(get(s, "/patroni").body);
  CHECK(v["role"] == "replica");
  CHECK(v["xlog"]["received_location"] == 0x5000000 - 0x100);
  CHECK(v["xlog"]["replayed_location"] == 0x5000000 - 0x100);
  CHECK(v["xlog"]["paused"] == false);
  CHECK_FALSE(v["xlog"].contains("location"));
  CHECK(v["replication_state"] == "streaming");
  CHECK(v["tags"]["nofailover"] == true);
  CHECK(v["tags"]["zone"] == "a");
  CHECK_FALSE(v.contains("replication"));
}

TEST_CASE("GET /patroni with PostgreSQL stopped and no leader: no xlog, cluster_unlocked") {
  AgentStatus s = replica_status();
  s.pg.state = PgState::stopped;
  s.dcs.leader.reset();
  const auto r = get(s, "/patroni");
  CHECK(r.status == 200);
  const json v = json::parse(r.body);
  CHECK(v["state"] == "stopped");
  CHECK_FALSE(v.contains("xlog"));
  CHECK(v["cluster_unlocked"] == true);
}

TEST_CASE("health checks on the primary") {
  const AgentStatus s = primary_status();
  for (const char* path : {"/", "/primary", "/read-write", "/master", "/leader", "/read-only",
                           "/health", "/liveness", "/readiness"}) {
    INFO(path);
    CHECK(code(s, path) == 200);
  }
  for (const char* path : {"/replica", "/sync", "/synchronous", "/async", "/asynchronous"}) {
    INFO(path);
    CHECK(code(s, path) == 503);
  }
  // The body of a health check is the status document, with the check's code.
  const auto r = get(s, "/replica");
  CHECK(json::parse(r.body)["role"] == "primary");
  // Tag filters are ignored on the primary's paths.
  CHECK(code(s, "/primary", {{"tag_zone", "x"}}) == 200);
}

TEST_CASE("a running primary without the lock is not /primary") {
  AgentStatus s = primary_status();
  s.holds_lock = false;
  CHECK(code(s, "/primary") == 503);
  CHECK(code(s, "/leader") == 503);
  CHECK(code(s, "/read-only") == 503);
  CHECK(code(s, "/health") == 200);
}

TEST_CASE("health checks on a streaming replica") {
  const AgentStatus s = replica_status();
  for (const char* path :
       {"/replica", "/read-only", "/async", "/health", "/liveness", "/readiness"}) {
    INFO(path);
    CHECK(code(s, path) == 200);
  }
  for (const char* path : {"/", "/primary", "/leader", "/sync"}) {
    INFO(path);
    CHECK(code(s, path) == 503);
  }
}

TEST_CASE("?lag= on a lagging replica: bytes and units") {
  const AgentStatus s = replica_status("node3", 16 * 1024 * 1024);
  CHECK(code(s, "/replica") == 200);
  CHECK(code(s, "/replica", {{"lag", "16MB"}}) == 200);
  CHECK(code(s, "/replica", {{"lag", "15MB"}}) == 503);
  CHECK(code(s, "/replica", {{"lag", "16777216"}}) == 200);
  CHECK(code(s, "/replica", {{"lag", "16777215"}}) == 503);
  CHECK(code(s, "/read-only", {{"lag", "1kB"}}) == 503);
  CHECK(code(s, "/async", {{"lag", "1GB"}}) == 200);
  // Readiness: default limit maximum_lag_on_failover (1 MiB).
  CHECK(code(s, "/readiness") == 503);
  CHECK(code(s, "/readiness", {{"lag", "32MB"}}) == 200);
  // A malformed value is refused with a message, not silently ignored.
  const auto bad = get(s, "/replica", {{"lag", "lots"}});
  CHECK(bad.status == 400);
  CHECK(bad.body.find("lag") != std::string::npos);
}

TEST_CASE("?lag= cannot be honoured without a known leader position") {
  AgentStatus s = replica_status();
  s.dcs.last_leader_lsn.reset();
  s.dcs.leader.reset();
  CHECK(code(s, "/replica") == 200);
  CHECK(code(s, "/replica", {{"lag", "1MB"}}) == 503);
}

TEST_CASE("readiness: mode=write measures the received position") {
  AgentStatus s = replica_status();
  s.pg.replay_lsn = Lsn{0x5000000 - 8 * 1024 * 1024};
  CHECK(code(s, "/readiness") == 503);
  CHECK(code(s, "/readiness", {{"mode", "write"}}) == 200);
  CHECK(code(s, "/readiness", {{"mode", "fast"}}) == 400);
  s.pg.streaming = false;
  CHECK(code(s, "/readiness", {{"mode", "write"}}) == 503);
}

TEST_CASE("noloadbalance takes a replica out of /replica but not /health") {
  AgentStatus s = replica_status();
  s.tags.noloadbalance = true;
  CHECK(code(s, "/replica") == 503);
  CHECK(code(s, "/read-only") == 503);
  CHECK(code(s, "/async") == 503);
  CHECK(code(s, "/health") == 200);
}

TEST_CASE("?tag_k=v filters: every pair must match, a missing tag fails") {
  AgentStatus s = replica_status();
  s.tags.other["zone"] = "eu-1";
  s.tags.nosync = true;
  CHECK(code(s, "/replica", {{"tag_zone", "eu-1"}}) == 200);
  CHECK(code(s, "/replica", {{"tag_zone", "EU-1"}}) == 200);
  CHECK(code(s, "/replica", {{"tag_zone", "us-1"}}) == 503);
  CHECK(code(s, "/replica", {{"tag_rack", "r1"}}) == 503);
  CHECK(code(s, "/replica", {{"tag_nosync", "true"}, {"tag_zone", "eu-1"}}) == 200);
  CHECK(code(s, "/replica", {{"tag_nosync", "false"}}) == 503);
  CHECK(code(s, "/replica", {{"tag_nofailover", "false"}}) == 200);
}

TEST_CASE("/sync and /async follow the /sync key in synchronous mode") {
  AgentStatus s = replica_status();
  s.dcs.config.synchronous_mode = true;
  s.dcs.sync = SyncState{"node1", {"node2"}, 5};
  CHECK(code(s, "/sync") == 200);
  CHECK(code(s, "/synchronous") == 200);
  CHECK(code(s, "/async") == 503);
  CHECK(json::parse(get(s, "/patroni").body)["sync_standby"] == true);
  // The sync key without synchronous_mode means nothing.
  s.dcs.config.synchronous_mode = false;
  CHECK(code(s, "/sync") == 503);
  CHECK(code(s, "/async") == 200);
  // /sync needs the DCS.
  s.dcs.config.synchronous_mode = true;
  s.dcs.reachable = false;
  CHECK(code(s, "/sync") == 503);
}

TEST_CASE("liveness: the loop ran within ttl on a primary, 2 x ttl elsewhere; always when paused") {
  AgentStatus p = primary_status();  // ttl 3 s
  p.updated = kNow - std::chrono::milliseconds(2900);
  CHECK(code(p, "/liveness") == 200);
  p.updated = kNow - std::chrono::milliseconds(3100);
  CHECK(code(p, "/liveness") == 503);
  AgentStatus r = replica_status();
  r.updated = kNow - std::chrono::milliseconds(5900);
  CHECK(code(r, "/liveness") == 200);
  r.updated = kNow - std::chrono::milliseconds(6100);
  CHECK(code(r, "/liveness") == 503);
  r.paused = true;
  CHECK(code(r, "/liveness") == 200);
  // Before the first loop: not alive.
  CHECK(code(AgentStatus{}, "/liveness") == 503);
  // Status only.
  CHECK(get(p, "/liveness").body.empty());
}

TEST_CASE("paused: health checks keep answering from the state") {
  AgentStatus s = primary_status();
  s.paused = true;
  CHECK(code(s, "/primary") == 200);
  CHECK(json::parse(get(s, "/patroni").body)["pause"] == true);
}

TEST_CASE("DCS down: the last view answers, /patroni says when the DCS was last seen") {
  AgentStatus s = replica_status();
  s.dcs.reachable = false;
  s.dcs_last_seen = kNow - std::chrono::seconds(20);
  CHECK(code(s, "/replica") == 200);
  const json v = json::parse(get(s, "/patroni").body);
  CHECK(v["dcs_last_seen"].get<std::int64_t>() ==
        std::chrono::duration_cast<std::chrono::seconds>(kNow.time_since_epoch()).count() - 20);
}

TEST_CASE("PostgreSQL down: every check fails") {
  AgentStatus s = replica_status();
  s.pg.state = PgState::crashed;
  for (const char* path : {"/", "/replica", "/read-only", "/async", "/health", "/readiness"}) {
    INFO(path);
    CHECK(code(s, path) == 503);
  }
}

TEST_CASE("HEAD and OPTIONS: the status line only") {
  const AgentStatus s = replica_status();
  for (const char* method : {"HEAD", "OPTIONS"}) {
    INFO(method);
    auto r = get(s, "/replica", {}, method);
    CHECK(r.status == 200);
    CHECK(r.body.empty());
    r = get(s, "/primary", {}, method);
    CHECK(r.status == 503);
    CHECK(r.body.empty());
  }
}

TEST_CASE("GET /cluster: members with roles, host, port, lag; a scheduled switchover") {
  AgentStatus s = replica_status();
  s.dcs.config.synchronous_mode = true;
  s.dcs.sync = SyncState{"node1", {"node2"}, 5};
  s.dcs.failover = FailoverRequest{"node1", "node3", kNow + std::chrono::hours(1), 9};
  const json v = json::parse(get(s, "/cluster").body);
  CHECK(v["scope"] == "demo");
  REQUIRE(v["members"].size() == 3);
  const json& m1 = v["members"][0];
  CHECK(m1["name"] == "node1");
  CHECK(m1["role"] == "leader");
  CHECK(m1["state"] == "running");
  CHECK(m1["api_url"] == "http://10.0.0.1:8008/patroni");
  CHECK(m1["host"] == "10.0.0.1");
  CHECK(m1["port"] == 5432);
  CHECK(m1["timeline"] == 2);
  CHECK_FALSE(m1.contains("lag"));
  CHECK(v["members"][1]["role"] == "sync_standby");
  CHECK(v["members"][1]["lag"] == 0);
  CHECK(v["members"][2]["role"] == "replica");
  CHECK(v["members"][2]["lag"] == 0x100000);
  CHECK(v["scheduled_switchover"]["from"] == "node1");
  CHECK(v["scheduled_switchover"]["to"] == "node3");
  CHECK(v["scheduled_switchover"]["at"].get<std::string>().find("+00:00") != std::string::npos);
  CHECK_FALSE(v.contains("pause"));
}

TEST_CASE("GET /history: the history key as lists") {
  AgentStatus s = replica_status();
  s.dcs.history = {
      {1, Lsn{0x3000060}, "no recovery target specified", "2026-05-01T10:00:00+00:00", "node1"}};
  const json v = json::parse(get(s, "/history").body);
  REQUIRE(v.size() == 1);
  CHECK(v[0][0] == 1);
  CHECK(v[0][1] == 0x3000060);
  CHECK(v[0][4] == "node1");
}

TEST_CASE("GET /metrics: Prometheus text with scope and name labels") {
  AgentStatus s = primary_status();
  s.paused = true;
  const auto r = get(s, "/metrics");
  CHECK(r.status == 200);
  CHECK(r.content_type.find("text/plain") == 0);
  const std::string& t = r.body;
  CHECK(t.find("# TYPE patroni_primary gauge\n") != std::string::npos);
  CHECK(t.find("patroni_primary{scope=\"demo\",name=\"node1\"} 1\n") != std::string::npos);
  CHECK(t.find("patroni_replica{scope=\"demo\",name=\"node1\"} 0\n") != std::string::npos);
  CHECK(t.find("patroni_postgres_running{scope=\"demo\",name=\"node1\"} 1\n") != std::string::npos);
  CHECK(t.find("patroni_xlog_location{scope=\"demo\",name=\"node1\"} 83886080\n") !=
        std::string::npos);
  CHECK(t.find("patroni_postgres_timeline{scope=\"demo\",name=\"node1\"} 2\n") !=
        std::string::npos);
  CHECK(t.find("patroni_is_paused{scope=\"demo\",name=\"node1\"} 1\n") != std::string::npos);
  CHECK(t.find("patroni_version{scope=\"demo\",name=\"node1\"} 100\n") != std::string::npos);
  CHECK(t.find("patroni_dcs_last_seen{scope=\"demo\",name=\"node1\"} ") != std::string::npos);
  CHECK(t.find("haagent_loops_total{scope=\"demo\",name=\"node1\"} 10\n") != std::string::npos);
}

TEST_CASE("unknown paths and methods") {
  const AgentStatus s = replica_status();
  StatusBoard board;
  board.publish(s);
  const AgentConfig c = config();
  RestContext ctx;
  ctx.config = &c;
  ctx.board = &board;
  HttpRequest req;
  req.method = "GET";
  req.path = "/nope";
  auto r = handle_request(req, ctx);
  CHECK(r.status == 404);
  CHECK(r.body.find("/nope") != std::string::npos);
  req.method = "POST";
  req.path = "/replica";
  r = handle_request(req, ctx);
  CHECK(r.status == 405);
  req.method = "GET";
  req.path = "/switchover";
  r = handle_request(req, ctx);
  CHECK(r.status == 405);
  REQUIRE(r.headers.size() == 1);
  CHECK(r.headers[0] == std::pair<std::string, std::string>{"Allow", "POST"});
  CHECK_FALSE(handle_status_request(req, s, c, kNow).has_value());
}

TEST_CASE("byte sizes: plain bytes and PostgreSQL's units") {
  CHECK(parse_byte_size("0") == 0U);
  CHECK(parse_byte_size("123") == 123U);
  CHECK(parse_byte_size("16kB") == 16U * 1024);
  CHECK(parse_byte_size("16MB") == 16U * 1024 * 1024);
  CHECK(parse_byte_size("1GB") == 1024U * 1024 * 1024);
  CHECK(parse_byte_size("2 tb") == 2ULL << 40);
  CHECK(parse_byte_size("10B") == 10U);
  CHECK_FALSE(parse_byte_size(""));
  CHECK_FALSE(parse_byte_size("MB"));
  CHECK_FALSE(parse_byte_size("-1"));
  CHECK_FALSE(parse_byte_size("16 MiB"));
  CHECK_FALSE(parse_byte_size("99999999999TB"));
}
