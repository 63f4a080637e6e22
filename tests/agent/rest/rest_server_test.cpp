// RestServer on a real socket (127.0.0.1, a free port): GET/HEAD/OPTIONS health checks as
// HAProxy sends them, basic auth on writes, the status line of a taken port, and probe_members
// against this server, a closed port and a server that answers as someone else.
#include "agent/rest/rest_server.hpp"

#include <httplib.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "agent/rest/basic_auth.hpp"
#include "agent/rest/peer_probe.hpp"
#include "tests/agent/rest/status_builders.hpp"

using namespace ha::agent;
using namespace ha::agent::rest;
using namespace ha::agent::rest::test;
using nlohmann::json;

namespace {

class NoStore final : public ClusterStore {
 public:
  StoreWrite write_failover(const FailoverRequest&, std::optional<std::int64_t>) override {
    return {StoreWrite::Result::failed, "no DCS in this test"};
  }
  StoreRead read_config() override { return {std::nullopt, "no DCS in this test"}; }
  StoreWrite write_config(const std::string&, std::optional<std::int64_t>) override {
    return {StoreWrite::Result::failed, "no DCS in this test"};
  }
};

struct Fixture {
  AgentConfig cfg = config();
  StatusBoard board;
  AdminRequests admin;
  NoStore store;

  Fixture() {
    AgentStatus s = primary_status();
    s.updated = WallClock::now();
    board.publish(s);
  }
};

std::string url_of(const RestServer& server) {
  return "http://127.0.0.1:" + std::to_string(server.port()) + "/patroni";
}

}  // namespace

TEST_CASE("RestServer answers health checks over HTTP: GET, HEAD, OPTIONS") {
  Fixture f;
  RestServer server(f.cfg, f.board, f.admin, f.store);
  REQUIRE(server.start().empty());
  REQUIRE(server.port() != 0);
  httplib::Client client("127.0.0.1", server.port());
  client.set_read_timeout(5, 0);

  auto r = client.Get("/primary");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(json::parse(r->body)["role"] == "primary");
  r = client.Get("/replica");
  REQUIRE(r);
  CHECK(r->status == 503);
  r = client.Head("/primary");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body.empty());
  r = client.Options("/replica");
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(r->body.empty());
  r = client.Get("/replica?lag=16MB&tag_zone=a");
  REQUIRE(r);
  CHECK(r->status == 503);
  r = client.Get("/metrics");
  REQUIRE(r);
  CHECK(r->body.find("patroni_primary{scope=\"demo\",name=\"node1\"} 1") != std::string::npos);
  r = client.Get("/no/such/path");
  REQUIRE(r);
  CHECK(r->status == 404);

  // The board is read on every request.
  f.board.publish(replica_status());
  r = client.Get("/primary");
  REQUIRE(r);
  CHECK(r->status == 503);
  server.stop();
  CHECK_FALSE(client.Get("/primary"));
}

TEST_CASE("RestServer: writes need basic auth when restapi.authentication is set") {
  Fixture f;
  f.cfg.restapi.authentication = Credentials{"admin", "s3cret"};
  RestOptions options;
  options.admin_wait = std::chrono::milliseconds(2000);
  RestServer server(f.cfg, f.board, f.admin, f.store, options);
  REQUIRE(server.start().empty());
  httplib::Client client("127.0.0.1", server.port());
  client.set_read_timeout(5, 0);

  auto r = client.Post("/reload", "", "application/json");
  REQUIRE(r);
  CHECK(r->status == 401);
  CHECK(r->get_header_value("WWW-Authenticate").find("Basic") == 0);
  client.set_basic_auth("admin", "wrong");
  r = client.Post("/reload", "", "application/json");
  REQUIRE(r);
  CHECK(r->status == 401);
  // GET stays open.
  r = client.Get("/health");
  REQUIRE(r);
  CHECK(r->status == 200);

  // With the right credentials the request reaches the loop, which answers it.
  std::thread loop([&] {
    for (int i = 0; i < 200; ++i) {
      if (auto taken = f.admin.take()) {
        CHECK(taken->request.kind == AdminRequest::Kind::reload);
        taken->promise.set_value({true, "reloaded"});
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  client.set_basic_auth("admin", "s3cret");
  r = client.Post("/reload", "", "application/json");
  loop.join();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "reloaded\n");

  // A body over the limit is refused.
  r = client.Post("/switchover", std::string(70 * 1024, ' '), "application/json");
  REQUIRE(r);
  CHECK(r->status == 413);
}

TEST_CASE("RestServer: a taken port is a clear error, not a shared port") {
  Fixture f;
  RestServer first(f.cfg, f.board, f.admin, f.store);
  REQUIRE(first.start().empty());
  AgentConfig cfg2 = f.cfg;
  cfg2.restapi.listen.port = first.port();
  RestServer second(cfg2, f.board, f.admin, f.store);
  const std::string error = second.start();
  CHECK(error.find("cannot listen on 127.0.0.1:" + std::to_string(first.port())) == 0);
  CHECK(error.find("restapi.listen") != std::string::npos);
}

TEST_CASE("probe_members: a live member, a closed port, a wrong member, all in parallel") {
  Fixture f;
  RestServer server(f.cfg, f.board, f.admin, f.store);
  REQUIRE(server.start().empty());

  // A port that was free a moment ago: nothing listens there.
  std::uint16_t closed_port = 0;
  {
    Fixture g;
    RestServer tmp(g.cfg, g.board, g.admin, g.store);
    REQUIRE(tmp.start().empty());
    closed_port = tmp.port();
  }
  const auto start = std::chrono::steady_clock::now();
  const auto peers =
      probe_members({{"node1", url_of(server)},
                     {"node9", "http://127.0.0.1:" + std::to_string(closed_port) + "/patroni"},
                     {"node2", url_of(server)},                      // answers as node1
                     {"node4", "http://10.255.255.1:8008/patroni"},  // unroutable: times out
                     {"node5", "not a url"}},
                    std::chrono::milliseconds(600));
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(peers.size() == 5);
  CHECK(peers[0].name == "node1");
  CHECK(peers[0].reachable);
  CHECK(peers[0].running);
  CHECK(peers[0].role == PgRole::primary);
  CHECK(peers[0].wal_position == Lsn{0x5000000});
  CHECK(peers[0].timeline == 2);
  CHECK(peers[1].name == "node9");
  CHECK_FALSE(peers[1].reachable);
  CHECK(peers[2].name == "node2");
  CHECK_FALSE(peers[2].reachable);
  CHECK_FALSE(peers[3].reachable);
  CHECK_FALSE(peers[4].reachable);
  CHECK(took < std::chrono::milliseconds(1500));
}
