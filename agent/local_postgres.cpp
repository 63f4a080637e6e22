#include "agent/local_postgres.hpp"

#include <algorithm>

namespace ha::agent {

const char* to_string(PgState state) {
  switch (state) {
    case PgState::stopped: return "stopped";
    case PgState::starting: return "starting";
    case PgState::running: return "running";
    case PgState::stopping: return "stopping";
    case PgState::crashed: return "crashed";
    case PgState::start_failed: return "start failed";
  }
  return "unknown";
}

Lsn LocalPostgres::wal_position() const {
  if (role == PgRole::replica) return std::max({receive_lsn, replay_lsn, write_lsn});
  return write_lsn;
}

const ReplicationRow* LocalPostgres::replication_of(const std::string& member) const {
  for (const auto& r : replication) {
    if (r.application_name == member) return &r;
  }
  return nullptr;
}

}  // namespace ha::agent
