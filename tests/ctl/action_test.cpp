// The pure parts of hactl's cluster-changing commands: switchover/failover checks, candidate
// choice and request bodies; schedules; edit-config's --set/--pg/--apply, diff and validation;
// restart/reload/reinit member selection and bodies; their command-line arguments; the REST
// credentials from the config; and the REST client against an in-test server.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "agent/iso_time.hpp"
#include "ctl/agent_api_client.hpp"
#include "ctl/cluster_source.hpp"
#include "ctl/config_edit.hpp"
#include "ctl/ctl_options.hpp"
#include "ctl/handover_plan.hpp"
#include "ctl/member_selection.hpp"
#include "tests/common/args.hpp"
#include "tests/ctl/fake_agent.hpp"

using ha::ctl::ClusterState;
using nlohmann::json;

namespace {

std::string member(const std::string& role, long long xlog, const std::string& extra = "") {
  return R"({"conn_url":"postgres://h:5432/postgres","api_url":"http://h:8008/patroni",)"
         R"("state":"running","role":")" +
         role + R"(","timeline":2,"xlog_location":)" + std::to_string(xlog) + extra + "}";
}

// pg3 leads; pg1 streams and is caught up; pg2 streams 5 MiB behind; pg4 is nofailover.
ClusterState demo(const std::string& config = R"({"ttl":30})", bool leader = true) {
  const std::string p = "/service/demo/";
  std::vector<std::pair<std::string, std::string>> kv = {
      {p + "config", config},
      {p + "members/pg1", member("replica", 100000000, R"(,"replication_state":"streaming")")},
      {p + "members/pg2",
       member("replica", 100000000 - 5 * 1024 * 1024, R"(,"replication_state":"streaming")")},
      {p + "members/pg3", member("primary", 100000000)},
      {p + "members/pg4", member("replica", 100000000,
                                 R"(,"replication_state":"streaming","tags":{"nofailover":true})")},
  };
  if (leader) kv.emplace_back(p + "leader", "pg3");
  return ha::ctl::build_cluster_state("demo", p, kv);
}

ha::ctl::CtlCommandLine parse(std::vector<std::string> words) {
  ::unsetenv("HACTL_CONFIG");
  words.insert(words.begin(), {"--dcs", "a:2379", "--scope", "demo"});
  ha::test::Args args("hactl", std::move(words));
  return ha::ctl::parse_ctl_command_line(args.argc(), args.argv());
}

const auto kNow = ha::agent::WallClock::from_time_t(1'800'000'000);  // 2027-01-15T08:00:00Z

}  // namespace

TEST_CASE("switchover: the leader must be the leader and the candidate a healthy replica") {
  const auto s = demo();
  auto p = ha::ctl::plan_switchover(s, "", "pg1", "", kNow);
  REQUIRE(p.error.empty());
  CHECK(p.leader == "pg3");
  CHECK(p.send_to == std::vector<std::string>{"pg3"});
  CHECK(p.path() == "/switchover");
  CHECK(p.body() == json{{"leader", "pg3"}, {"candidate", "pg1"}});

  CHECK(ha::ctl::plan_switchover(s, "pg1", "pg2", "", kNow).error ==
        "'pg1' is not the leader of cluster 'demo'; the leader is 'pg3' (see hactl list)");
  CHECK(ha::ctl::plan_switchover(s, "pg3", "pg9", "", kNow).error ==
        "no member 'pg9' in cluster 'demo'; members: pg1, pg2, pg3, pg4");
  CHECK(ha::ctl::plan_switchover(s, "", "pg4", "", kNow).error ==
        "cannot switch over to 'pg4' is tagged nofailover (or failover_priority 0): it is never "
        "promoted; candidates: pg1");
  CHECK(ha::ctl::plan_switchover(s, "", "pg2", "", kNow).error ==
        "cannot switch over to 'pg2' is 5 MB behind the leader (maximum_lag_on_failover is 1 MB); "
        "candidates: pg1");
  CHECK(ha::ctl::plan_switchover(s, "", "pg3", "", kNow).error.find("is the leader already") !=
        std::string::npos);
  // No candidate: the agents pick; the body names only the leader.
  p = ha::ctl::plan_switchover(s, "", "", "now", kNow);
  REQUIRE(p.error.empty());
  CHECK(p.body() == json{{"leader", "pg3"}});
  CHECK(ha::ctl::switchover_candidates(s) == std::vector<std::string>{"pg1"});

  CHECK(ha::ctl::plan_switchover(demo(R"({"ttl":30})", false), "", "pg1", "", kNow).error ==
        "cluster 'demo' has no leader, so there is nothing to switch over from; promote a member "
        "with hactl failover --candidate NAME");
}

