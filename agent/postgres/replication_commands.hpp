// Commands of the streaming replication protocol the agent uses on a replication connection
// (ConnectOptions::replication): IDENTIFY_SYSTEM (system identifier, timeline, WAL position of
// a primary) and TIMELINE_HISTORY (how its timeline branched), for the fork check before a
// former primary follows a new one. Not a WAL receiver.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/lsn.hpp"
#include "agent/postgres/pg_connection.hpp"
#include "agent/postgres/timeline_history.hpp"

namespace ha::agent::pg {

struct SystemIdentity {
  std::uint64_t system_identifier = 0;
  std::uint32_t timeline = 0;
  Lsn xlogpos;  // the server's flush position
};

PgResult<SystemIdentity> identify_system(PgConnection& replication_conn);

// The history of timeline `timeline` (empty for timeline 1, which has none).
PgResult<std::vector<TimelineSwitch>> fetch_timeline_history(PgConnection& replication_conn,
                                                             std::uint32_t timeline);

}  // namespace ha::agent::pg
