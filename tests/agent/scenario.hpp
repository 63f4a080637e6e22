// Scenario: a builder of observations for decide() tests — a healthy three-member cluster
// (node1 leads, node2 and node3 stream from it, all at the same WAL position) seen by one of
// its members, with small mutators for the case at hand, and a check that compares the
// decision's actions exactly and looks for the key facts in its reason.
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "agent/ha_decision.hpp"
#include "agent/iso_time.hpp"

namespace ha::agent::test {

inline constexpr Lsn kLsn{0x3000060};
inline constexpr Millis ms(std::int64_t n) { return Millis(n); }

inline Member make_member(const std::string& name, PgRole role, Lsn lsn) {
  Member m;
  m.name = name;
  m.role = role;
  m.state = "running";
  m.conn_url = "postgres://" + name + ":5432/postgres";
  m.api_url = "http://" + name + ":8008/patroni";
  m.timeline = 1;
  m.xlog_location = lsn;
  m.version = "0.1.0";
  if (role == PgRole::replica) {
    m.replication_state = "streaming";
    m.receive_lsn = lsn;
    m.replay_lsn = lsn;
  }
  return m;
}

class Scenario {
 public:
  Observation obs;
  Now now{SteadyTime{} + std::chrono::hours(100), *parse_iso_time("2026-05-01T10:00:00Z")};

  explicit Scenario(const std::string& me) {
    obs.self.name = me;
    obs.self.conn_url = "postgres://" + me + ":5432/postgres";
    obs.self.api_url = "http://" + me + ":8008/patroni";
    obs.self.version = "0.1.0";
    obs.dcs.leader = LeaderKey{"node1", 0x10, 42};
    obs.dcs.initialize = "7300000000000000001";
    obs.dcs.last_leader_lsn = kLsn;
    obs.dcs.members = {make_member("node1", PgRole::primary, kLsn),
                       make_member("node2", PgRole::replica, kLsn),
                       make_member("node3", PgRole::replica, kLsn)};
    auto& pg = obs.pg;
    pg.system_identifier = "7300000000000000001";
    pg.state = PgState::running;
    pg.timeline = 1;
    pg.rewind_possible = true;
    if (me == "node1") {
      pg.role = PgRole::primary;
      pg.write_lsn = kLsn;
      pg.replication = {{"node2", "streaming", "async", kLsn, kLsn},
                        {"node3", "streaming", "async", kLsn, kLsn}};
      obs.memory.last_lock_refresh = now.steady - ms(300);
    } else {
      pg.role = PgRole::replica;
      pg.receive_lsn = kLsn;
      pg.replay_lsn = kLsn;
      pg.streaming = true;
      pg.following = "node1";
    }
  }

  Member& m(const std::string& name) {
    for (auto& mem : obs.dcs.members) {
      if (mem.name == name) return mem;
    }
    FAIL("no member " << name);
    throw std::logic_error("unreachable");
  }

  // node1 (the leader) died: its lease expired with its leader and member keys.
  Scenario& without_leader() {
    obs.dcs.leader.reset();
    std::erase_if(obs.dcs.members, [](const Member& mem) { return mem.name == "node1"; });
    if (obs.self.name != "node1") obs.pg.streaming = false;
    return *this;
  }
  Scenario& leader_is(const std::string& name) {
    obs.dcs.leader = LeaderKey{name, 0x20, 77};
    return *this;
  }
  // Every other member answers GET /patroni as its member key says.
  Scenario& answers() {
    obs.peers.emplace();
    for (const auto& mem : obs.dcs.members) {
      if (mem.name == obs.self.name) continue;
      obs.peers->push_back(PeerStatus{mem.name, true, mem.role, mem.is_running(), mem.xlog_location,
                                      mem.timeline, mem.tags, false});
    }
    return *this;
  }
  PeerStatus& answer(const std::string& name) {
    REQUIRE(obs.peers);
    for (auto& p : *obs.peers) {
      if (p.name == name) return p;
    }
    FAIL("no answer from " << name);
    throw std::logic_error("unreachable");
  }
  Scenario& dcs_down_for(Millis d) {
    obs.dcs.reachable = false;
    obs.dcs.unreachable_since = now.steady - d;
    return *this;
  }
  Scenario& refreshed_ago(Millis d) {
    obs.memory.last_lock_refresh = now.steady - d;
    return *this;
  }
  Scenario& request(std::string leader, std::string candidate) {
    obs.dcs.failover = FailoverRequest{std::move(leader), std::move(candidate), std::nullopt, 99};
    return *this;
  }
  Scenario& synchronous(std::vector<std::string> sync_standby, bool strict = false) {
    obs.dcs.config.synchronous_mode = true;
    obs.dcs.config.synchronous_mode_strict = strict;
    obs.dcs.sync = SyncState{"node1", std::move(sync_standby), 55};
    return *this;
  }

  Decision decide() const { return ha::agent::decide(obs, now); }
};

inline std::vector<std::string> described(const Decision& d) {
  std::vector<std::string> out;
  for (const auto& a : d.actions) out.push_back(describe(a));
  return out;
}

// The decision's actions, exactly, and each fact somewhere in its reason.
inline Decision expect(const Scenario& s, const std::vector<std::string>& actions,
                       const std::vector<std::string>& facts) {
  const Decision d = s.decide();
  INFO("decision: " << d.describe());
  CHECK(described(d) == actions);
  for (const auto& fact : facts) CHECK_THAT(d.reason, Catch::Matchers::Contains(fact));
  CHECK(d.reason.find('\n') == std::string::npos);
  return d;
}

}  // namespace ha::agent::test
