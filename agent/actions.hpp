// Action: one step decide() asks the loop to take (DCS writes, PostgreSQL control), each with
// its parameters. The loop runs a decision's actions in order and stops at the first that
// fails. This file only names and describes them; carrying them out is the loop's job.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "agent/cluster_view.hpp"
#include "agent/lsn.hpp"

namespace ha::agent {

enum class DemoteMode {
  graceful,   // checkpoint, fast shutdown; then follow the new leader (switchover)
  immediate,  // immediate shutdown, then follow (lost the lock, gave it up)
  offline,    // stop now, restart read-only without an upstream (DCS unreachable: fencing)
};
const char* to_string(DemoteMode mode);

// DCS: create /initialize if absent; whoever creates it bootstraps the cluster.
struct ClaimInitializeKey {};
// PostgreSQL: initdb (bootstrap.initdb), users and pg_hba, start as primary.
struct Bootstrap {};
// DCS: write the system identifier into /initialize.
struct SetInitializeKey {
  std::string system_identifier;
};
// DCS: delete /initialize (our bootstrap failed; let another member try).
struct DeleteInitializeKey {};
// PostgreSQL: pg_basebackup from `member`, then start as its replica.
struct CloneFrom {
  std::string member;
  std::string conn_url;
};
// DCS: create /leader on our lease if absent.
struct AcquireLeaderLock {};
// DCS: compare-and-set /leader (value is us, on our lease); publish `lsn` in /status.
struct RefreshLeaderLock {
  Lsn lsn;
};
// DCS: delete /leader if it is still ours. With `publish_last_lsn`, first publish our final WAL
// position in /status (after a graceful demotion: the shutdown checkpoint), which a switchover
// candidate must have replayed before it takes the lock.
struct ReleaseLeaderLock {
  bool publish_last_lsn = false;
};
// PostgreSQL: pg_ctl promote.
struct Promote {};
// PostgreSQL: stop as a primary (see DemoteMode).
struct Demote {
  DemoteMode mode = DemoteMode::immediate;
};
// PostgreSQL: start in recovery following `leader` (empty: no upstream yet).
struct StartAsReplica {
  std::string leader;
  std::string conn_url;
};
// PostgreSQL: point a running replica's primary_conninfo at `leader`.
struct FollowNewLeader {
  std::string leader;
  std::string conn_url;
};
// PostgreSQL: start (or restart) in place, keeping its role.
struct RestartPostgres {};
// PostgreSQL: pg_rewind from `source` (stopping first if needed).
struct Rewind {
  std::string source;
  std::string conn_url;
};
// PostgreSQL: remove the data directory and clone `source` again.
struct Reinitialize {
  std::string source;
  std::string conn_url;
};
// DCS: publish our member key.
struct UpdateMemberKey {
  Member member;
};
// DCS: append to /history.
struct WriteHistory {
  HistoryEntry entry;
};
// DCS: delete /failover if it is still at `mod_revision`.
struct ClearFailoverKey {
  std::int64_t mod_revision = 0;
};
// PostgreSQL: synchronous_standby_names = FIRST count (names); with `strict` and no names,
// a placeholder that no standby matches, so commits wait.
struct SetSyncStandbys {
  std::vector<std::string> names;
  int count = 0;
  bool strict = false;
};
// DCS: compare-and-set /sync (create when expected_revision is 0).
struct WriteSyncKey {
  std::string leader;
  std::vector<std::string> sync_standby;
  std::int64_t expected_revision = 0;
};
// DCS: delete /sync (synchronous mode turned off).
struct DeleteSyncKey {
  std::int64_t mod_revision = 0;
};
// REST: ask these members for their status (GET /patroni), then decide again.
struct ProbeMembers {
  std::vector<std::string> names;
};

using Action = std::variant<ClaimInitializeKey, Bootstrap, SetInitializeKey, DeleteInitializeKey,
                            CloneFrom, AcquireLeaderLock, RefreshLeaderLock, ReleaseLeaderLock,
                            Promote, Demote, StartAsReplica, FollowNewLeader, RestartPostgres,
                            Rewind, Reinitialize, UpdateMemberKey, WriteHistory, ClearFailoverKey,
                            SetSyncStandbys, WriteSyncKey, DeleteSyncKey, ProbeMembers>;

// "Demote(graceful)", "StartAsReplica(node1)", ... for logs and test failure messages.
std::string describe(const Action& action);

}  // namespace ha::agent
