// Reading a peer's GET /patroni answer into a PeerStatus: primary and replica positions,
// tags, watchdog, and what makes an answer unusable.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "agent/rest/peer_probe.hpp"
#include "agent/rest/router.hpp"
#include "tests/agent/rest/status_builders.hpp"

using namespace ha::agent;
using namespace ha::agent::rest;
using namespace ha::agent::rest::test;

TEST_CASE("peer status: our own /patroni document reads back") {
  AgentStatus s = replica_status("node3", 0x2000);
  s.tags.failover_priority = 5;
  s.watchdog_failed = true;
  HttpRequest req;
  req.method = "GET";
  req.path = "/patroni";
  const auto body = handle_status_request(req, s, config(), kNow)->body;
  std::string error;
  const auto p = parse_peer_status("node3", body, &error);
  REQUIRE(p);
  CHECK(p->reachable);
  CHECK(p->running);
  CHECK(p->role == PgRole::replica);
  CHECK(p->wal_position == Lsn{0x5000000 - 0x2000});
  CHECK(p->timeline == 2);
  CHECK(p->tags.failover_priority == 5);
  CHECK(p->watchdog_failed);
}

TEST_CASE("peer status: Patroni's own document (master role, larger received position)") {
  const auto p = parse_peer_status(
      "pg2",
      R"({"state": "running", "role": "replica", "xlog": {"received_location": 500,
          "replayed_location": 400, "paused": false}, "timeline": 4,
          "patroni": {"version": "4.0.4", "scope": "demo", "name": "pg2"}})");
  REQUIRE(p);
  CHECK(p->wal_position == Lsn{500});
  CHECK(p->timeline == 4);
  const auto m = parse_peer_status(
      "pg1", R"({"state": "running", "role": "master", "xlog": {"location": 900}})");
  REQUIRE(m);
  CHECK(m->role == PgRole::primary);
  CHECK(m->wal_position == Lsn{900});
  const auto stopped = parse_peer_status("pg3", R"({"state": "stopped", "role": "replica"})");
  REQUIRE(stopped);
  CHECK_FALSE(stopped->running);
}

TEST_CASE("peer status: unusable answers say why") {
  std::string error;
  CHECK_FALSE(parse_peer_status("a", "<html>", &error));
  CHECK(error.find("not JSON") == 0);
  CHECK_FALSE(parse_peer_status("a", "[1,2]", &error));
  CHECK(error.find("state") != std::string::npos);
  CHECK_FALSE(parse_peer_status("a", R"({"state":"running","patroni":{"name":"b"}})", &error));
  CHECK(error.find("'b'") != std::string::npos);
}