TEST_CASE("switchover while paused needs a candidate and cannot be scheduled") {
  const auto s = demo(R"({"pause":true})");
  CHECK(ha::ctl::plan_switchover(s, "", "", "", kNow).error ==
        "cluster 'demo' is paused (maintenance mode): a switchover needs a named --candidate (or "
        "run hactl resume first)");
  CHECK(ha::ctl::plan_switchover(s, "", "pg1", "2027-01-16T00:00Z", kNow)
            .error.find("cannot be scheduled") != std::string::npos);
  CHECK(ha::ctl::plan_switchover(s, "", "pg1", "now", kNow).error.empty());
}

TEST_CASE("a pending failover key refuses a second request and names the key to delete") {
  auto s = demo();
  s.failover = ha::agent::FailoverRequest{"pg3", "pg1", std::nullopt, 7};
  CHECK(ha::ctl::plan_switchover(s, "", "pg1", "", kNow).error ==
        "a switchover to 'pg1' is already pending; wait for it, or withdraw it with: hactl dcs "
        "del /service/demo/failover");
  CHECK(ha::ctl::plan_failover(s, "pg1").error.find("already pending") != std::string::npos);
}

TEST_CASE("schedules: with a zone, local without one, never in the past") {
  std::string error;
  auto t = ha::ctl::parse_schedule("2027-01-15T10:30+02:00", kNow, error);
  REQUIRE(t);
  CHECK(error.empty());
  CHECK(ha::agent::format_iso_time(*t) == "2027-01-15T08:30:00+00:00");
  t = ha::ctl::parse_schedule("2027-01-15 09:00:30Z", kNow, error);
  REQUIRE(t);
  CHECK(ha::agent::format_iso_time(*t) == "2027-01-15T09:00:30+00:00");
  CHECK_FALSE(ha::ctl::parse_schedule("now", kNow, error));
  CHECK(error.empty());
  CHECK_FALSE(ha::ctl::parse_schedule("2027-01-15T07:59Z", kNow, error));
  CHECK(error.rfind("--scheduled 2027-01-15T07:59Z is in the past (now it is "
                    "2027-01-15T08:00:00+00:00)",
                    0) == 0);
  const auto p = ha::ctl::plan_switchover(demo(), "pg3", "pg1", "2027-01-15T09:00Z", kNow);
  REQUIRE(p.error.empty());
  CHECK(p.body() == json{{"leader", "pg3"},
                         {"candidate", "pg1"},
                         {"scheduled_at", "2027-01-15T09:00:00+00:00"}});
  CHECK(p.dcs_request().leader == "pg3");
  CHECK(p.dcs_request().candidate == "pg1");
}

