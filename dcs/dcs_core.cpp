#include "dcs/dcs_core.hpp"

#include <thread>

#include "dcs/client/log.hpp"
#include "dcs/server_errors.hpp"

namespace ha::dcs {

namespace {
constexpr const char* kLog = "dcs";
}

DcsCore::DcsCore(Options options) : options_(options), hub_(sm_.kv()) {
  // Request ids only need to differ from those this member used before a restart.
  std::mt19937_64 rng(options.seed ^
                      static_cast<std::uint64_t>(Clock::now().time_since_epoch().count()));
  next_request_id_ = (rng() | 1) & 0x7fffffffffffffffULL;
  hub_.set_ready_callback([this](WatchHub::StreamId id) {
    auto it = watch_notifiers_.find(id);
    if (it != watch_notifiers_.end()) it->second();
  });
}

DcsCore::~DcsCore() {
  // Calls waiting to be finished are finished first (a gRPC server waits for them).
  completions_.join();
}

void DcsCore::write(dcspb::InternalRequest req, Deadline deadline,
                    std::function<void(ApplyResult&)> done) {
  // Encoded here, on the caller's (gRPC) thread; the driver thread only queues it.
  const bool frees_space = req.has_delete_range() || req.has_lease_revoke() || req.has_compaction();
  const std::uint64_t id = next_request_id_.fetch_add(1, std::memory_order_relaxed);
  req.set_id(id);
  req.set_proposer(options_.self);
  driver_->post([this, id, frees_space, data = req.SerializeAsString(), deadline,
                 done = std::move(done)]() mutable {
    if (options_.quota_bytes > 0 && !frees_space && db_size_ > options_.quota_bytes) {
      ApplyResult r;
      r.status =
          Status(Error{ErrorCode::kResourceExhausted, "etcdserver: mvcc: database space exceeded"});
      done(r);
      return;
    }
    Deadline bound = std::min(deadline, Clock::now() + options_.request_timeout);
    waiters_.emplace(id, Waiter{bound, std::move(done)});
    driver_->propose_here(std::move(data), [this, id](raft::ProposeResult r) {
      if (r != raft::ProposeResult::kOk) fail_waiter(id, errors::from_propose(r));
    });
  });
}

void DcsCore::read(bool linearizable, Deadline deadline, std::function<void(Status)> done) {
  if (!linearizable) {
    driver_->post([done = std::move(done)] { done(Status()); });
    return;
  }
  driver_->read_index([this, deadline, done = std::move(done)](bool ok) {
    if (ok) {
      done(Status());
    } else if (Clock::now() >= deadline) {
      done(errors::request_timed_out());
    } else {
      done(driver_->node().leader() == raft::kNone ? errors::no_leader()
                                                   : errors::leader_changed());
    }
  });
}

void DcsCore::change_membership(raft::ConfChange cc, Deadline deadline,
                                std::function<void(Status)> done) {
  driver_->post([this, cc = std::move(cc), deadline, done = std::move(done)]() mutable {
    raft::ProposeResult r = driver_->node().propose_conf_change(cc);
    if (r != raft::ProposeResult::kOk) {
      done(errors::from_propose(r));
      return;
    }
    Deadline bound = std::min(deadline, Clock::now() + options_.request_timeout);
    conf_waiters_.push_back(ConfWaiter{std::move(cc), bound, std::move(done)});
  });
}

void DcsCore::fail_waiter(std::uint64_t id, const Error& e) {
  auto it = waiters_.find(id);
  if (it == waiters_.end()) return;
  ApplyResult r;
  r.status = Status(e);
  auto done = std::move(it->second.done);
  waiters_.erase(it);
  done(r);
}

void DcsCore::complete(std::function<void()> fn) {
  completions_pending_.push_back(std::move(fn));
  // Posted behind the driver's queued work, so everything finished meanwhile goes in one batch.
  if (completions_pending_.size() == 1) driver_->post([this] { flush_completions(); });
}

void DcsCore::flush_completions() {
  // The calls of one batch are finished here, on the driver thread, up to 64 of them: waking a
  // completion thread costs more CPU and latency than serialising them here (in interleaved runs
  // 4-9 % more puts/s at 16 clients and about 6 % at 256 than with only 2 here; with 4 appends
  // in flight per follower it had measured worse). A larger batch is shared by both completion
  // threads.
  constexpr std::size_t kInlineUpTo = 64;
  constexpr std::size_t kSplitAbove = 16;
  std::vector<std::function<void()>> batch;
  batch.swap(completions_pending_);
  auto run_all = [](std::vector<std::function<void()>> fns) {
    for (auto& fn : fns) fn();
  };
  if (batch.size() <= kInlineUpTo) {
    run_all(std::move(batch));
    return;
  }
  if (batch.size() > kSplitAbove) {
    std::vector<std::function<void()>> second(std::make_move_iterator(batch.begin() + batch.size() / 2),
                                              std::make_move_iterator(batch.end()));
    batch.resize(batch.size() / 2);
    asio::post(completions_, [run_all, fns = std::move(second)]() mutable { run_all(std::move(fns)); });
  }
  asio::post(completions_, [run_all, fns = std::move(batch)]() mutable { run_all(std::move(fns)); });
}

std::int64_t DcsCore::renew_lease(std::int64_t id) {
  auto ttl = lease_timer_.renew(id, Clock::now());
  return ttl ? *ttl : 0;
}

void DcsCore::fill_header(etcdserverpb::ResponseHeader* h) const {
  h->set_cluster_id(options_.cluster_id);
  h->set_member_id(options_.self);
  h->set_revision(sm_.revision());
  h->set_raft_term(term_);
}

void DcsCore::set_watch_notifier(WatchHub::StreamId id, std::function<void()> fn) {
  watch_notifiers_[id] = std::move(fn);
}

void DcsCore::clear_watch_notifier(WatchHub::StreamId id) { watch_notifiers_.erase(id); }

void DcsCore::apply(const raft::Entry& entry) {
  ApplyResult r;
  {
    std::lock_guard<std::mutex> lock(sm_mu_);
    sm_.set_events_wanted(hub_.watcher_count() > 0);
    r = sm_.apply_entry(entry);
  }
  if (!r.applied) return;
  if (!r.events.empty()) hub_.on_apply(r.revision, r.events);
  if (driver_->node().is_leader()) {
    if (r.granted_lease != 0) lease_timer_.add(r.granted_lease, r.granted_ttl, Clock::now());
    if (r.removed_lease != 0) lease_timer_.remove(r.removed_lease);
  }
  if (entry.type == raft::EntryType::kConfChange) {
    auto cc = raft::decode_conf_change(entry.data);
    if (cc) {
      for (auto it = conf_waiters_.begin(); it != conf_waiters_.end(); ++it) {
        if (it->cc.node == cc->node && it->cc.type == cc->type) {
          auto done = std::move(it->done);
          conf_waiters_.erase(it);
          done(Status());
          break;
        }
      }
      if (cc->type == raft::ConfChangeType::kRemoveNode && cc->node == options_.self) {
        log_warn(kLog, "this member was removed from the cluster; it no longer takes part");
      }
    }
    if (peers_listener_) peers_listener_(sm_.members());
  }
  if (r.proposer == options_.self && r.request_id != 0) {
    auto it = waiters_.find(r.request_id);
    if (it != waiters_.end()) {
      auto done = std::move(it->second.done);
      waiters_.erase(it);
      done(r);
    }
  }
}

std::string DcsCore::snapshot() { return sm_.snapshot(); }

RaftApplication::SnapshotTask DcsCore::snapshot_task() {
  auto job = std::make_shared<StateMachine::SnapshotJob>(sm_.begin_snapshot());
  return [this, job](const std::atomic<bool>& cancel) -> std::optional<std::string> {
    // A few hundred keys at a time, so that the driver never waits long for the lock.
    constexpr std::size_t kKeysPerStep = 256;
    while (!job->done) {
      if (cancel.load(std::memory_order_relaxed)) return std::nullopt;
      {
        std::lock_guard<std::mutex> lock(sm_mu_);
        if (!sm_.continue_snapshot(*job, kKeysPerStep)) return std::nullopt;
      }
      std::this_thread::yield();
    }
    return std::move(job->data);
  };
}

void DcsCore::restore(const raft::Snapshot& snapshot) {
  Status st;
  {
    std::lock_guard<std::mutex> lock(sm_mu_);
    st = sm_.restore(snapshot.data);
  }
  if (!st.ok()) {
    // A snapshot that the leader (or this disk) produced and that does not parse means the
    // member cannot build a correct state: stop rather than serve a wrong one.
    log_error(kLog, "cannot restore the snapshot at index {}: {}; stopping this member",
              snapshot.metadata.index, st.error().message);
    std::_Exit(70);
  }
  hub_.on_restore();
  if (driver_ != nullptr && driver_->node().is_leader())
    lease_timer_.promote(sm_.lease_ttls(), Clock::now());
  if (peers_listener_) peers_listener_(sm_.members());
}

void DcsCore::on_leader_change(raft::NodeId leader, raft::Term term) {
  term_ = term;
  if (leader == options_.self) {
    // A new leader gives every lease a full TTL: a leader change never expires a lease early.
    lease_timer_.promote(sm_.lease_ttls(), Clock::now());
    log_info(kLog, "leading: {} leases given a fresh TTL", lease_timer_.size());
  } else {
    lease_timer_.clear();
  }
}

void DcsCore::on_tick() {
  term_ = driver_->node().term();
  ++ticks_;
  // The size on disk is a directory scan: refresh it about once a second, not per request.
  if (options_.db_size && ticks_ % 50 == 1) db_size_ = options_.db_size();
  if (driver_->node().is_leader()) {
    propose_expiries();
    maybe_auto_compact();
  }
  expire_waiters();
}

void DcsCore::maybe_auto_compact() {
  Clock::time_point now = Clock::now();
  if (now - last_compaction_check_ < options_.auto_compaction_period) return;
  last_compaction_check_ = now;
  std::int64_t target = sm_.revision() - options_.history_revisions;
  if (target <= sm_.kv().compact_revision()) return;
  dcspb::InternalRequest req;
  req.mutable_compaction()->set_revision(target);
  req.set_proposer(options_.self);
  log_info(kLog, "compacting history before revision {}", target);
  driver_->propose(req.SerializeAsString(), [](raft::ProposeResult) {});
}

void DcsCore::propose_expiries() {
  for (std::int64_t id : lease_timer_.expired(Clock::now(), options_.lease_expiry_retry)) {
    dcspb::InternalRequest req;
    req.mutable_lease_expire()->set_id(id);
    req.set_proposer(options_.self);
    log_info(kLog, "lease {:x} expired; revoking it", id);
    driver_->propose(req.SerializeAsString(), [](raft::ProposeResult) {});
  }
}

void DcsCore::expire_waiters() {
  Deadline now = Clock::now();
  std::vector<std::uint64_t> late;
  for (const auto& [id, w] : waiters_) {
    if (w.deadline <= now) late.push_back(id);
  }
  for (std::uint64_t id : late) fail_waiter(id, errors::request_timed_out());
  for (auto it = conf_waiters_.begin(); it != conf_waiters_.end();) {
    if (it->deadline <= now) {
      auto done = std::move(it->done);
      it = conf_waiters_.erase(it);
      done(errors::request_timed_out());
    } else {
      ++it;
    }
  }
}

}  // namespace ha::dcs
