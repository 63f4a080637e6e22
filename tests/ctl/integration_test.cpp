// hactl against a real 3-member hadcs on loopback: the cluster keys in Patroni's layout as
// haagent writes them, then list/topology/history/show-config/dsn/version; the dcs commands;
// and the error cases (unreachable DCS within the deadline, unknown scope, unknown member).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "dcs/client/client.hpp"
#include "tests/ctl/hadcs_cluster.hpp"

using ha::test::HadcsCluster;
using ha::test::RunResult;

namespace {

std::string member(const std::string& host, const std::string& role, long long xlog,
                   const std::string& extra) {
  return R"({"conn_url":"postgres://)" + host + R"(/postgres","api_url":"http://)" + host +
         R"(/patroni","state":"running","role":")" + role + R"(","version":"0.1.0","timeline":2,)" +
         R"("xlog_location":)" + std::to_string(xlog) + extra + "}";
}

void put(const HadcsCluster& c, const std::string& key, const std::string& value) {
  const auto r = c.hactl({"dcs", "put", key, value});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.out == "OK\n");
}

// A cluster "demo" whose leader is pg3 (so "leader first" is not just name order), with two
// streaming replicas, written the way haagent writes them.
void write_demo_cluster(const HadcsCluster& c) {
  const std::string p = "/service/demo/";
  put(c, p + "initialize", "7412345678901234567");
  put(c, p + "config", R"({"ttl":30,"loop_wait":10,"retry_timeout":10,"postgresql":{"use_pg_rewind":true}})");
  put(c, p + "members/pg1",
      member("127.0.0.1:5433", "replica", 83886080, R"(,"replication_state":"streaming")"));
  put(c, p + "members/pg2",
      member("127.0.0.1:5434", "replica", 83886080, R"(,"replication_state":"streaming","tags":{"clonefrom":true})"));
  put(c, p + "members/pg3", member("127.0.0.1:5435", "primary", 83886080, ""));
  put(c, p + "leader", "pg3");
  put(c, p + "status", R"({"optime":83886080})");
  put(c, p + "history", R"([[1,50331808,"no recovery target specified","2026-11-30T06:00:00.000+00:00","pg3"]])");
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::string line;
  for (const char ch : text) {
    if (ch == '\n') {
      out.push_back(line);
      line.clear();
    } else {
      line += ch;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("list shows one leader and two streaming replicas, leader first") {
  HadcsCluster c;
  REQUIRE(c.wait_for_leader(20));
  write_demo_cluster(c);

  auto r = c.hactl({"--scope", "demo", "list"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.empty());
  const auto lines = lines_of(r.out);
  REQUIRE(lines.size() == 7);
  CHECK(lines[0].rfind("+ Cluster: demo (7412345678901234567) ", 0) == 0);
  CHECK(lines[1].rfind("| Member | Host           | Role    | State     | TL | Lag in MB |", 0) == 0);
  CHECK(lines[3].rfind("| pg3    | 127.0.0.1:5435 | Leader  | running   |  2 |           |", 0) == 0);
  CHECK(lines[4].rfind("| pg1    | 127.0.0.1:5433 | Replica | streaming |  2 |         0 |", 0) == 0);
  CHECK(lines[5].rfind("| pg2    | 127.0.0.1:5434 | Replica | streaming |  2 |         0 |", 0) == 0);
  CHECK(lines[4].find("\033[") == std::string::npos);  // not a terminal: no colour

  r = c.hactl({"--scope", "demo", "list", "--format", "json"});
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  REQUIRE(j.size() == 3);
  CHECK(j[0]["Member"] == "pg3");
  CHECK(j[0]["Role"] == "Leader");
  CHECK(j[1]["State"] == "streaming");
  CHECK(j[2]["State"] == "streaming");
  CHECK(j[2]["Tags"]["clonefrom"] == true);

  r = c.hactl({"--scope", "demo", "topology"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("| + pg1  |") != std::string::npos);

  r = c.hactl({"--scope", "demo", "history", "--format", "json"});
  REQUIRE(r.exit_code == 0);
  CHECK(nlohmann::json::parse(r.out)[0]["LSN"] == "0/30000A0");

  r = c.hactl({"--scope", "demo", "show-config"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("ttl: 30\n") != std::string::npos);
  CHECK(r.out.find("  use_pg_rewind: true\n") != std::string::npos);

  r = c.hactl({"--scope", "demo", "dsn"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "host=127.0.0.1 port=5435\n");
  r = c.hactl({"--scope", "demo", "dsn", "--role", "replica"});
  CHECK(r.out == "host=127.0.0.1 port=5433\n");

  r = c.hactl({"--scope", "demo", "version"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("pg3: haagent 0.1.0\n") != std::string::npos);
}

TEST_CASE("unknown scope and unknown member give their messages") {
  HadcsCluster c;
  REQUIRE(c.wait_for_leader(20));
  write_demo_cluster(c);

  auto r = c.hactl({"--scope", "nosuch", "list"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  std::string listed;
  for (const char ch : c.endpoints()) listed += ch == ',' ? std::string(", ") : std::string(1, ch);
  CHECK(r.err == "hactl: no cluster 'nosuch' in the DCS at " + listed +
                     " (no keys under /service/nosuch/); check --scope and the namespace\n");

  r = c.hactl({"--scope", "demo", "dsn", "pg9"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "hactl: no member 'pg9' in cluster 'demo'; members: pg1, pg2, pg3\n");

  r = c.hactl({"--scope", "demo", "switchover", "--candidate", "pg9", "--force"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "hactl: no member 'pg9' in cluster 'demo'; members: pg1, pg2, pg3\n");
  CHECK(r.out.empty());
}

TEST_CASE("dcs put, get, del, members, status, leases and move-leader") {
  HadcsCluster c;
  REQUIRE(c.wait_for_leader(20));
  put(c, "/t/a", "1");
  put(c, "/t/b", "two words");

  auto r = c.hactl({"dcs", "get", "/t/", "--prefix"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "/t/a\n1\n/t/b\ntwo words\n");
  r = c.hactl({"dcs", "get", "/t/b", "--print-value-only"});
  CHECK(r.out == "two words\n");
  r = c.hactl({"dcs", "get", "/t/a", "--format", "json"});
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["count"] == 1);
  CHECK(j["kvs"][0]["value"] == "1");
  const long long rev_a = j["kvs"][0]["mod_revision"];
  put(c, "/t/a", "changed");
  r = c.hactl({"dcs", "get", "/t/a", "--rev", std::to_string(rev_a), "--print-value-only"});
  CHECK(r.out == "1\n");

  r = c.hactl({"dcs", "del", "/t/", "--prefix"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "2\n");
  r = c.hactl({"dcs", "get", "/t/a"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "hactl: key '/t/a' not found\n");

  r = c.hactl({"dcs", "members", "--format", "json"});
  REQUIRE(r.exit_code == 0);
  j = nlohmann::json::parse(r.out);
  REQUIRE(j.size() == 3);
  r = c.hactl({"dcs", "members"});
  CHECK(r.out.find("| n2   |") != std::string::npos);

  r = c.hactl({"dcs", "status"});
  CHECK(r.exit_code == 0);
  CHECK(lines_of(r.out).size() == 7);
  r = c.hactl({"dcs", "status", "--format", "json"});
  j = nlohmann::json::parse(r.out);
  int leaders = 0;
  std::string follower;
  for (const auto& s : j) {
    leaders += s["is_leader"].get<bool>() ? 1 : 0;
    if (!s["is_leader"].get<bool>()) follower = s["id"];
    CHECK(s["raft_term"].get<long long>() >= 1);
  }
  CHECK(leaders == 1);

  // A lease granted through the client library; hactl attaches a key and lists it.
  ha::dcs::ClientOptions co;
  REQUIRE(ha::dcs::parse_endpoint_list(c.endpoints(), co.endpoints).empty());
  ha::dcs::Client client(co);
  auto lease = client.lease_grant(60);
  REQUIRE(lease.ok());
  char hex[24];
  std::snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(lease->id()));
  put(c, "/t/leased", "x");
  REQUIRE(c.hactl({"dcs", "put", "/t/leased", "x", "--lease", hex}).exit_code == 0);
  r = c.hactl({"dcs", "leases", "--format", "json"});
  REQUIRE(r.exit_code == 0);
  j = nlohmann::json::parse(r.out);
  REQUIRE(j.size() == 1);
  CHECK(j[0]["id"] == hex);
  CHECK(j[0]["keys"][0] == "/t/leased");
  r = c.hactl({"dcs", "put", "/t/x", "y", "--lease", "123abc"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("lease not found") != std::string::npos);

  r = c.hactl({"dcs", "move-leader", follower});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("Raft leadership moved") != std::string::npos);
  bool moved = false;
  for (int i = 0; i < 30 && !moved; ++i) {
    j = nlohmann::json::parse(c.hactl({"dcs", "status", "--format", "json"}).out);
    for (const auto& s : j) moved = moved || (s["id"] == follower && s["is_leader"] == true);
    if (!moved) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(moved);
  r = c.hactl({"dcs", "move-leader", "n9"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.rfind("hactl: no DCS member 'n9'; members: ", 0) == 0);
}

TEST_CASE("dcs watch prints the events and stops after --count") {
  HadcsCluster c;
  REQUIRE(c.wait_for_leader(20));
  // Start at the next revision so the events below count however late the watcher starts.
  const auto now = c.hactl({"dcs", "get", "/w/", "--prefix", "--format", "json"});
  REQUIRE(now.exit_code == 0);
  const auto next = nlohmann::json::parse(now.out)["revision"].get<long long>() + 1;
  RunResult watched;
  std::jthread watcher([&] {  // joined even when a REQUIRE below fails
    watched = c.hactl({"dcs", "watch", "/w/", "--prefix", "--rev", std::to_string(next), "--count", "3",
                       "--timeout", "20"});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  put(c, "/w/a", "1");
  put(c, "/w/b", "2");
  REQUIRE(c.hactl({"dcs", "del", "/w/a"}).exit_code == 0);
  put(c, "/w/c", "not counted");
  watcher.join();
  INFO(watched.err);
  CHECK(watched.exit_code == 0);
  CHECK(watched.out == "PUT\n/w/a\n1\nPUT\n/w/b\n2\nDELETE\n/w/a\n");

  // From a past revision, replayed; and too few events before --timeout is a failure.
  auto r = c.hactl({"dcs", "watch", "/w/", "--prefix", "--rev", "1", "--count", "2", "--format", "json"});
  CHECK(r.exit_code == 0);
  REQUIRE(lines_of(r.out).size() == 2);
  CHECK(nlohmann::json::parse(lines_of(r.out)[1])["type"] == "PUT");
  r = c.hactl({"dcs", "watch", "/none", "--count", "1", "--timeout", "0.5"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "hactl: watch: 0 of 1 events within --timeout 0.5 s\n");
}

TEST_CASE("an unreachable DCS gives one clear line within the deadline") {
  const std::string dir = std::filesystem::temp_directory_path().string();
  const std::string ep = "127.0.0.1:" + std::to_string(ha::test::free_loopback_port());
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--scope", "demo", "list"}, {"dcs", "get", "/x"}, {"dcs", "watch", "/x"}, {"dcs", "status"}}) {
    std::vector<std::string> argv = {HACTL_BIN, "--dcs", ep, "--timeout", "2"};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = ha::test::run(argv, dir, std::chrono::seconds(10));
    INFO(args.back() << ": " << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.elapsed < std::chrono::milliseconds(4000));
    CHECK(r.out.empty());
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(r.err.find(ep) != std::string::npos);
    CHECK(r.err.find("check that hadcs runs") != std::string::npos);
  }
}
