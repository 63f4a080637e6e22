// hactl's cluster-changing commands against a real 3-member hadcs, with in-test HTTP servers
// (FakeAgent) standing in for the agents' REST APIs: what lands in the DCS (the config key for
// pause/resume and edit-config, the failover key when no agent answers, nothing left after
// remove) and what the agents are sent (paths, bodies, basic auth), with the exit codes.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "dcs/client/client.hpp"
#include "tests/ctl/fake_agent.hpp"
#include "tests/ctl/hadcs_cluster.hpp"

using ha::test::FakeAgent;
using ha::test::HadcsCluster;
using ha::test::RunResult;
using nlohmann::json;

namespace {

const std::string kPrefix = "/service/demo/";
const std::string kDeadApi = "http://127.0.0.1:1/patroni";  // nothing listens on port 1

std::string member(const std::string& role, const std::string& api_url,
                   const std::string& extra = "") {
  return R"({"conn_url":"postgres://127.0.0.1:5432/postgres","api_url":")" + api_url +
         R"(","state":"running","role":")" + role + R"(","timeline":2,"xlog_location":83886080)" +
         extra + "}";
}

ha::dcs::Client client_of(const HadcsCluster& c) {
  ha::dcs::ClientOptions co;
  REQUIRE(ha::dcs::parse_endpoint_list(c.endpoints(), co.endpoints).empty());
  return ha::dcs::Client(co);
}

void put(ha::dcs::Client& kv, const std::string& key, const std::string& value) {
  REQUIRE(kv.put(key, value).ok());
}

std::optional<std::string> get(ha::dcs::Client& kv, const std::string& key) {
  auto r = kv.get(key);
  REQUIRE(r.ok());
  if (r->kvs_size() == 0) return std::nullopt;
  return r->kvs(0).value();
}

// pg3 leads, pg1 and pg2 stream; each member's api_url as given.
void write_cluster(ha::dcs::Client& kv, const std::string& api1, const std::string& api2,
                   const std::string& api3, const std::string& config = R"({"ttl":30})") {
  put(kv, kPrefix + "initialize", "7412345678901234567");
  put(kv, kPrefix + "config", config);
  put(kv, kPrefix + "members/pg1", member("replica", api1, R"(,"replication_state":"streaming")"));
  put(kv, kPrefix + "members/pg2", member("replica", api2, R"(,"replication_state":"streaming")"));
  put(kv, kPrefix + "members/pg3", member("primary", api3));
  put(kv, kPrefix + "leader", "pg3");
}

// An agent config file naming the scope and REST credentials (as patronictl reads them).
std::string write_config_file(const HadcsCluster& c) {
  const std::string path = c.dir() + "/haagent.yml";
  std::ofstream(path) << "scope: demo\nrestapi:\n  authentication:\n    username: admin\n"
                         "    password: s3cret\n";
  return path;
}

}  // namespace