TEST_CASE("failover: refused with a healthy leader and no candidate; picks the best without one") {
  auto s = demo();
  CHECK(ha::ctl::plan_failover(s, "").error ==
        "cluster 'demo' has a healthy leader 'pg3'; name the member to promote with --candidate "
        "NAME, or use hactl switchover");
  // With a candidate: allowed, to the candidate's API first, with the lag warning.
  auto p = ha::ctl::plan_failover(s, "pg2");
  REQUIRE(p.error.empty());
  CHECK(p.body() == json{{"candidate", "pg2"}});
  CHECK(p.path() == "/failover");
  CHECK(p.send_to == std::vector<std::string>{"pg2", "pg3", "pg1", "pg4"});
  REQUIRE(p.warnings.size() == 2);
  CHECK(p.warnings[0] ==
        "'pg2' is 5 MB behind the last known leader position: transactions in that WAL are lost");
  CHECK(p.dcs_request().leader.empty());  // a manual failover in the key
  CHECK(ha::ctl::plan_failover(s, "pg4").error.find("nofailover") != std::string::npos);

  // No leader: the member furthest ahead that may be promoted (pg4 is nofailover).
  s = demo(R"({"ttl":30})", false);
  p = ha::ctl::plan_failover(s, "");
  REQUIRE(p.error.empty());
  CHECK(p.candidate == "pg1");
  CHECK(p.leader.empty());
}

TEST_CASE("edit-config values: YAML types, dotted paths, parameter names with dots, removal") {
  json c = {{"ttl", 30}, {"postgresql", {{"parameters", {{"work_mem", "4MB"}}}}}};
  CHECK(ha::ctl::set_config_value(c, "ttl", "20").empty());
  CHECK(ha::ctl::set_config_value(c, "synchronous_mode", "true").empty());
  CHECK(
      ha::ctl::set_config_value(c, "postgresql.parameters.pg_stat_statements.max", "500").empty());
  CHECK(ha::ctl::set_config_value(c, "postgresql.parameters.work_mem", "").empty());
  CHECK(ha::ctl::set_config_value(c, "postgresql.parameters.shared_buffers", "'1GB'").empty());
  CHECK(ha::ctl::set_config_value(c, "nosuch.deep", "").empty());  // removing nothing
  CHECK(c ==
        json{{"ttl", 20},
             {"synchronous_mode", true},
             {"postgresql",
              {{"parameters", {{"pg_stat_statements.max", 500}, {"shared_buffers", "1GB"}}}}}});
  CHECK(ha::ctl::set_config_value(c, "ttl.x", "1") == "cannot set ttl.x: ttl is not a mapping");
  CHECK(ha::ctl::set_config_value(c, "a..b", "1") ==
        "'a..b' is not a key path such as postgresql.use_slots");

  json doc;
  CHECK(ha::ctl::parse_config_document("ttl: 5\npause: yes\n", "f.yaml", doc).empty());
  CHECK(doc == json{{"ttl", 5}, {"pause", true}});
  CHECK(ha::ctl::parse_config_document("- 1\n", "f.yaml", doc) ==
        "f.yaml: the config must be a mapping of keys");
}

TEST_CASE("edit-config diff: unified, with context and hunk headers; empty when the same") {
  json before = {{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}, {"e", 5},
                 {"f", 6}, {"g", 7}, {"h", 8}, {"i", 9}, {"j", 10}};
  CHECK(ha::ctl::render_config_diff(before, before, false).empty());
  json after = before;
  after["a"] = 100;
  after["j"] = 1000;
  CHECK(ha::ctl::render_config_diff(before, after, false) ==
        "--- current\n+++ new\n"
        "@@ -1,4 +1,4 @@\n-a: 1\n+a: 100\n b: 2\n c: 3\n d: 4\n"
        "@@ -7,4 +7,4 @@\n g: 7\n h: 8\n i: 9\n-j: 10\n+j: 1000\n");
  json added = {{"ttl", 30}};
  CHECK(ha::ctl::render_config_diff(json::object(), added, false) ==
        "--- current\n+++ new\n@@ -0,0 +1,1 @@\n+ttl: 30\n");
  const auto coloured = ha::ctl::render_config_diff(before, after, true);
  CHECK(coloured.find("\033[31m-a: 1\033[0m\n\033[32m+a: 100\033[0m\n") != std::string::npos);
}

