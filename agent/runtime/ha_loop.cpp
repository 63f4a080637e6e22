#include "agent/runtime/ha_loop.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <regex>

#include "agent/dcs_values.hpp"
#include "agent/postgres/proc_stat.hpp"
#include "dcs/client/log.hpp"
#include <ha_version.hpp>

namespace ha::agent {

namespace {

constexpr std::string_view kLog = "ha";
// A decision whose reason did not change is logged again after this long, so the log shows
// the agent is alive and what it believes.
constexpr Millis kRelogEvery{30'000};
constexpr Millis kFeedEvery{100};

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

std::string status_message(const pg::PgStatus& s) { return s.ok() ? std::string() : s.message(); }

// The reason with WAL positions, durations and numbers taken out: two loops that only differ
// in those are the same decision for the log.
std::string shape_of(const std::string& reason) {
  static const std::regex lsn("[0-9A-F]+/[0-9A-F]+");
  static const std::regex number("[0-9]+(\\.[0-9]+)?");
  return std::regex_replace(std::regex_replace(reason, lsn, "L"), number, "N");
}

// Only the lock refresh and the member key: what every quiet loop does.
bool routine(const Decision& d) {
  return std::all_of(d.actions.begin(), d.actions.end(), [](const Action& a) {
    return std::holds_alternative<RefreshLeaderLock>(a) || std::holds_alternative<UpdateMemberKey>(a);
  });
}

}  // namespace

HaLoop::HaLoop(HaLoopParts parts) : p_(std::move(parts)) {
  p_.admin->on_submit([this] { wake(); });
  p_.dcs->watch([this] { wake(); });
  feeder_ = std::thread([this] { feed_fence(); });
}

HaLoop::~HaLoop() {
  stop();
  p_.admin->on_submit({});
  if (feeder_.joinable()) feeder_.join();
}

void HaLoop::stop() {
  stopping_ = true;
  wake();
}

void HaLoop::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

int HaLoop::run() {
  log_info(kLog, "haagent {} starting: member {} of cluster {}", kVersionFull, p_.config->name,
           p_.config->scope);
  while (!stopping_) iteration();
  shutdown();
  return 0;
}

Millis HaLoop::call_timeout(Now now) const {
  Millis t = last_view_.config.retry_timeout;
  // A leader must not sit in a DCS call past the moment it has to demote.
  if (fence_armed_ && memory_.last_lock_refresh) {
    const auto ttl = memory_.lock_ttl.count() > 0 ? memory_.lock_ttl : Millis(last_view_.config.ttl);
    const auto deadline = *memory_.last_lock_refresh + ttl - Millis(safety_margin_ms_.load());
    const auto left = std::chrono::duration_cast<Millis>(deadline - now.steady) - Millis(50);
    t = std::min(t, std::max(left, Millis(100)));
  }
  return t;
}

void HaLoop::remember_lock(const ClusterView& view) {
  if (!view.leader || view.leader->holder != p_.config->name) {
    memory_.last_lock_refresh.reset();
    return;
  }
  // The lock lives on a lease; the DCS cannot expire it before the lease's confirmed expiry.
  if (view.leader->lease != p_.dcs->lease_id()) return;
  if (const auto expiry = p_.dcs->lease_expiry()) {
    memory_.lock_ttl = std::chrono::duration_cast<Millis>(p_.dcs->lease_ttl());
    memory_.last_lock_refresh = *expiry - memory_.lock_ttl;
  }
}

Observation HaLoop::observe(Now now) {
  const auto timeout = call_timeout(now);
  const auto ttl = have_view_ ? last_view_.config.ttl : p_.config->bootstrap.dcs.ttl;
  if (auto lease = p_.dcs->ensure_lease(ttl, timeout); !lease.ok) {
    log_warn(kLog, "{}", lease.message);
  }
  std::string error;
  std::vector<std::string> problems;
  const DynamicConfig& last_config = have_view_ ? last_view_.config : p_.config->bootstrap.dcs;
  if (auto view = p_.dcs->read(last_config, timeout, error, problems)) {
    if (unreachable_since_) log_info(kLog, "the DCS answers again");
    unreachable_since_.reset();
    dcs_last_seen_ = now.wall;
    last_view_ = std::move(*view);
    have_view_ = true;
    for (const auto& p : problems) log_warn(kLog, "unusable value in the DCS: {}", p);
  } else {
    if (!unreachable_since_) {
      unreachable_since_ = now.steady;
      log_warn(kLog, "cannot read the DCS: {}", error);
    }
    last_view_.reachable = false;
    last_view_.unreachable_since = unreachable_since_;
  }
  remember_lock(last_view_);

  Observation obs;
  obs.dcs = last_view_;
  const auto& cfg = *p_.config;
  if (!applied_config_ || *applied_config_ != obs.config()) {
    const bool params_changed =
        applied_config_ && applied_config_->postgresql.parameters != obs.config().postgresql.parameters;
    p_.node->set_dynamic_config(obs.config());
    applied_config_ = obs.config();
    if (params_changed) {
      if (auto s = p_.node->reload(); !s.ok()) log_warn(kLog, "reload after a config change: {}", s.message());
    }
  }
  obs.pg = p_.node->observe(now.steady);
  const auto pm = p_.node->control().status();
  postmaster_pid_ = pm.state == pg::PostmasterState::kRunning && pm.pid_file ? pm.pid_file->pid : 0;
  obs.memory = memory_;
  auto& self = obs.self;
  self.name = cfg.name;
  self.tags = cfg.tags;
  self.conn_url = "postgres://" + cfg.postgresql.connect_address.to_string() + "/postgres";
  self.api_url = "http://" + cfg.restapi.connect_address.to_string() + "/patroni";
  self.version = kVersion;
  self.use_pg_rewind = cfg.postgresql.use_pg_rewind;
  self.remove_data_directory_on_rewind_failure = cfg.postgresql.remove_data_directory_on_rewind_failure;
  self.safety_margin = cfg.safety_margin(obs.config());
  safety_margin_ms_ = self.safety_margin.count();
  self.watchdog = cfg.watchdog.mode;
  self.watchdog_usable = p_.watchdog_usable;
  return obs;
}

std::vector<PeerStatus> HaLoop::probe(const std::vector<std::string>& names, const ClusterView& view) {
  std::vector<std::pair<std::string, std::string>> targets;
  std::vector<PeerStatus> out;
  for (const auto& n : names) {
    const Member* m = view.member(n);
    if (m != nullptr && !m->api_url.empty() && p_.probe) {
      targets.emplace_back(n, m->api_url);
    } else {
      PeerStatus unknown;
      unknown.name = n;
      out.push_back(unknown);
    }
  }
  if (!targets.empty()) {
    auto answers = p_.probe(targets, view.config.retry_timeout);
    out.insert(out.end(), answers.begin(), answers.end());
  }
  return out;
}

void HaLoop::iteration() {
  Observation obs = observe(Now{SteadyClock::now(), WallClock::now()});
  // The clock is read after observing: reading the DCS may take up to retry_timeout, and the
  // fencing deadline must be judged against the time the decision is taken.
  const Now now{SteadyClock::now(), WallClock::now()};
  Decision d = decide(obs, now);
  if (const auto* ask = d.find<ProbeMembers>()) {
    obs.peers = probe(ask->names, obs.dcs);
    d = decide(obs, Now{SteadyClock::now(), WallClock::now()});
  }
  ++loops_;
  log_decision(d, now);

  bool failed = false;
  // A new replica shows itself before it clones: the leader then creates its replication slot
  // meanwhile, and the clone streams through it from the start.
  const bool member_first = d.has<CloneFrom>() || d.has<Reinitialize>();
  if (member_first) {
    if (const auto* m = d.find<UpdateMemberKey>()) {
      if (auto e = execute(*m, obs); !e.empty()) log_warn(kLog, "{} failed: {}", describe(*m), e);
    }
  }
  for (const auto& a : d.actions) {
    if (std::holds_alternative<ProbeMembers>(a)) continue;
    // The member key is published even when an earlier action failed: others must see us.
    if (failed && !std::holds_alternative<UpdateMemberKey>(a)) continue;
    const std::string error = execute(a, obs);
    if (!error.empty()) {
      log_warn(kLog, "{} failed: {}", describe(a), error);
      failed = true;
    }
  }
  if (obs.config().pause) set_fence(false);
  if (!failed && memory_.last_lock_refresh && !obs.config().pause) keep_slots(obs);
  answer_admin_requests(obs);
  publish(obs, d);
  wait_for_next(failed ? std::optional<Millis>(Millis(200)) : d.recheck_in, obs.config().loop_wait);
}

std::string HaLoop::execute(const Action& action, const Observation& obs) {
  const Millis timeout = call_timeout(Now{SteadyClock::now(), WallClock::now()});
  // The action may stop or restart PostgreSQL on purpose; the next observation names the
  // postmaster to watch again.
  if (!std::holds_alternative<UpdateMemberKey>(action) &&
      !std::holds_alternative<RefreshLeaderLock>(action)) {
    postmaster_pid_ = 0;
  }
  auto& node = *p_.node;
  auto& dcs = *p_.dcs;
  const bool paused = obs.config().pause;
  return std::visit(
      Overloaded{
          [&](const ClaimInitializeKey&) {
            bool won = false;
            auto out = dcs.claim_initialize(p_.config->bootstrap.dcs, timeout, won);
            memory_.claimed_initialize = won;
            return out.message;
          },
          [&](const Bootstrap&) {
            auto s = node.bootstrap();
            memory_.bootstrap_failed = !s.ok();
            return status_message(s);
          },
          [&](const SetInitializeKey& a) {
            auto out = dcs.set_initialize(a.system_identifier, timeout);
            if (out.ok) memory_.claimed_initialize = false;  // the cluster exists now
            return out.message;
          },
          [&](const DeleteInitializeKey&) {
            auto out = dcs.delete_initialize(timeout);
            if (out.ok) {
              memory_.claimed_initialize = false;
              memory_.bootstrap_failed = false;
            }
            return out.message;
          },
          [&](const CloneFrom& a) { return status_message(node.clone_from(a.member, a.conn_url)); },
          [&](const AcquireLeaderLock&) {
            auto out = dcs.acquire_leader(timeout);
            if (!out.ok) return out.message;
            if (const auto expiry = dcs.lease_expiry()) {
              memory_.lock_ttl = std::chrono::duration_cast<Millis>(dcs.lease_ttl());
              memory_.last_lock_refresh = *expiry - memory_.lock_ttl;
            }
            log_info(kLog, "took the leader lock");
            if (obs.pg.is_running_primary() && !paused) set_fence(true);
            return std::string();
          },
          [&](const RefreshLeaderLock& a) {
            auto out = dcs.refresh_leader(a.lsn.value, timeout);
            if (!out.ok && out.message == "the lock is not mine any more") {
              memory_.last_lock_refresh.reset();
            } else if (out.ok && obs.pg.is_running_primary() && !paused) {
              set_fence(true);
            }
            return out.message;
          },
          [&](const ReleaseLeaderLock& a) {
            std::optional<std::uint64_t> last;
            if (a.publish_last_lsn) {
              const auto after = node.observe(SteadyClock::now());
              last = after.wal_position().value;
            }
            auto out = dcs.release_leader(last, timeout);
            if (out.ok) {
              memory_.last_lock_refresh.reset();
              log_info(kLog, "released the leader lock");
            }
            return out.message;
          },
          [&](const Promote&) {
            if (obs.i_hold_lock() || memory_.last_lock_refresh) set_fence(!paused);
            auto s = node.promote();
            if (s.ok()) {
              log_info(kLog, "promoted PostgreSQL");
              // pg_rewind from us needs the new timeline in our control file.
              if (auto c = node.checkpoint(); !c.ok()) log_warn(kLog, "checkpoint after promotion: {}", c.message());
            }
            return status_message(s);
          },
          [&](const Demote& a) {
            auto s = node.demote(a.mode);
            // Stopped or read-only now (or the guard's deadline stays as the backstop).
            if (s.ok()) set_fence(false);
            return status_message(s);
          },
          [&](const StartAsReplica& a) { return status_message(node.start_as_replica(a.leader, a.conn_url)); },
          [&](const FollowNewLeader& a) { return status_message(node.follow(a.leader, a.conn_url)); },
          [&](const RestartPostgres&) { return status_message(node.restart()); },
          [&](const Rewind& a) {
            auto s = node.rewind(a.source, a.conn_url);
            memory_.rewind_failed = !s.ok();
            return status_message(s);
          },
          [&](const Reinitialize& a) {
            auto s = node.reinitialize(a.source, a.conn_url);
            if (s.ok()) memory_.rewind_failed = false;
            return status_message(s);
          },
          [&](const UpdateMemberKey& a) {
            if (dcs.lease_id() == 0) return std::string("no lease yet");
            return dcs.put_member(encode_member(a.member), timeout).message;
          },
          [&](const WriteHistory& a) { return dcs.append_history(a.entry, timeout).message; },
          [&](const ClearFailoverKey& a) { return dcs.clear_failover(a.mod_revision, timeout).message; },
          [&](const SetSyncStandbys& a) {
            return status_message(node.set_sync_standbys(a.names, a.count, a.strict));
          },
          [&](const WriteSyncKey& a) {
            SyncState s;
            s.leader = a.leader;
            s.sync_standby = a.sync_standby;
            return dcs.write_sync(s, a.expected_revision, timeout).message;
          },
          [&](const DeleteSyncKey& a) { return dcs.delete_sync(a.mod_revision, timeout).message; },
          [&](const ProbeMembers&) { return std::string(); },
      },
      action);
}

void HaLoop::keep_slots(const Observation& obs) {
  std::vector<std::string> others;
  for (const auto& m : obs.dcs.members) {
    if (m.name != p_.config->name) others.push_back(m.name);
  }
  if (auto s = p_.node->sync_replication_slots(others); !s.ok()) {
    log_warn(kLog, "replication slots: {}", s.message());
  }
}

void HaLoop::answer_admin_requests(const Observation& obs) {
  while (auto taken = p_.admin->take()) {
    postmaster_pid_ = 0;
    const auto& r = taken->request;
    AdminOutcome out;
    switch (r.kind) {
      case AdminRequest::Kind::restart: {
        const auto pg = p_.node->observe(SteadyClock::now());
        if (r.only_if_pending_restart && !pg.pending_restart) {
          out = {true, "no restart needed: no setting is waiting for one"};
          break;
        }
        auto s = p_.node->restart();
        out = {s.ok(), s.ok() ? "restarted PostgreSQL" : "restart failed: " + s.message()};
        break;
      }
      case AdminRequest::Kind::reload: {
        auto s = p_.node->reload();
        out = {s.ok(), s.ok() ? "reloaded PostgreSQL's configuration" : "reload failed: " + s.message()};
        break;
      }
      case AdminRequest::Kind::reinitialize: {
        const Member* leader = obs.dcs.leader_member();
        if (obs.i_hold_lock()) {
          out = {false, "reinitialize refused: I am the leader; switch over first"};
        } else if (leader == nullptr || leader->conn_url.empty()) {
          out = {false, "reinitialize refused: there is no leader to clone from"};
        } else if (obs.pg.is_running() && !r.force && obs.pg.streaming) {
          // Patroni reinitializes a running replica too; a streaming one only when forced.
          out = {false, "reinitialize refused: this replica is running and streaming; use force"};
        } else {
          set_fence(false);
          auto s = p_.node->reinitialize(leader->name, leader->conn_url);
          out = {s.ok(), s.ok() ? "reinitialized from " + leader->name
                                : "reinitialize failed: " + s.message()};
        }
        break;
      }
    }
    log_info(kLog, "{} requested: {}", to_string(r.kind), out.message);
    taken->promise.set_value(out);
  }
}

void HaLoop::publish(const Observation& obs, const Decision& d) {
  AgentStatus s;
  s.scope = p_.config->scope;
  s.name = p_.config->name;
  s.version = kVersion;
  s.tags = p_.config->tags;
  s.pg = p_.node->observe(SteadyClock::now());
  s.server_version_num = p_.node->facts().server_version_num;
  s.postmaster_start_time = p_.node->facts().postmaster_start_time;
  s.system_identifier = s.pg.system_identifier;
  s.dcs = last_view_;
  s.dcs_last_seen = dcs_last_seen_;
  s.holds_lock = memory_.last_lock_refresh.has_value() ||
                 (obs.i_hold_lock() && !d.has<ReleaseLeaderLock>());
  s.paused = obs.config().pause;
  s.watchdog_failed = p_.config->watchdog.mode == WatchdogMode::required && !p_.watchdog_usable;
  s.last_decision = d.reason;
  s.loops = loops_;
  s.updated = WallClock::now();
  p_.board->publish(std::move(s));
}

void HaLoop::log_decision(const Decision& d, Now now) {
  const std::string shape = shape_of(d.reason);
  const bool quiet = routine(d);
  if (quiet && shape == last_logged_ && now.steady - last_logged_at_ < kRelogEvery) {
    log_debug(kLog, "{}", d.describe());
    return;
  }
  last_logged_ = shape;
  last_logged_at_ = now.steady;
  log_info(kLog, "{}", quiet ? d.reason : d.describe());
}

void HaLoop::wait_for_next(std::optional<Millis> recheck_in, Millis loop_wait) {
  Millis wait = loop_wait;
  if (recheck_in) wait = std::max(Millis(10), std::min(wait, *recheck_in));
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, wait, [this] { return woken_ || stopping_.load(); });
  woken_ = false;
}

void HaLoop::set_fence(bool armed) {
  std::lock_guard lock(fence_mu_);
  if (fence_armed_.exchange(armed) == armed) return;
  if (p_.watchdog != nullptr) {
    if (armed) {
      if (auto e = p_.watchdog->activate(std::chrono::duration_cast<Millis>(last_view_.config.ttl));
          !e.empty()) {
        log_warn(kLog, "{}", e);
      }
    } else {
      p_.watchdog->deactivate();
    }
  }
  if (p_.guard == nullptr) return;
  if (armed) {
    p_.guard->set_lease(p_.dcs->lease_id());
    log_info(kLog, "fence guard armed: PostgreSQL is stopped if I die or my lock runs out");
    if (const auto expiry = p_.dcs->lease_expiry()) {
      p_.guard->arm(*expiry - Millis(safety_margin_ms_.load()));
    }
  } else {
    p_.guard->disarm();
    log_info(kLog, "fence guard disarmed");
  }
}

void HaLoop::feed_fence() {
  SteadyTime sent{};
  std::int64_t lease_sent = 0;
  while (!stopping_) {
    if (const int pid = postmaster_pid_.load(); pid > 0 && !process_running(pid)) {
      postmaster_pid_ = 0;
      log_warn(kLog, "the postmaster (pid {}) is gone", pid);
      wake();
    }
    if (fence_armed_ && p_.guard != nullptr) {
      if (const auto lease = p_.dcs->lease_id(); lease != lease_sent) {
        p_.guard->set_lease(lease);
        lease_sent = lease;
      }
      if (const auto expiry = p_.dcs->lease_expiry()) {
        const auto deadline = *expiry - Millis(safety_margin_ms_.load());
        std::lock_guard fence(fence_mu_);
        if (deadline != sent && fence_armed_) {
          p_.guard->arm(deadline);
          sent = deadline;
          if (p_.watchdog != nullptr) p_.watchdog->keepalive();
        }
      }
    }
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, kFeedEvery, [this] { return stopping_.load(); });
  }
}

void HaLoop::shutdown() {
  log_info(kLog, "shutting down");
  postmaster_pid_ = 0;
  const Millis timeout = last_view_.config.retry_timeout;
  const bool leading = memory_.last_lock_refresh.has_value();
  if (p_.stop_postgres_on_exit && !last_view_.config.pause) {
    if (auto s = p_.node->stop(pg::StopMode::kFast); !s.ok()) {
      log_warn(kLog, "stopping PostgreSQL: {}", s.message());
    } else {
      log_info(kLog, "stopped PostgreSQL");
    }
    set_fence(false);
    if (leading) {
      const auto after = p_.node->observe(SteadyClock::now());
      auto out = p_.dcs->release_leader(after.wal_position().value, timeout);
      if (!out.ok) log_warn(kLog, "{}", out.message);
      else log_info(kLog, "released the leader lock for another member to take");
    }
    p_.dcs->revoke_lease(timeout);
  } else {
    // Paused or told to leave PostgreSQL running: it keeps running and the lock stays until
    // the lease runs out, as an operator in maintenance mode expects.
    set_fence(false);
  }
  if (p_.guard != nullptr) p_.guard->finish();
  stopping_ = true;
  if (feeder_.joinable()) feeder_.join();
}

}  // namespace ha::agent
