// hactl's renderings of a cluster read from the DCS: the list/topology table (golden strings),
// colours, JSON/YAML shapes, history, dsn choice; decoding of Patroni-layout values.
#include <catch2/catch.hpp>

#include "ctl/cluster_commands.hpp"
#include "ctl/cluster_state.hpp"
#include "ctl/member_rows.hpp"
#include "ctl/output_format.hpp"

using ha::ctl::build_cluster_state;
using ha::ctl::ClusterState;

namespace {

const std::string kPrefix = "/service/demo/";

std::string member_json(const std::string& host, const std::string& role, const std::string& state,
                        long long xlog, int tl, const std::string& extra = "") {
  std::string j = R"({"conn_url":"postgres://)" + host + R"(/postgres","api_url":"http://)" + host +
                  R"(/patroni","state":")" + state + R"(","role":")" + role +
                  R"(","version":"0.1.0","timeline":)" + std::to_string(tl);
  if (xlog >= 0) j += R"(,"xlog_location":)" + std::to_string(xlog);
  return j + extra + "}";
}

// A leader, a sync standby, a replica 32 MiB behind with a tag and a pending restart, and a
// stopped member; keys in DCS (alphabetical) order as a range read returns them.
std::vector<std::pair<std::string, std::string>> four_members() {
  const long long mib = 1024 * 1024;
  return {
      {kPrefix + "config", R"({"ttl":30,"loop_wait":10,"postgresql":{"parameters":{"max_connections":100}}})"},
      {kPrefix + "history", R"([[1,25165824,"no recovery target specified","2026-11-30T05:50:00+00:00","pg1"]])"},
      {kPrefix + "initialize", "7412345678901234567"},
      {kPrefix + "leader", "pg1"},
      {kPrefix + "members/pg1", member_json("10.0.0.1:5432", "primary", "running", 48 * mib, 2)},
      {kPrefix + "members/pg2",
       member_json("10.0.0.2:5432", "replica", "running", 48 * mib, 2, R"(,"replication_state":"streaming")")},
      {kPrefix + "members/pg3",
       member_json("10.0.0.3:5432", "replica", "running", 16 * mib, 2,
                   R"(,"replication_state":"streaming","tags":{"nofailover":true},"pending_restart":true)")},
      {kPrefix + "members/pg4", member_json("10.0.0.4:5432", "replica", "stopped", -1, 1)},
      {kPrefix + "status", R"({"optime":50331648})"},
      {kPrefix + "sync", R"({"leader":"pg1","sync_standby":"pg2"})"},
  };
}

ClusterState four_member_state() { return build_cluster_state("demo", kPrefix, four_members()); }

}  // namespace

TEST_CASE("the list table of a leader, a sync standby, a lagging replica and a stopped member") {
  const auto s = four_member_state();
  REQUIRE(s.problems.empty());
  const std::string golden =
      "+ Cluster: demo (7412345678901234567) --+-----------+----+-----------+-----------------+------------------+\n"
      "| Member | Host          | Role         | State     | TL | Lag in MB | Pending restart | Tags             |\n"
      "+--------+---------------+--------------+-----------+----+-----------+-----------------+------------------+\n"
      "| pg1    | 10.0.0.1:5432 | Leader       | running   |  2 |           |                 |                  |\n"
      "| pg2    | 10.0.0.2:5432 | Sync Standby | streaming |  2 |         0 |                 |                  |\n"
      "| pg3    | 10.0.0.3:5432 | Replica      | streaming |  2 |        32 | *               | nofailover: true |\n"
      "| pg4    | 10.0.0.4:5432 | Replica      | stopped   |  1 |   unknown |                 |                  |\n"
      "+--------+---------------+--------------+-----------+----+-----------+-----------------+------------------+\n";
  CHECK(ha::ctl::render_members_table(s, ha::ctl::list_rows(s), false, false) == golden);
}

TEST_CASE("the leader comes first even when its name sorts last") {
  auto kvs = four_members();
  for (auto& [k, v] : kvs) {
    if (k == kPrefix + "leader") v = "pg3";
  }
  const auto s = build_cluster_state("demo", kPrefix, kvs);
  const auto rows = ha::ctl::list_rows(s);
  REQUIRE(rows.size() == 4);
  CHECK(rows[0].name == "pg3");
  CHECK(rows[0].role == "Leader");
  CHECK(rows[1].name == "pg1");
  CHECK(rows[1].role == "Replica");
  CHECK(rows[2].name == "pg2");
  CHECK(rows[2].role == "Sync Standby");
}

TEST_CASE("topology nests cascading replicas under their replicatefrom member") {
  auto kvs = four_members();
  kvs.emplace_back(kPrefix + "members/pg5",
                   member_json("10.0.0.5:5432", "replica", "running", 48 * 1024 * 1024, 2,
                               R"(,"replication_state":"streaming","tags":{"replicatefrom":"pg2"})"));
  const auto s = build_cluster_state("demo", kPrefix, kvs);
  const auto table = ha::ctl::render_members_table(s, ha::ctl::topology_rows(s), false, true);
  CHECK(table.find("| pg1     |") != std::string::npos);
  CHECK(table.find("| + pg2   |") != std::string::npos);
  CHECK(table.find("|   + pg5 |") != std::string::npos);
  CHECK(table.find("| + pg3   |") != std::string::npos);
  CHECK(table.find("+ pg5") > table.find("+ pg2"));
  CHECK(table.find("+ pg5") < table.find("+ pg3"));
}