TEST_CASE("edit-config validation refuses only the problems the change adds") {
  const json before = {{"ttl", 30}, {"postgresql", {{"use_pg_rewind", true}}}};  // already wrong
  json after = before;
  after["loop_wait"] = 5;
  auto check = ha::ctl::check_config_change(before, after);
  CHECK(check.new_errors.empty());
  REQUIRE(check.old_errors.size() == 1);
  CHECK(check.old_errors[0].rfind("postgresql.use_pg_rewind: ", 0) == 0);
  after["ttl"] = 1;
  check = ha::ctl::check_config_change(before, after);
  REQUIRE_FALSE(check.new_errors.empty());
  CHECK(check.new_errors[0].rfind("ttl: ", 0) == 0);
}

TEST_CASE("restart/reload/reinit: which members, which bodies") {
  auto s = demo();
  s.members[0].pending_restart = true;  // pg1
  auto cl = parse({"restart", "--role", "replica"});
  REQUIRE(cl.run);
  auto sel = ha::ctl::select_members(s, cl.options);
  CHECK(sel.error.empty());
  CHECK(sel.names == std::vector<std::string>{"pg1", "pg2", "pg4"});
  CHECK(ha::ctl::action_body(cl.options, "") == json{{"role", "replica"}});

  cl = parse({"restart", "--pending", "--scheduled", "2027-01-15T09:00Z"});
  sel = ha::ctl::select_members(s, cl.options);
  CHECK(sel.names == std::vector<std::string>{"pg1"});
  CHECK(sel.skipped == "no pending restart: pg3, pg2, pg4");
  CHECK(ha::ctl::action_body(cl.options, "2027-01-15T09:00:00+00:00") ==
        json{{"restart_pending", true}, {"schedule", "2027-01-15T09:00:00+00:00"}});
  CHECK(ha::ctl::action_path("restart") == "/restart");

  cl = parse({"reload", "pg3", "pg9"});
  CHECK(ha::ctl::select_members(s, cl.options).error ==
        "no member 'pg9' in cluster 'demo'; members: pg1, pg2, pg3, pg4");
  cl = parse({"reload", "pg2", "pg3"});
  CHECK(ha::ctl::select_members(s, cl.options).names == std::vector<std::string>{"pg3", "pg2"});
  CHECK(ha::ctl::action_body(cl.options, "").is_null());
  CHECK(ha::ctl::action_path("reload") == "/reload");

  cl = parse({"reinit", "pg3"});
  CHECK(ha::ctl::select_members(s, cl.options).error ==
        "'pg3' is the leader; reinit rebuilds replicas only (switch over first)");
  cl = parse({"reinit", "pg1", "--force"});
  CHECK(ha::ctl::select_members(s, cl.options).names == std::vector<std::string>{"pg1"});
  CHECK(ha::ctl::action_body(cl.options, "") == json{{"force", true}});
  CHECK(ha::ctl::action_path("reinit") == "/reinitialize");
}

TEST_CASE("edit-config and remove arguments") {
  auto cl = parse({"edit-config", "-s", "ttl=20", "-p", "work_mem=8MB", "--apply", "-", "--replace",
                   "/tmp/x.yaml"});
  REQUIRE(cl.run);
  using KV = std::vector<std::pair<std::string, std::string>>;
  CHECK(cl.options.set_values == KV{{"ttl", "20"}});
  CHECK(cl.options.pg_values == KV{{"work_mem", "8MB"}});
  CHECK(cl.options.apply_file == "-");
  CHECK(cl.options.replace_file == "/tmp/x.yaml");
  cl = parse({"edit-config", "--apply", "-", "--replace", "-"});
  CHECK(cl.exit_code == 2);
  CHECK(cl.err == "hactl: edit-config: --apply - and --replace - cannot both read stdin");
  cl = parse({"remove", "demo"});
  REQUIRE(cl.run);
  CHECK(cl.options.cluster_name == "demo");
  cl = parse({"remove"});
  CHECK(cl.exit_code == 2);
  CHECK(cl.err == "hactl: CLUSTER is required (see hactl --help)");
}

