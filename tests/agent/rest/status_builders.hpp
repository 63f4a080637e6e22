// Hand-built AgentStatus values for the REST API's tests: a 3-member cluster (node1 primary and
// lock holder, node2 and node3 streaming replicas) seen from any member, and a config.
#pragma once

#include <string>

#include "agent/config.hpp"
#include "agent/runtime/agent_status.hpp"

namespace ha::agent::rest::test {

inline const WallTime kNow = WallTime{} + std::chrono::hours(24 * 365 * 56);

inline Member member(const std::string& name, PgRole role, std::uint64_t lsn, int host) {
  Member m;
  m.name = name;
  m.role = role;
  m.state = "running";
  m.conn_url = "postgres://10.0.0." + std::to_string(host) + ":5432/postgres";
  m.api_url = "http://10.0.0." + std::to_string(host) + ":8008/patroni";
  m.timeline = 2;
  m.xlog_location = Lsn{lsn};
  if (role == PgRole::replica) {
    m.receive_lsn = Lsn{lsn};
    m.replay_lsn = Lsn{lsn};
    m.replication_state = "streaming";
  }
  return m;
}

inline ClusterView cluster_view() {
  ClusterView v;
  v.leader = LeaderKey{"node1", 7, 100};
  v.members = {member("node1", PgRole::primary, 0x5000000, 1),
               member("node2", PgRole::replica, 0x5000000, 2),
               member("node3", PgRole::replica, 0x4F00000, 3)};
  v.last_leader_lsn = Lsn{0x5000000};
  v.initialize = "7300000000000000001";
  return v;
}

inline AgentStatus base_status(const std::string& name) {
  AgentStatus s;
  s.scope = "demo";
  s.name = name;
  s.version = "0.1.0";
  s.server_version_num = 150004;
  s.postmaster_start_time = "2026-05-01 10:00:00.000 UTC";
  s.system_identifier = "7300000000000000001";
  s.dcs = cluster_view();
  s.dcs_last_seen = kNow - std::chrono::seconds(1);
  s.loops = 10;
  s.updated = kNow - std::chrono::milliseconds(500);
  s.pg.state = PgState::running;
  s.pg.timeline = 2;
  return s;
}

inline AgentStatus primary_status() {
  AgentStatus s = base_status("node1");
  s.holds_lock = true;
  s.pg.role = PgRole::primary;
  s.pg.write_lsn = Lsn{0x5000000};
  s.pg.replication = {{"node2", "streaming", "async", Lsn{0x5000000}, Lsn{0x5000000}},
                      {"node3", "streaming", "async", Lsn{0x4F00000}, Lsn{0x4F00000}}};
  return s;
}

// node2 (or `name`), streaming and `behind` bytes behind the leader's position.
inline AgentStatus replica_status(const std::string& name = "node2", std::uint64_t behind = 0) {
  AgentStatus s = base_status(name);
  s.pg.role = PgRole::replica;
  s.pg.receive_lsn = Lsn{0x5000000 - behind};
  s.pg.replay_lsn = Lsn{0x5000000 - behind};
  s.pg.streaming = true;
  s.pg.following = "node1";
  return s;
}

inline AgentConfig config() {
  AgentConfig c;
  c.scope = "demo";
  c.name = "node1";
  c.restapi.listen = {"127.0.0.1", 0};
  c.postgresql.authentication.replication = {"replicator", "rep-pass"};
  return c;
}

}  // namespace ha::agent::rest::test
