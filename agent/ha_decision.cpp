#include "agent/ha_decision.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "agent/iso_time.hpp"
#include "agent/leader_race.hpp"
#include "agent/rejoin.hpp"
#include "agent/self_member.hpp"
#include "agent/switchover.hpp"
#include "agent/sync_standbys.hpp"
#include "agent/units.hpp"

namespace ha::agent {

namespace {

// How long a switchover candidate waits before it checks its replay position again.
constexpr Millis kCatchUpRecheck{100};

std::string join_notes(const std::vector<std::string>& notes) {
  std::string out;
  for (const auto& n : notes) {
    if (!n.empty()) out += "; " + n;
  }
  return out;
}

Millis lock_ttl(const Observation& obs) {
  return obs.memory.lock_ttl.count() > 0 ? obs.memory.lock_ttl : Millis(obs.config().ttl);
}

Millis elapsed(SteadyTime since, Now now) {
  return std::chrono::duration_cast<Millis>(now.steady - since);
}

// A failover request that applies now: scheduled ones wait for their time.
const FailoverRequest* current_request(const Observation& obs, Now now) {
  const auto& f = obs.dcs.failover;
  if (!f) return nullptr;
  if (f->scheduled_at && *f->scheduled_at > now.wall) return nullptr;
  return &*f;
}

class Builder {
 public:
  explicit Builder(const Observation& obs) : obs_(obs) {}
  Builder& add(Action a) {
    d_.actions.push_back(std::move(a));
    return *this;
  }
  Builder& recheck(Millis in) {
    d_.recheck_in = d_.recheck_in ? std::min(*d_.recheck_in, in) : in;
    return *this;
  }
  Decision done(std::string reason) {
    d_.reason = std::move(reason);
    return std::move(d_);
  }
  const Observation& obs() const { return obs_; }