TEST_CASE("switchover through the leader's REST API: body, auth, the new leader shown") {
  HadcsCluster c;
  REQUIRE(c.wait_for_leader(20));
  auto kv = client_of(c);
  FakeAgent leader;
  write_cluster(kv, kDeadApi, kDeadApi, leader.api_url());
  leader.answer(200, "Successfully switched over to \"pg1\"");
  leader.on_request([&](const ha::test::RecordedRequest&) {
    auto w = client_of(c);  // as the agents would: the candidate takes the leader key
    (void)w.put(kPrefix + "leader", "pg1");
  });
  const auto cfg = write_config_file(c);
  auto r = c.hactl({"-c", cfg, "switchover", "--candidate", "pg1", "--force"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  const auto reqs = leader.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].path == "/switchover");
  CHECK(json::parse(reqs[0].body) == json{{"leader", "pg3"}, {"candidate", "pg1"}});
  CHECK(reqs[0].authorization == "Basic YWRtaW46czNjcmV0");
  CHECK(r.out.find("Switched over to 'pg1' (was 'pg3')") != std::string::npos);
  CHECK(r.out.find("| pg1    | 127.0.0.1:5432 | Leader") != std::string::npos);

  // The agent refuses: its reason, exit 1, nothing written.
  put(kv, kPrefix + "leader", "pg3");
  leader.on_request(nullptr);
  leader.answer(412, "candidate name does not match with sync_standby");
  r = c.hactl({"-c", cfg, "switchover", "--candidate", "pg1", "--force"});
  CHECK(r.exit_code == 1);
  CHECK(r.err ==
        "hactl: switchover refused by pg3: HTTP 412: candidate name does not match with "
        "sync_standby; nothing was changed\n");
  CHECK_FALSE(get(kv, kPrefix + "failover"));

  // Checks before anything is sent.
  r = c.hactl({"--scope", "demo", "switchover", "--leader", "pg2", "--force"});
  CHECK(r.exit_code == 1);
  CHECK(r.err ==
        "hactl: 'pg2' is not the leader of cluster 'demo'; the leader is 'pg3' (see "
        "hactl list)\n");
  CHECK(leader.requests().size() == 2);
  // Without --force and without answers: aborted.
  r = c.hactl({"--scope", "demo", "switchover", "--candidate", "pg1"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("aborted") != std::string::npos);
  CHECK(leader.requests().size() == 2);
  // Answered on stdin: the prompt's answers are used.
  leader.answer(202, "Switchover scheduled");
  r = c.hactl_with_input({"--scope", "demo", "switchover"}, "pg2\n2099-01-01T00:00Z\ny\n");
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  REQUIRE(leader.requests().size() == 3);
  CHECK(
      json::parse(leader.requests()[2].body) ==
      json{{"leader", "pg3"}, {"candidate", "pg2"}, {"scheduled_at", "2099-01-01T00:00:00+00:00"}});
}

TEST_CASE("switchover and failover fall back to the DCS failover key when no agent answers") {
  HadcsCluster c;
  REQUIRE(c.wait_for_leader(20));
  auto kv = client_of(c);
  write_cluster(kv, kDeadApi, kDeadApi, kDeadApi);

  // A stand-in for the agents: when the failover key appears, pg1 takes the lock and the key
  // is consumed.
  std::string seen;
  std::jthread agents([&] {
    auto w = client_of(c);
    for (int i = 0; i < 200 && seen.empty(); ++i) {
      auto r = w.get(kPrefix + "failover");
      if (r.ok() && r->kvs_size() == 1) {
        seen = r->kvs(0).value();
        (void)w.put(kPrefix + "leader", "pg1");
        (void)w.del(kPrefix + "failover");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  auto r = c.hactl({"--scope", "demo", "switchover", "--candidate", "pg1", "--force"});
  agents.join();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(json::parse(seen) == json{{"leader", "pg3"}, {"member", "pg1"}});
  CHECK(r.err.find("pg3's REST API is unreachable: http://127.0.0.1:1/switchover") !=
        std::string::npos);
  CHECK(
      r.out.find("Writing the switchover request into the DCS instead (/service/demo/failover)") !=
      std::string::npos);
  CHECK(r.out.find("Switched over to 'pg1' (was 'pg3')") != std::string::npos);

  // Scheduled: the key is written with the time and hactl returns at once.
  put(kv, kPrefix + "leader", "pg3");
  r = c.hactl({"--scope", "demo", "switchover", "--candidate", "pg2", "--scheduled",
               "2099-06-01T12:00+02:00", "--force"});
  CHECK(r.exit_code == 0);
  auto key = get(kv, kPrefix + "failover");
  REQUIRE(key);
  CHECK(json::parse(*key) ==
        json{{"leader", "pg3"}, {"member", "pg2"}, {"scheduled_at", "2099-06-01T10:00:00+00:00"}});
  // A second request is refused while the first is pending.
  r = c.hactl({"--scope", "demo", "failover", "--candidate", "pg1", "--force"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("already pending; wait for it, or withdraw it with: hactl dcs del "
                   "/service/demo/failover") != std::string::npos);
  REQUIRE(kv.del(kPrefix + "failover").ok());

  // Failover without a leader: the best member is chosen; the key names no leader.
  REQUIRE(kv.del(kPrefix + "leader").ok());
  std::string failover_seen;
  std::jthread agents2([&] {
    auto w = client_of(c);
    for (int i = 0; i < 200 && failover_seen.empty(); ++i) {
      auto g = w.get(kPrefix + "failover");
      if (g.ok() && g->kvs_size() == 1) {
        failover_seen = g->kvs(0).value();
        (void)w.put(kPrefix + "leader", "pg1");
        (void)w.del(kPrefix + "failover");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  r = c.hactl({"--scope", "demo", "failover", "--force"});
  agents2.join();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(json::parse(failover_seen) == json{{"member", "pg1"}});
  CHECK(r.out.find("Failed over to 'pg1'") != std::string::npos);

  // With a healthy leader and no candidate, failover refuses.
  r = c.hactl({"--scope", "demo", "failover", "--force"});
  CHECK(r.exit_code == 1);
  CHECK(r.err ==
        "hactl: cluster 'demo' has a healthy leader 'pg1'; name the member to promote "
        "with --candidate NAME, or use hactl switchover\n");
}

TEST_CASE("pause and resume: PATCH /config when an agent answers, else the config key by CAS") {
  HadcsCluster c;
  REQUIRE(c.wait_for_leader(20));
  auto kv = client_of(c);
  write_cluster(kv, kDeadApi, kDeadApi, kDeadApi, R"({"ttl":3,"loop_wait":1})");

  auto r = c.hactl({"--scope", "demo", "pause"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "Success: cluster management is paused\n");
  CHECK(json::parse(*get(kv, kPrefix + "config")) ==
        json{{"ttl", 3}, {"loop_wait", 1}, {"pause", true}});
  r = c.hactl({"--scope", "demo", "pause"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "hactl: cluster 'demo' is already paused; nothing to do\n");
  r = c.hactl({"--scope", "demo", "list"});
  CHECK(r.out.find("Maintenance mode") != std::string::npos);

  // resume --wait: the members report "pause": false (or nothing) at once.
  r = c.hactl({"--scope", "demo", "resume", "--wait"});
  CHECK(r.exit_code == 0);
  CHECK(json::parse(*get(kv, kPrefix + "config"))["pause"] == false);

  // pause --wait: pg1 keeps reporting "pause": false, so the wait fails and names it.
  put(kv, kPrefix + "members/pg1",
      member("replica", kDeadApi, R"(,"replication_state":"streaming","pause":false)"));
  r = c.hactl({"--scope", "demo", "pause", "--wait"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("these members did not report it within 10 s: pg1") != std::string::npos);
  REQUIRE(kv.put(kPrefix + "config", R"({"ttl":30})").ok());

  // Through an agent's REST API, with the credentials from the config file.
  FakeAgent agent;
  put(kv, kPrefix + "members/pg3", member("primary", agent.api_url()));
  r = c.hactl({"-c", write_config_file(c), "pause"});
  CHECK(r.exit_code == 0);
  const auto reqs = agent.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].method == "PATCH");
  CHECK(reqs[0].path == "/config");
  CHECK(json::parse(reqs[0].body) == json{{"pause", true}});
  CHECK(reqs[0].authorization == "Basic YWRtaW46czNjcmV0");
  CHECK(json::parse(*get(kv, kPrefix + "config")) == json{{"ttl", 30}});  // the agent writes it
}

TEST_CASE("edit-config: diff, validation, confirmation and compare-and-set") {
  HadcsCluster c;
  REQUIRE(c.wait_for_leader(20));
  auto kv = client_of(c);
  write_cluster(kv, kDeadApi, kDeadApi, kDeadApi, R"({"ttl":30,"loop_wait":10})");

  auto r = c.hactl(
      {"--scope", "demo", "edit-config", "-s", "loop_wait=5", "-p", "work_mem=64MB", "--force"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out ==
        "--- current\n+++ new\n@@ -1,2 +1,5 @@\n-loop_wait: 10\n+loop_wait: 5\n+postgresql:\n"
        "+  parameters:\n+    work_mem: 64MB\n ttl: 30\nConfiguration changed\n");
  CHECK(json::parse(*get(kv, kPrefix + "config")) ==
        json{{"ttl", 30},
             {"loop_wait", 5},
             {"postgresql", {{"parameters", {{"work_mem", "64MB"}}}}}});

  // Invalid: refused, nothing written.
  const auto before = *get(kv, kPrefix + "config");
  r = c.hactl({"--scope", "demo", "edit-config", "-s", "ttl=1", "--force"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("hactl: invalid: ttl: ") != std::string::npos);
  CHECK(r.err.find("hactl: the new config is not valid (see above); nothing was written\n") !=
        std::string::npos);
  CHECK(*get(kv, kPrefix + "config") == before);

  // No change; no confirmation; confirmed on stdin.
  r = c.hactl({"--scope", "demo", "edit-config", "-s", "ttl=30"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "Not changed\n");
  r = c.hactl({"--scope", "demo", "edit-config", "-s", "ttl=20"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "hactl: not applied (pass --force to apply without this question)\n");
  CHECK(*get(kv, kPrefix + "config") == before);
  r = c.hactl_with_input({"--scope", "demo", "edit-config", "-s", "ttl=20"}, "y\n");
  CHECK(r.exit_code == 0);
  CHECK(json::parse(*get(kv, kPrefix + "config"))["ttl"] == 20);

  // --apply from stdin merges (null removes); --replace replaces.
  r = c.hactl_with_input({"--scope", "demo", "edit-config", "--apply", "-", "--force"},
                         "postgresql: null\nsynchronous_mode: true\n");
  CHECK(r.exit_code == 0);
  CHECK(json::parse(*get(kv, kPrefix + "config")) ==
        json{{"ttl", 20}, {"loop_wait", 5}, {"synchronous_mode", true}});
  const std::string file = c.dir() + "/new.yaml";
  std::ofstream(file) << "ttl: 10\n";
  r = c.hactl({"--scope", "demo", "edit-config", "--replace", file, "--force"});
  CHECK(r.exit_code == 0);
  CHECK(json::parse(*get(kv, kPrefix + "config")) == json{{"ttl", 10}});

  // Nothing to change and no terminal: usage error.
  r = c.hactl({"--scope", "demo", "edit-config"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("nothing to change") != std::string::npos);

  // Someone writes the key between hactl's read and its write: the CAS fails, nothing written.
  // hactl reads the key, then blocks opening the FIFO until the test has changed the key.
  const std::string fifo = c.dir() + "/patch.fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  RunResult raced;
  std::jthread runner([&] {
    raced = c.hactl({"--scope", "demo", "edit-config", "--apply", fifo, "--force"});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // hactl has read the key
  put(kv, kPrefix + "config", R"({"ttl":15})");
  std::ofstream(fifo) << "ttl: 25\n";
  runner.join();
  INFO(raced.out << raced.err);
  CHECK(raced.exit_code == 1);
  CHECK(raced.err.find("the config was changed by someone else meanwhile; nothing was written") !=
        std::string::npos);
  CHECK(json::parse(*get(kv, kPrefix + "config")) == json{{"ttl", 15}});
}

TEST_CASE("restart, reload and reinit: one request per member, each reported") {
  HadcsCluster c;
  REQUIRE(c.wait_for_leader(20));
  auto kv = client_of(c);
  FakeAgent a1, a3;
  write_cluster(kv, a1.api_url(), kDeadApi, a3.api_url());
  a1.answer(200, "restarted successfully");
  a3.answer(503, "restart failed");
  auto r = c.hactl({"--scope", "demo", "restart", "--force"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("pg1: HTTP 200: restarted successfully\n") != std::string::npos);
  CHECK(r.err.find("hactl: pg3: restart failed: HTTP 503: restart failed\n") != std::string::npos);
  CHECK(r.err.find("hactl: pg2: restart failed: unreachable: http://127.0.0.1:1/restart") !=
        std::string::npos);
  CHECK(r.err.find("hactl: 2 of 3 members failed (see above)\n") != std::string::npos);
  REQUIRE(a1.requests().size() == 1);
  CHECK(a1.requests()[0].path == "/restart");
  CHECK(json::parse(a1.requests()[0].body) == json::object());

  a1.answer(202, "reload scheduled");
  r = c.hactl({"--scope", "demo", "reload", "pg1", "--force"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "pg1: HTTP 202: reload scheduled\n");
  CHECK(a1.requests().back().path == "/reload");

  a1.answer(200, "reinitialize started");
  r = c.hactl({"--scope", "demo", "reinit", "pg1", "--force"});
  CHECK(r.exit_code == 0);
  CHECK(a1.requests().back().path == "/reinitialize");
  CHECK(json::parse(a1.requests().back().body) == json{{"force", true}});
  r = c.hactl({"--scope", "demo", "reinit", "pg3", "--force"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "hactl: 'pg3' is the leader; reinit rebuilds replicas only (switch over first)\n");
  r = c.hactl({"--scope", "demo", "restart", "pg7", "--force"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "hactl: no member 'pg7' in cluster 'demo'; members: pg1, pg2, pg3\n");
  CHECK(a1.requests().size() == 3);
}

TEST_CASE("remove asks for the cluster name, 'Yes I am aware' and the leader, then deletes") {
  HadcsCluster c;
  REQUIRE(c.wait_for_leader(20));
  auto kv = client_of(c);
  write_cluster(kv, kDeadApi, kDeadApi, kDeadApi);
  put(kv, "/service/other/config", "{}");

  auto r = c.hactl_with_input({"--scope", "demo", "remove", "demo"}, "demo\nyes\n");
  CHECK(r.exit_code == 1);
  CHECK(r.err == "hactl: aborted: you did not type \"Yes I am aware\"; nothing was removed\n");
  CHECK(get(kv, kPrefix + "leader"));
  r = c.hactl_with_input({"--scope", "demo", "remove", "demo"}, "demo\nYes I am aware\npg1\n");
  CHECK(r.exit_code == 1);
  CHECK(r.err == "hactl: aborted: the leader name was not confirmed; nothing was removed\n");
  r = c.hactl({"--scope", "demo", "remove", "other"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("pass --scope other to remove that one") != std::string::npos);

  r = c.hactl_with_input({"--scope", "demo", "remove", "demo"}, "demo\nYes I am aware\npg3\n");
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("Removed 6 keys of cluster 'demo' (/service/demo/)\n") != std::string::npos);
  ha::dcs::GetOptions prefix;
  prefix.prefix = true;
  auto left = kv.get(kPrefix, prefix);
  REQUIRE(left.ok());
  CHECK(left->kvs_size() == 0);
  CHECK(get(kv, "/service/other/config"));  // another cluster's keys stay
}