TEST_CASE("colours only when asked, and the columns stay aligned") {
  const auto s = four_member_state();
  const auto plain = ha::ctl::render_members_table(s, ha::ctl::list_rows(s), false, false);
  const auto coloured = ha::ctl::render_members_table(s, ha::ctl::list_rows(s), true, false);
  CHECK(plain.find('\033') == std::string::npos);
  CHECK(coloured.find("\033[32mLeader\033[0m       |") != std::string::npos);
  CHECK(coloured.find("\033[31mstopped\033[0m   |") != std::string::npos);
}

TEST_CASE("a cluster without a leader key, paused, says so under the table") {
  auto kvs = four_members();
  std::erase_if(kvs, [](const auto& kv) { return kv.first == kPrefix + "leader"; });
  for (auto& [k, v] : kvs) {
    if (k == kPrefix + "config") v = R"({"pause":true})";
  }
  const auto s = build_cluster_state("demo", kPrefix, kvs);
  const auto table = ha::ctl::render_members_table(s, ha::ctl::list_rows(s), false, false);
  CHECK(table.find("| Leader") == std::string::npos);
  CHECK(table.find(" No leader: the leader key is absent\n") != std::string::npos);
  CHECK(table.find(" Maintenance mode: on\n") != std::string::npos);
}

TEST_CASE("list JSON: one object per member with stable keys and types") {
  const auto s = four_member_state();
  const auto j = nlohmann::json::parse(ha::ctl::dump_json(ha::ctl::members_json(s, ha::ctl::list_rows(s))));
  REQUIRE(j.is_array());
  REQUIRE(j.size() == 4);
  for (const auto& m : j) {
    for (const char* key : {"Cluster", "Member", "Host", "Role", "State", "TL", "Lag in MB",
                            "Pending restart", "Tags"}) {
      CHECK(m.contains(key));
    }
    CHECK(m["Cluster"] == "demo");
    CHECK(m["Pending restart"].is_boolean());
    CHECK(m["Tags"].is_object());
  }
  CHECK(j[0]["Member"] == "pg1");
  CHECK(j[0]["Role"] == "Leader");
  CHECK(j[0]["Lag in MB"].is_null());
  CHECK(j[1]["Lag in MB"] == 0);
  CHECK(j[2]["Lag in MB"] == 32);
  CHECK(j[2]["Tags"]["nofailover"] == true);
  CHECK(j[2]["Pending restart"] == true);
  CHECK(j[3]["State"] == "stopped");
  CHECK(j[3]["Lag in MB"].is_null());
  CHECK(j[3]["TL"] == 1);
}

TEST_CASE("list YAML has the same content") {
  const auto s = four_member_state();
  const auto yaml = ha::ctl::to_yaml(ha::ctl::members_json(s, ha::ctl::list_rows(s)));
  CHECK(yaml.rfind("- Cluster: demo\n", 0) == 0);
  CHECK(yaml.find("  Member: pg3\n") != std::string::npos);
  CHECK(yaml.find("  Tags: {}\n") != std::string::npos);
  CHECK(yaml.find("    nofailover: true\n") != std::string::npos);
}

TEST_CASE("history table and JSON") {
  const auto s = four_member_state();
  CHECK(ha::ctl::render_history(s) ==
        "+----+-----------+------------------------------+---------------------------+------------+\n"
        "| TL |       LSN | Reason                       | Timestamp                 | New Leader |\n"
        "+----+-----------+------------------------------+---------------------------+------------+\n"
        "|  1 | 0/1800000 | no recovery target specified | 2026-11-30T05:50:00+00:00 | pg1        |\n"
        "+----+-----------+------------------------------+---------------------------+------------+\n");
  const auto j = ha::ctl::history_json(s);
  REQUIRE(j.size() == 1);
  CHECK(j[0]["TL"] == 1);
  CHECK(j[0]["LSN"] == "0/1800000");
  CHECK(j[0]["New Leader"] == "pg1");
}

TEST_CASE("dsn picks the leader, a streaming replica or a named member") {
  const auto s = four_member_state();
  ha::ctl::CtlOptions o;
  std::string error;
  o.role = "primary";
  const auto* m = ha::ctl::pick_dsn_member(s, o, error);
  REQUIRE(m != nullptr);
  CHECK(ha::ctl::dsn_of(*m) == "host=10.0.0.1 port=5432");
  o.role = "replica";
  m = ha::ctl::pick_dsn_member(s, o, error);
  REQUIRE(m != nullptr);
  CHECK(m->name == "pg2");
  o.members = {"pg9"};
  CHECK(ha::ctl::pick_dsn_member(s, o, error) == nullptr);
  CHECK(error == "no member 'pg9' in cluster 'demo'; members: pg1, pg2, pg3, pg4");
}

TEST_CASE("an undecodable member value is reported, the rest still shown") {
  auto kvs = four_members();
  kvs.emplace_back(kPrefix + "members/pgx", "{not json");
  const auto s = build_cluster_state("demo", kPrefix, kvs);
  CHECK(s.members.size() == 4);
  REQUIRE(s.problems.size() == 1);
  CHECK(s.problems[0].rfind("members/pgx: ", 0) == 0);
  CHECK_FALSE(s.empty);
  CHECK(build_cluster_state("demo", kPrefix, {}).empty);
}

TEST_CASE("host of a conn_url") {
  CHECK(ha::ctl::host_of_conn_url("postgres://u:p@db1:5433/postgres?sslmode=require") == "db1:5433");
  CHECK(ha::ctl::host_of_conn_url("postgres://[::1]:5432/postgres") == "[::1]:5432");
  CHECK(ha::ctl::host_of_conn_url("nonsense").empty());
}
