#include "agent/self_member.hpp"

namespace ha::agent {

Member self_member(const Observation& obs) {
  const auto& pg = obs.pg;
  Member m;
  m.name = obs.self.name;
  m.role = pg.data_dir_empty ? PgRole::unknown : pg.role;
  m.state = to_string(pg.state);
  m.conn_url = obs.self.conn_url;
  m.api_url = obs.self.api_url;
  m.version = obs.self.version;
  m.timeline = pg.timeline;
  m.xlog_location = pg.wal_position();
  m.tags = obs.self.tags;
  m.pending_restart = pg.pending_restart;
  m.pause = obs.config().pause;
  if (pg.role == PgRole::replica) {
    m.receive_lsn = pg.receive_lsn;
    m.replay_lsn = pg.replay_lsn;
    if (pg.is_running()) m.replication_state = pg.streaming ? "streaming" : "in archive recovery";
    if (obs.dcs.last_leader_lsn) m.lag = bytes_behind(pg.wal_position(), *obs.dcs.last_leader_lsn);
  }
  return m;
}

}  // namespace ha::agent