 private:
  const Observation& obs_;
  Decision d_;
};

// After winning a lock: synchronous-mode bookkeeping first (the new leader owns /sync before it
// accepts writes; strict mode makes commits wait for a standby), then promote, then tidy up.
void add_promotion(Builder& b, Now now) {
  const auto& obs = b.obs();
  const auto& cfg = obs.config();
  if (cfg.synchronous_mode) {
    b.add(WriteSyncKey{obs.self.name, {}, obs.dcs.sync ? obs.dcs.sync->mod_revision : 0});
    b.add(SetSyncStandbys{{}, 0, cfg.synchronous_mode_strict});
  }
  b.add(Promote{});
  if (const auto* f = current_request(obs, now)) b.add(ClearFailoverKey{f->mod_revision});
}

// ---------------------------------------------------------------- DCS unreachable

Decision dcs_unreachable(const Observation& obs, Now now) {
  Builder b(obs);
  const std::string gone =
      obs.dcs.unreachable_since
          ? "DCS unreachable for " + format_duration(elapsed(*obs.dcs.unreachable_since, now))
          : std::string("DCS unreachable");
  if (obs.config().pause) return b.done(gone + "; paused (maintenance mode), so no action");
  const auto& pg = obs.pg;
  if (pg.is_running_primary()) {
    const auto deadline = fencing_deadline(obs);
    if (!deadline) {
      b.add(Demote{DemoteMode::offline});
      return b.done(gone +
                    " and my lock was never confirmed; demoting (offline) rather than "
                    "risk two primaries");
    }
    const Millis since = elapsed(*obs.memory.last_lock_refresh, now);
    if (now.steady >= *deadline) {
      b.add(Demote{DemoteMode::offline});
      return b.done(fmt::format(
          "{}; last lock refresh {} ago + safety margin {} >= ttl {}: demoting before the lock "
          "can expire (fencing)",
          gone, format_duration(since), format_duration(obs.self.safety_margin),
          format_duration(lock_ttl(obs))));
    }
    const Millis left = std::chrono::duration_cast<Millis>(*deadline - now.steady);
    b.recheck(std::min(left, obs.config().loop_wait));
    return b.done(fmt::format(
        "{}; last lock refresh {} ago, {} left before I must demote (ttl {}, safety margin {}); "
        "staying primary",
        gone, format_duration(since), format_duration(left), format_duration(lock_ttl(obs)),
        format_duration(obs.self.safety_margin)));
  }
  if (pg.is_running_replica()) {
    return b.done(gone + "; staying a replica (no promotion without the DCS)");
  }
  return b.done(gone + "; PostgreSQL is " + to_string(pg.state) + "; waiting for the DCS");
}

// ---------------------------------------------------------------- bootstrap

const Member* clone_source(const Observation& obs) {
  // Patroni picks at random among clonefrom members; we take the first by name (members are
  // sorted), so a retry goes to the same source.
  for (const auto& m : obs.dcs.members) {
    if (m.name != obs.self.name && m.tags.clonefrom && m.is_running() &&
        m.role == PgRole::replica && !m.conn_url.empty()) {
      return &m;
    }
  }
  const Member* leader = obs.dcs.leader_member();
  if (leader != nullptr && leader->is_running() && !leader->conn_url.empty()) return leader;
  return nullptr;
}

Decision bootstrap(const Observation& obs) {
  Builder b(obs);
  if (obs.i_hold_lock()) {
    b.add(ReleaseLeaderLock{});
    return b.done("the data directory is empty but I hold the lock; releasing it");
  }
  // Ours to bootstrap only while the initialize key still says "being bootstrapped": once it
  // holds a system identifier the cluster exists, and an empty data directory (a re-clone that
  // failed half-way) must be cloned again, never initdb'ed into a second, writable cluster.
  const bool cluster_exists = obs.dcs.initialize && !obs.dcs.initialize->empty();
  if (obs.memory.claimed_initialize && !cluster_exists) {
    if (obs.memory.bootstrap_failed) {
      b.add(DeleteInitializeKey{});
      return b.done(
          "bootstrap failed; deleting the initialize key so that another member can "
          "bootstrap the cluster");
    }
    b.add(Bootstrap{});
    return b.done("won the initialize race; bootstrapping a new cluster (initdb)");
  }
  const Member* source = clone_source(obs);
  if (!obs.dcs.initialize && source == nullptr) {
    if (obs.config().pause) {
      return b.done("paused (maintenance mode): no cluster yet; not bootstrapping");
    }
    b.add(ClaimInitializeKey{});
    return b.done("no cluster yet (no initialize key); racing to bootstrap it");
  }
  if (source == nullptr) {
    if (cluster_exists) {
      return b.done("my data directory is empty and the cluster has no running leader to clone "
                    "from; waiting");
    }
    return b.done(
        "another member is bootstrapping the cluster (initialize key taken); waiting "
        "for a leader to clone from");
  }
  b.add(CloneFrom{source->name, source->conn_url});
  return b.done("the data directory is empty and the cluster exists; cloning from " + source->name +
                (source->tags.clonefrom ? " (clonefrom)" : " (the leader)"));
}

// ---------------------------------------------------------------- leader

// A leader whose PostgreSQL is not running: restart in place first (no fork, nothing lost),
// within master_start_timeout; after that hand over if someone can take it.
Decision leader_postgres_down(const Observation& obs, Now now) {
  Builder b(obs);
  const auto& pg = obs.pg;
  const auto& cfg = obs.config();
  const Millis down = pg.down_since ? elapsed(*pg.down_since, now) : Millis{0};
  const std::string limit = "master_start_timeout " + format_duration(cfg.master_start_timeout);
  const std::string what = pg.state == PgState::crashed ? "crashed"
                           : pg.state == PgState::start_failed
                               ? "failed to start"
                               : "is " + std::string(to_string(pg.state));
  if (down >= cfg.master_start_timeout) {
    const Member* heir = nullptr;
    for (const auto& m : obs.dcs.members) {
      if (m.name != obs.self.name && m.is_running() && m.role == PgRole::replica &&
          m.tags.may_fail_over()) {
        heir = &m;
        break;
      }
    }
    if (heir != nullptr) {
      if (pg.state == PgState::starting) b.add(Demote{DemoteMode::immediate});
      b.add(ReleaseLeaderLock{});
      return b.done(fmt::format(
          "PostgreSQL {} and has been down {}, beyond {}; releasing the lock so that a replica "
          "({}) can take over",
          what, format_duration(down), limit, heir->name));
    }
    b.add(RefreshLeaderLock{pg.wal_position()});
    if (pg.state != PgState::starting) b.add(RestartPostgres{});
    return b.done(fmt::format(
        "PostgreSQL {} and has been down {}, beyond {}, but no replica could take over; keeping "
        "the lock and starting it again",
        what, format_duration(down), limit));
  }
  b.add(RefreshLeaderLock{pg.wal_position()});
  b.recheck(std::min(cfg.loop_wait, cfg.master_start_timeout - down));
  if (pg.state == PgState::starting) {
    return b.done(fmt::format("PostgreSQL is starting (down {} of {}); keeping the lock",
                              format_duration(down), limit));
  }
  b.add(RestartPostgres{});
  return b.done(fmt::format(
      "PostgreSQL {} ({} ago); restarting it in place as the primary ({}); keeping the lock", what,
      format_duration(down), limit));
}

// A pending switchover/failover as seen by the leader. Returns a complete decision when the
// leader steps down; otherwise adds its notes and actions to `b`.
std::optional<Decision> leader_request(Builder& b, std::vector<std::string>& notes, Now now) {
  const auto& obs = b.obs();
  const auto& f = obs.dcs.failover;
  if (!f) return std::nullopt;
  const std::string& me = obs.self.name;
  const bool paused = obs.config().pause;
  if (f->candidate == me) {
    b.add(ClearFailoverKey{f->mod_revision});
    notes.push_back(f->is_switchover()
                        ? "the switchover to me is complete; clearing the request"
                        : "failover to me requested, but I already lead; clearing it");
    return std::nullopt;
  }
  if (!f->leader.empty() && f->leader != me) {
    b.add(ClearFailoverKey{f->mod_revision});
    notes.push_back("a switchover request names " + f->leader +
                    " as the leader, but I am; "
                    "clearing it");
    return std::nullopt;
  }
  if (f->scheduled_at && paused) {
    b.add(ClearFailoverKey{f->mod_revision});
    notes.push_back("a scheduled switchover is refused in maintenance mode; clearing the request");
    return std::nullopt;
  }
  if (f->scheduled_at && *f->scheduled_at > now.wall) {
    const auto wait = std::chrono::duration_cast<Millis>(*f->scheduled_at - now.wall);
    b.recheck(std::min(wait, obs.config().loop_wait));
    notes.push_back("switchover " +
                    (f->candidate.empty() ? std::string() : "to " + f->candidate + " ") +
                    "scheduled at " + format_iso_time(*f->scheduled_at) + " (in " +
                    format_duration(wait) + "); still the leader until then");
    return std::nullopt;
  }
  if (f->candidate.empty() && paused) {
    b.add(ClearFailoverKey{f->mod_revision});
    notes.push_back(
        "in maintenance mode a switchover needs a named candidate; clearing the request");
    return std::nullopt;
  }
  std::string target;
  std::string why;
  if (!f->candidate.empty()) {
    const auto check = check_switchover_candidate(obs, f->candidate);
    if (!check.ok) {
      b.add(ClearFailoverKey{f->mod_revision});
      notes.push_back("switchover to " + f->candidate + " refused: " + check.why +
                      "; clearing the request");
      return std::nullopt;
    }
    target = f->candidate;
    why = "switchover to " + f->candidate + " requested; " + check.why;
  } else {
    std::string why_none;
    const auto best = best_switchover_candidate(obs, why_none);
    if (!best) {
      b.add(ClearFailoverKey{f->mod_revision});
      notes.push_back("switchover refused: no replica is healthy enough to take over (" + why_none +
                      "); clearing the request");
      return std::nullopt;
    }
    target = *best;
    why = "switchover requested; " + check_switchover_candidate(obs, target).why +
          ", the best candidate";
  }
  Builder out(obs);
  out.add(RefreshLeaderLock{obs.pg.wal_position()});
  out.add(Demote{DemoteMode::graceful});
  out.add(ReleaseLeaderLock{true});
  return out.done(
      why + "; demoting gracefully (checkpoint, clean stop) and releasing the lock for " + target);
}

Decision leader(const Observation& obs, Now now) {
  Builder b(obs);
  const auto& pg = obs.pg;
  if (!pg.is_running()) return leader_postgres_down(obs, now);
  if (pg.role == PgRole::replica) {
    b.add(RefreshLeaderLock{pg.wal_position()});
    add_promotion(b, now);
    return b.done("I hold the lock but PostgreSQL runs as a replica; promoting");
  }
  std::vector<std::string> notes;
  b.add(RefreshLeaderLock{pg.wal_position()});
  if (auto stepping_down = leader_request(b, notes, now)) return std::move(*stepping_down);
  if (!pg.system_identifier.empty() && (!obs.dcs.initialize || obs.dcs.initialize->empty())) {
    b.add(SetInitializeKey{pg.system_identifier});
    notes.push_back("recording system identifier " + pg.system_identifier);
  }
  if (pg.timeline > 1 && pg.timeline_start && !obs.dcs.timeline_end(pg.timeline - 1)) {
    b.add(WriteHistory{HistoryEntry{pg.timeline - 1, *pg.timeline_start, "promoted",
                                    format_iso_time(now.wall), obs.self.name}});
    notes.push_back(fmt::format("recording timeline {} in the history", pg.timeline - 1));
  }
  if (!obs.config().pause) {
    auto sync = plan_sync_standbys(obs);
    for (auto& a : sync.actions) b.add(std::move(a));
    notes.push_back(sync.note);
  }
  const std::string head = obs.config().pause
                               ? "paused (maintenance mode): refreshing the lock only; I am the "
                                 "leader"
                               : "I am the leader with the lock";
  return b.done(
      fmt::format("{} (lsn {}){}", head, to_string(pg.wal_position()), join_notes(notes)));
}

// ---------------------------------------------------------------- following another leader

Decision rejoin_step(Builder& b, const RejoinPlan& plan, const Member& leader) {
  switch (plan.path) {
    case RejoinPlan::Path::rewind: b.add(Rewind{leader.name, leader.conn_url}); break;
    case RejoinPlan::Path::reinitialize: b.add(Reinitialize{leader.name, leader.conn_url}); break;
    case RejoinPlan::Path::stuck:
    case RejoinPlan::Path::follow: break;
  }
  return b.done(plan.why);
}

Decision follower(const Observation& obs, Now now) {
  Builder b(obs);
  const auto& pg = obs.pg;
  const std::string& holder = obs.dcs.leader->holder;
  if (pg.is_running_primary()) {
    if (obs.config().pause) {
      return b.done("paused (maintenance mode): I run as a primary but " + holder +
                    " holds the lock; not demoting");
    }
    b.add(Demote{DemoteMode::immediate});
    return b.done("the lock is held by " + holder +
                  ", not me; demoting immediately (no writes without the lock)");
  }
  if (obs.config().pause) {
    return b.done("paused (maintenance mode): no automatic action; the leader is " + holder +
                  (pg.is_running()
                       ? ""
                       : "; PostgreSQL is " + std::string(to_string(pg.state)) + " and stays so"));
  }
  const Member* lm = obs.dcs.leader_member();
  if (lm == nullptr || lm->conn_url.empty()) {
    return b.done("the leader " + holder + " has not published its address yet; waiting");
  }
  if (pg.state == PgState::starting && pg.role != PgRole::primary && pg.following != holder) {
    // A standby that cannot become consistent without WAL from its upstream would wait
    // forever for one that no longer leads (a rewind from a member that lost the lock since).
    b.add(FollowNewLeader{holder, lm->conn_url});
    return b.done("PostgreSQL is starting as a replica of " +
                  (pg.following.empty() ? std::string("no one") : pg.following) + ", but " +
                  holder + " leads now; re-pointing it");
  }
  if (pg.state == PgState::starting || pg.state == PgState::stopping) {
    return b.done("PostgreSQL is " + std::string(to_string(pg.state)) + "; following " + holder +
                  " once it settles");
  }
  std::string note;
  if (const auto* f = current_request(obs, now); f && f->candidate == obs.self.name) {
    note = "; I am the switchover candidate, waiting for " + holder + " to step down";
  }
  if (pg.is_running()) {
    if (!pg.streaming) {
      const auto plan = plan_rejoin(obs, *lm);
      if (plan.path != RejoinPlan::Path::follow) return rejoin_step(b, plan, *lm);
    }
    if (pg.following != holder) {
      b.add(FollowNewLeader{holder, lm->conn_url});
      return b.done(pg.following.empty()
                        ? "following the leader " + holder + " (no upstream before)" + note
                        : "leader changed from " + pg.following + " to " + holder +
                              "; re-pointing replication" + note);
    }
    return b.done("following the leader " + holder +
                  (pg.streaming ? " (streaming)" : " (not streaming yet)") + note);
  }
  if (obs.memory.rewind_failed) {
    // pg_rewind that fails half-way leaves the data directory in an unknown state.
    if (obs.self.remove_data_directory_on_rewind_failure) {
      b.add(Reinitialize{holder, lm->conn_url});
      return b.done("the last pg_rewind failed, so my data directory cannot be trusted; re-cloning "
                    "from " + holder + " (remove_data_directory_on_rewind_failure)");
    }
    return b.done("the last pg_rewind failed and remove_data_directory_on_rewind_failure is off: "
                  "not starting PostgreSQL; run hactl reinit");
  }
  const auto plan = plan_rejoin(obs, *lm);
  if (plan.path != RejoinPlan::Path::follow) return rejoin_step(b, plan, *lm);
  b.add(StartAsReplica{holder, lm->conn_url});
  return b.done("PostgreSQL is " + std::string(to_string(pg.state)) +
                "; starting it as a replica of the leader " + holder);
}

// ---------------------------------------------------------------- no leader

// A primary that finds no leader key (the key expired while it was cut off, or the cluster was
// just bootstrapped) takes it back unless the cluster moved to a newer timeline meanwhile.
Decision primary_without_leader(const Observation& obs, Now now) {
  Builder b(obs);
  const auto& pg = obs.pg;
  const auto cluster_tl = obs.dcs.cluster_timeline();
  if (pg.timeline < cluster_tl) {
    if (obs.config().pause) {
      return b.done(
          fmt::format("paused (maintenance mode): no leader and my timeline {} is behind "
                      "the cluster's {}; not acting",
                      pg.timeline, cluster_tl));
    }
    b.add(Demote{DemoteMode::immediate});
    return b.done(
        fmt::format("no leader, and my timeline {} is behind the cluster's {} (another "
                    "node was promoted meanwhile); demoting immediately",
                    pg.timeline, cluster_tl));
  }
  b.add(AcquireLeaderLock{});
  if (!pg.system_identifier.empty() && (!obs.dcs.initialize || obs.dcs.initialize->empty())) {
    b.add(SetInitializeKey{pg.system_identifier});
  }
  if (const auto* f = current_request(obs, now); f && f->candidate == obs.self.name) {
    b.add(ClearFailoverKey{f->mod_revision});
  }
  if (obs.memory.claimed_initialize) {
    return b.done("bootstrapped a new cluster (system identifier " + pg.system_identifier +
                  "); taking the lock");
  }
  return b.done(
      fmt::format("no leader key, but I run as the primary (timeline {}, lsn {}); "
                  "taking the lock back{}",
                  pg.timeline, to_string(pg.wal_position()),
                  obs.config().pause ? " (not a promotion; maintenance mode)" : ""));
}

const PeerStatus* peer(const Observation& obs, const std::string& name) {
  if (!obs.peers) return nullptr;
  for (const auto& p : *obs.peers) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::vector<std::string> other_members(const Observation& obs) {
  std::vector<std::string> out;
  for (const auto& m : obs.dcs.members) {
    if (m.name != obs.self.name) out.push_back(m.name);
  }
  return out;
}

// A request naming a candidate while there is no leader: the candidate takes the lock (a
// manual failover even when not the healthiest; a switchover once it replayed everything),
// the others wait for it unless it is gone. Returns nothing when the normal race should run.
std::optional<Decision> named_candidate(const Observation& obs, const FailoverRequest& f, Now now,
                                        std::string& race_note) {
  Builder b(obs);
  const std::string& me = obs.self.name;
  const auto& pg = obs.pg;
  const std::string kind = f.is_switchover() ? "switchover" : "manual failover";
  if (f.candidate == me) {
    if (!obs.self.tags.may_fail_over()) {
      b.add(ClearFailoverKey{f.mod_revision});
      return b.done(kind + " to me refused: I am tagged nofailover; clearing the request");
    }
    if (!pg.is_running()) {
      if (pg.state == PgState::starting)
        return b.done(kind + " to me requested; PostgreSQL is starting");
      b.add(StartAsReplica{});
      return b.done(kind + " to me requested, but PostgreSQL is not running; starting it first");
    }
    if (pg.role == PgRole::primary) return std::nullopt;  // primary_without_leader handles it
    if (f.is_switchover() && obs.dcs.last_leader_lsn && pg.replay_lsn < *obs.dcs.last_leader_lsn) {
      b.recheck(kCatchUpRecheck);
      return b.done(fmt::format("switchover to me: waiting to replay up to {} (replayed {})",
                                to_string(*obs.dcs.last_leader_lsn), to_string(pg.replay_lsn)));
    }
    b.add(AcquireLeaderLock{});
    add_promotion(b, now);
    if (f.is_switchover()) {
      return b.done(fmt::format("switchover to me: replayed everything up to {}; taking the lock",
                                to_string(pg.replay_lsn)));
    }
    return b.done(
        fmt::format("manual failover to me with no leader (lsn {}); taking the lock "
                    "without the healthiest-member check",
                    to_string(pg.wal_position())));
  }
  const Member* cand = obs.dcs.member(f.candidate);
  if (cand == nullptr) {
    b.add(ClearFailoverKey{f.mod_revision});
    return b.done(kind + " to " + f.candidate + " refused: " + f.candidate +
                  " is not a member; clearing the request");
  }
  if (!cand->tags.may_fail_over()) {
    b.add(ClearFailoverKey{f.mod_revision});
    return b.done(kind + " to " + f.candidate + " refused: " + f.candidate +
                  " is tagged nofailover; clearing the request");
  }
  if (!obs.peers) {
    b.add(ProbeMembers{other_members(obs)});
    return b.done(kind + " to " + f.candidate + " requested; asking the members whether " +
                  f.candidate + " is alive");
  }
  const PeerStatus* p = peer(obs, f.candidate);
  if (p != nullptr && p->reachable && p->running) {
    return b.done(kind + " to " + f.candidate + " requested; waiting for " + f.candidate +
                  " to take the lock");
  }
  race_note = "the " + kind + " candidate " + f.candidate + " does not answer; ";
  return std::nullopt;
}

Decision no_leader(const Observation& obs, Now now) {
  Builder b(obs);
  const auto& pg = obs.pg;
  const FailoverRequest* f = current_request(obs, now);
  std::string race_note;
  if (f != nullptr && !f->candidate.empty()) {
    if (auto d = named_candidate(obs, *f, now, race_note)) return std::move(*d);
  }
  if (pg.is_running_primary()) return primary_without_leader(obs, now);
  if (obs.config().pause) {
    return b.done("paused (maintenance mode): no leader, but no automatic failover");
  }
  if (!pg.is_running()) {
    if (pg.state == PgState::starting || pg.state == PgState::stopping) {
      return b.done("no leader; PostgreSQL is " + std::string(to_string(pg.state)) + "; waiting");
    }
    if (obs.memory.rewind_failed) {
      return b.done("no leader; the last pg_rewind failed, so my data directory cannot be trusted; "
                    "waiting for a leader to re-clone from");
    }
    b.add(StartAsReplica{});
    return b.done("no leader; PostgreSQL is " + std::string(to_string(pg.state)) +
                  "; starting it as a replica without an upstream until a leader appears");
  }
  std::vector<std::string> ignore;
  if (f != nullptr && f->is_switchover() && race_note.empty()) {
    if (f->leader == obs.self.name) {
      return b.done("no leader; a switchover away from me is in progress; not racing");
    }
    ignore.push_back(f->leader);
  }
  const auto verdict = assess_race(obs, ignore);
  switch (verdict.outcome) {
    case RaceVerdict::Outcome::ask_peers:
      b.add(ProbeMembers{verdict.to_ask});
      return b.done("no leader; " + race_note + verdict.fact);
    case RaceVerdict::Outcome::stand_down:
      return b.done("no leader; " + race_note + "not racing: " + verdict.fact);
    case RaceVerdict::Outcome::race: break;
  }
  b.add(AcquireLeaderLock{});
  add_promotion(b, now);
  return b.done("no leader; " + race_note + verdict.fact + "; taking the lock");
}

// ---------------------------------------------------------------- paused

Decision paused(const Observation& obs, Now now) {
  if (obs.i_hold_lock()) {
    Builder b(obs);
    if (!obs.pg.is_running_primary()) {
      b.add(RefreshLeaderLock{obs.pg.wal_position()});
      return b.done("paused (maintenance mode): refreshing the lock only; PostgreSQL is " +
                    std::string(to_string(obs.pg.state)) +
                    (obs.pg.is_running() ? " as a replica" : "") + " and stays so");
    }
    return leader(obs, now);
  }
  if (obs.dcs.leader) return follower(obs, now);
  return no_leader(obs, now);
}

}  // namespace

std::string Decision::describe() const {
  std::string out = "[";
  for (const auto& a : actions) out += (out.size() > 1 ? ", " : "") + ha::agent::describe(a);
  return out + "] " + reason;
}

std::optional<SteadyTime> fencing_deadline(const Observation& obs) {
  if (!obs.memory.last_lock_refresh) return std::nullopt;
  return *obs.memory.last_lock_refresh + lock_ttl(obs) - obs.self.safety_margin;
}

Decision decide(const Observation& obs, Now now) {
  if (!obs.dcs.reachable) return dcs_unreachable(obs, now);
  const auto& pg = obs.pg;
  // Reads may still work while writes do not (a DCS member cut off from its quorum): the
  // budget of the last confirmed refresh is what protects against two primaries.
  if (pg.is_running_primary() && !obs.config().pause) {
    const auto deadline = fencing_deadline(obs);
    if (deadline && now.steady >= *deadline) {
      Builder b(obs);
      b.add(Demote{DemoteMode::offline});
      return b.done(fmt::format(
          "lock not confirmed for {} (ttl {}, safety margin {}): demoting before it can expire "
          "(fencing)",
          format_duration(elapsed(*obs.memory.last_lock_refresh, now)),
          format_duration(lock_ttl(obs)), format_duration(obs.self.safety_margin)));
    }
  }
  if (!pg.data_dir_empty && obs.dcs.initialize && !obs.dcs.initialize->empty() &&
      !pg.system_identifier.empty() && *obs.dcs.initialize != pg.system_identifier) {
    return Builder(obs).done("system identifier " + pg.system_identifier +
                             " differs from the cluster's " + *obs.dcs.initialize +
                             " (initialize key): this data directory belongs to another "
                             "cluster; refusing to act");
  }
  Decision d;
  if (pg.data_dir_empty) {
    d = bootstrap(obs);
  } else if (obs.config().pause) {
    d = paused(obs, now);
  } else if (obs.i_hold_lock()) {
    d = leader(obs, now);
  } else if (obs.dcs.leader) {
    d = follower(obs, now);
  } else {
    d = no_leader(obs, now);
  }
  d.actions.emplace_back(UpdateMemberKey{self_member(obs)});
  return d;
}

}  // namespace ha::agent