TEST_CASE("REST credentials: ctl.authentication, else restapi.authentication") {
  ha::ctl::ClusterSource src;
  CHECK(ha::ctl::read_cluster_yaml(
            "scope: s\nrestapi:\n  authentication:\n    username: admin\n    password: s3cret\n",
            "f", src)
            .empty());
  REQUIRE(src.api_auth);
  CHECK(src.api_auth->username == "admin");
  CHECK(src.api_auth->password == "s3cret");
  ha::ctl::ClusterSource both;
  CHECK(ha::ctl::read_cluster_yaml("ctl:\n  authentication: {username: ops, password: p}\n"
                                   "restapi:\n  authentication: {username: admin, password: x}\n",
                                   "f", both)
            .empty());
  REQUIRE(both.api_auth);
  CHECK(both.api_auth->username == "ops");
  ha::ctl::ClusterSource none;
  CHECK(ha::ctl::read_cluster_yaml("scope: s\n", "f", none).empty());
  CHECK_FALSE(none.api_auth);
  CHECK(ha::ctl::read_cluster_yaml("restapi:\n  authentication: {password: x}\n", "f", none) ==
        "f: restapi.authentication.username: missing");
}

TEST_CASE("api_url to base URL") {
  CHECK(ha::ctl::api_base_url("http://10.0.0.1:8008/patroni") == "http://10.0.0.1:8008");
  CHECK(ha::ctl::api_base_url("https://db1:8008") == "https://db1:8008");
  CHECK(ha::ctl::api_base_url("http://[::1]:8008/patroni") == "http://[::1]:8008");
  CHECK(ha::ctl::api_base_url("").empty());
  CHECK(ha::ctl::api_base_url("postgres://h:5432/x").empty());
  CHECK(ha::ctl::api_base_url("http:///patroni").empty());
}

TEST_CASE("REST client: body, basic auth and answer; unreachable and no answer told apart") {
  ha::test::FakeAgent agent;
  agent.answer(412, "candidate name does not match with sync_standby\n");
  ha::ctl::ApiClientOptions o;
  o.auth = ha::ctl::ApiCredentials{"admin", "s3cret"};
  const ha::ctl::AgentApiClient client(o);
  auto r = client.send("POST", agent.api_url(), "/switchover", json{{"leader", "pg3"}},
                       std::chrono::seconds(5));
  CHECK(r.answered());
  CHECK_FALSE(r.ok());
  CHECK(r.status == 412);
  CHECK(r.describe() == "HTTP 412: candidate name does not match with sync_standby");
  auto reqs = agent.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].method == "POST");
  CHECK(reqs[0].path == "/switchover");
  CHECK(json::parse(reqs[0].body) == json{{"leader", "pg3"}});
  CHECK(reqs[0].authorization == "Basic YWRtaW46czNjcmV0");

  agent.answer(200, R"({"message":"ok then"})");
  r = ha::ctl::AgentApiClient({}).send("PATCH", agent.api_url(), "/config", json{{"pause", true}},
                                       std::chrono::seconds(5));
  CHECK(r.ok());
  CHECK(r.describe() == "HTTP 200: ok then");
  reqs = agent.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[1].method == "PATCH");
  CHECK(reqs[1].authorization.empty());

  agent.delay(std::chrono::milliseconds(1500));
  r = client.send("POST", agent.api_url(), "/restart", json::object(),
                  std::chrono::milliseconds(300));
  CHECK(r.outcome == ha::ctl::ApiResponse::Outcome::kNoAnswer);
  CHECK(r.describe().find("no answer within 0.3 s") != std::string::npos);

  r = client.send("POST", "http://127.0.0.1:1/patroni", "/restart", json::object(),
                  std::chrono::seconds(1));
  CHECK(r.outcome == ha::ctl::ApiResponse::Outcome::kUnreachable);
  CHECK(r.describe() ==
        "unreachable: http://127.0.0.1:1/restart: cannot connect (refused or "
        "host unreachable)");
  r = client.send("POST", "", "/restart", json::object(), std::chrono::seconds(1));
  CHECK(r.describe() == "unreachable: the member published no api_url");
}
