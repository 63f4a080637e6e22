#include "dcs/raft_driver.hpp"

#include <malloc.h>

#include <cstdlib>
#include <limits>

#include "dcs/client/log.hpp"

namespace ha::dcs {

namespace {
constexpr const char* kLog = "raft";
constexpr int kTicksPerHeartbeat = 5;

[[noreturn]] void die_on_storage_error(const raft::StorageError& e) {
  // Nothing that depends on this write was acknowledged: a follower answers only after it, and
  // a leader applies only entries that a quorum without its own copy has written.
  log_error(kLog,
            "cannot write the Raft log: {}; stopping this member (fix the disk and restart it)",
            e.what());
  std::_Exit(70);
}
}  // namespace

RaftDriver::RaftDriver(RaftDriverOptions options, raft::DurableStorage& storage,
                       RaftApplication& app, PeerTransportOptions transport_options)
    : options_(options),
      storage_(storage),
      app_(app),
      tick_interval_(std::max<std::chrono::milliseconds::rep>(
          1, options.heartbeat_interval.count() / kTicksPerHeartbeat)),
      work_(asio::make_work_guard(io_)),
      tick_timer_(io_),
      rng_(options.seed ^ options.id) {
  PeerTransportCallbacks cb;
  cb.on_message = [this](raft::Message m) {
    asio::post(io_, [this, m = std::move(m)]() mutable {
      node_->step(m);
      schedule_ready();
    });
  };
  cb.on_peer_lost = [this](raft::NodeId peer) {
    asio::post(io_, [this, peer] { on_peer_lost(peer); });
  };
  cb.on_unreachable = [this](raft::NodeId peer) {
    asio::post(io_, [this, peer] {
      node_->report_unreachable(peer);
      schedule_ready();
    });
  };
  cb.on_snapshot_status = [this](raft::NodeId peer, bool ok) {
    asio::post(io_, [this, peer, ok] {
      node_->report_snapshot(peer, ok);
      schedule_ready();
    });
  };
  transport_options.self = options.id;
  transport_ = std::make_unique<PeerTransport>(transport_options, std::move(cb));

  raft::Snapshot snap = storage_.snapshot();
  if (!snap.empty()) {
    app_.restore(snap);
    log_info(kLog, "restored the state machine from the snapshot at index {}", snap.metadata.index);
  }
  applied_ = snap.metadata.index;
  last_snapshot_index_ = snap.metadata.index;
  saved_hard_state_ = storage_.initial_state().hard_state;

  raft::Config cfg;
  cfg.id = options.id;
  cfg.heartbeat_tick = kTicksPerHeartbeat;
  cfg.election_tick = static_cast<int>(options.election_timeout / tick_interval_);
  cfg.applied = applied_;
  cfg.pre_vote = options.pre_vote;
  cfg.check_quorum = options.check_quorum;
  cfg.seed = options.seed;
  cfg.max_inflight_msgs = options.max_inflight_appends;
  cfg.async_storage_writes = options.async_leader_writes;
  node_ = std::make_unique<raft::Node>(cfg, storage_);
}

RaftDriver::~RaftDriver() { stop(); }

void RaftDriver::start() {
  running_ = true;
  if (options_.async_leader_writes) persist_thread_ = std::thread([this] { persist_loop(); });
  schedule_tick();
  asio::post(io_, [this] { schedule_ready(); });
  thread_ = std::thread([this] { io_.run(); });
}

void RaftDriver::stop() {
  if (!running_.exchange(false)) return;
  cancel_snapshot_ = true;
  transport_->stop();
  io_.stop();
  if (thread_.joinable()) thread_.join();
  if (persist_thread_.joinable()) {
    {
      std::lock_guard lk(persist_mu_);
      persist_stop_ = true;
    }
    persist_cv_.notify_all();
    persist_thread_.join();  // after writing what was staged
  }
  snapshot_worker_.join();
}

void RaftDriver::post(std::function<void()> fn) { asio::post(io_, std::move(fn)); }

void RaftDriver::post_after(std::chrono::milliseconds delay, std::function<void()> fn) {
  auto timer = std::make_shared<asio::steady_timer>(io_, delay);
  timer->async_wait([timer, fn = std::move(fn)](const asio::error_code& ec) {
    if (!ec) fn();
  });
}

void RaftDriver::schedule_tick() {
  tick_timer_.expires_after(tick_interval_);
  tick_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec) return;
    ++ticks_;
    release_persist();
    node_->tick();
    app_.on_tick();
    expire_reads();
    schedule_ready();
    schedule_tick();
  });
}

void RaftDriver::schedule_ready() {
  if (ready_scheduled_) return;
  ready_scheduled_ = true;
  // Posted behind the work already queued, so that everything that arrived meanwhile goes into
  // one Ready and one fsync (group commit).
  asio::post(io_, [this] { handle_ready(); });
}

void RaftDriver::handle_ready() {
  using clock = std::chrono::steady_clock;
  ready_scheduled_ = false;
  while (node_->has_ready()) {
    // Only a leader writes in the background; anything else first waits for those writes, so
    // that its own saves (a vote, a follower's entries) land after them.
    const bool staging = options_.async_leader_writes && node_->is_leader();
    if (!staging && staged_outstanding_ != 0) {
      wait_for_persisted();
      continue;
    }
    raft::Ready rd = node_->ready();
    if (rd.soft_state && rd.soft_state->leader != last_leader_) {
      raft::NodeId leader = rd.soft_state->leader;
      if (leader != raft::kNone) {
        metrics_.leader_changes++;
        log_info(kLog, "{:x} is the leader at term {}{}", leader, node_->term(),
                 leader == options_.id ? " (this member)" : "");
      } else {
        log_info(kLog, "no leader at term {}", node_->term());
      }
      last_leader_ = leader;
      metrics_.leader = leader;
      fail_reads();
      app_.on_leader_change(leader, node_->term());
    }
    metrics_.term = node_->term();

    // A new term or vote is written before anything is sent in it (a sole voter wins its
    // election in the Ready that carries its vote): a restart must not lead that term again.
    const bool new_vote = rd.hard_state && (rd.hard_state->term != saved_hard_state_.term ||
                                            rd.hard_state->vote != saved_hard_state_.vote);
    if (rd.hard_state) saved_hard_state_ = *rd.hard_state;
    if (staging && !rd.snapshot && !new_vote) {
      // Send, stage the write for the persist thread, apply: the core counts this member's copy
      // toward the quorum only when the write is reported (collect_persisted), so what commits
      // meanwhile is on a quorum of other members' disks.
      //
      // New entries are written when they are first sent: until a follower has them they cannot
      // commit (unless this member is the only voter), and while each follower writes the last
      // append (one in flight), what arrives meanwhile is held and goes out, and to this disk,
      // together. The leader then takes one fsync per round of appends, not one per Ready
      // (about a quarter fewer at 16 clients). Held writes are released on the next tick at the
      // latest.
      bool sends_entries = node_->voter_count() <= 1;
      for (const raft::Message& m : rd.messages) {
        sends_entries = sends_entries || (m.type == raft::MessageType::kAppend && !m.entries.empty());
      }
      if (!rd.messages.empty()) transport_->send(std::move(rd.messages));
      stage(rd, sends_entries);
      for (const raft::Entry& e : rd.committed_entries) apply_entry(e);
      finish_ready(rd);
      continue;
    }
    if (staged_outstanding_ != 0) wait_for_persisted();

    // A leader sends its appends before its own fsync, so that its disk write and its
    // followers' overlap (the Raft dissertation's 10.2.1). Safe: nothing is applied or
    // acknowledged before save() below returns, follower acknowledgements are handled on this
    // thread after it, and the term they carry is already durable (not so in the Ready where a
    // sole voter wins: its appends to learners then wait for the save).
    const bool send_first = node_->is_leader() && !rd.snapshot && !new_vote;
    if (send_first && !rd.messages.empty()) transport_->send(std::move(rd.messages));
    // A leader then applies the committed entries that earlier Readies already persisted, so
    // that their replies do not wait for this Ready's fsync of newer entries. (A follower
    // persists and acknowledges first: its acknowledgement is on the leader's critical path.)
    std::size_t applied_early = 0;
    if (send_first) {
      const raft::Index first_new =
          rd.entries.empty() ? std::numeric_limits<raft::Index>::max() : rd.entries.front().index;
      while (applied_early < rd.committed_entries.size() &&
             rd.committed_entries[applied_early].index < first_new) {
        apply_entry(rd.committed_entries[applied_early++]);
      }
    }
    if (rd.hard_state || !rd.entries.empty() || rd.snapshot) {
      auto t0 = clock::now();
      try {
        storage_.save(rd.hard_state ? &*rd.hard_state : nullptr, rd.entries,
                      rd.snapshot ? &*rd.snapshot : nullptr, rd.must_sync);
      } catch (const raft::StorageError& e) {
        die_on_storage_error(e);
      }
      if (rd.must_sync) record_fsync(clock::now() - t0);
    }
    if (!send_first && !rd.messages.empty()) transport_->send(std::move(rd.messages));

    if (rd.snapshot) {
      app_.restore(*rd.snapshot);
      applied_ = rd.snapshot->metadata.index;
      last_snapshot_index_ = applied_;
      log_info(kLog, "installed the leader's snapshot at index {}", applied_);
    }
    for (std::size_t i = applied_early; i < rd.committed_entries.size(); ++i) {
      apply_entry(rd.committed_entries[i]);
    }
    finish_ready(rd);
    // Saved synchronously, but the core waits for the report all the same (a sole voter's first
    // entry as leader is saved so, with its vote).
    if (options_.async_leader_writes && !rd.entries.empty()) {
      node_->persisted(rd.entries.back().index, rd.entries.back().term);
    }
  }
}

void RaftDriver::finish_ready(const raft::Ready& rd) {
  metrics_.applied_index = applied_;
  metrics_.commit_index = node_->status().hard_state.commit;
  for (const raft::ReadState& rs : rd.read_states) {
    auto it = reads_in_flight_.find(rs.context);
    if (it == reads_in_flight_.end()) continue;
    reads_confirmed_.emplace(rs.index, std::move(it->second.waiters));
    reads_in_flight_.erase(it);
  }
  node_->advance(rd);
  serve_reads();
  maybe_snapshot();
}

void RaftDriver::record_fsync(std::chrono::steady_clock::duration took) {
  auto us = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(took).count());
  std::size_t b = 0;
  while (b < std::size(RaftMetrics::kFsyncBoundsUs) && us > RaftMetrics::kFsyncBoundsUs[b]) ++b;
  metrics_.fsync_buckets[b]++;
  metrics_.fsync_sum_us += us;
  metrics_.fsync_count++;
}

void RaftDriver::stage(const raft::Ready& rd, bool release) {
  if (!rd.hard_state && rd.entries.empty()) {
    if (release) release_persist();
    return;
  }
  PersistJob job;
  try {
    job.staged = storage_.stage(rd.hard_state ? &*rd.hard_state : nullptr, rd.entries, rd.must_sync);
  } catch (const raft::StorageError& e) {
    die_on_storage_error(e);
  }
  if (!rd.entries.empty()) {
    job.index = rd.entries.back().index;
    job.term = rd.entries.back().term;
  }
  job.sync = rd.must_sync;
  ++staged_outstanding_;
  {
    std::lock_guard lk(persist_mu_);
    persist_queue_.push_back(std::move(job));
  }
  persist_held_ = true;
  if (release) release_persist();
}

void RaftDriver::release_persist() {
  if (!persist_held_) return;
  persist_held_ = false;
  {
    std::lock_guard lk(persist_mu_);
    persist_released_ = true;
  }
  persist_cv_.notify_all();
}

void RaftDriver::persist_loop() {
  std::unique_lock lk(persist_mu_);
  for (;;) {
    persist_cv_.wait(lk, [this] {
      return persist_stop_ || (persist_released_ && !persist_queue_.empty());
    });
    if (persist_queue_.empty()) return;  // stopping, and everything staged is written
    persist_released_ = false;
    // Everything staged meanwhile goes in one group, with one fsync (group commit).
    std::deque<PersistJob> group;
    group.swap(persist_queue_);
    persist_busy_ = true;
    lk.unlock();
    std::vector<raft::StagedSave*> saves;
    bool sync = false;
    for (PersistJob& job : group) {
      saves.push_back(job.staged.get());
      sync = sync || job.sync;
    }
    auto t0 = std::chrono::steady_clock::now();
    try {
      storage_.write_staged_group(saves);
    } catch (const raft::StorageError& e) {
      die_on_storage_error(e);
    }
    if (sync) record_fsync(std::chrono::steady_clock::now() - t0);
    lk.lock();
    persist_busy_ = false;
    for (PersistJob& job : group) persist_done_.push_back(std::move(job));
    persist_cv_.notify_all();
    asio::post(io_, [this] { collect_persisted(); });
  }
}

void RaftDriver::collect_persisted() {
  std::deque<PersistJob> done;
  {
    std::lock_guard lk(persist_mu_);
    done.swap(persist_done_);
  }
  if (done.empty()) return;
  for (PersistJob& job : done) {
    storage_.staged_written(*job.staged);
    --staged_outstanding_;
    if (job.index != 0) node_->persisted(job.index, job.term);
  }
  schedule_ready();
  maybe_snapshot();
}

void RaftDriver::wait_for_persisted() {
  release_persist();
  {
    std::unique_lock lk(persist_mu_);
    persist_cv_.wait(lk, [this] { return persist_queue_.empty() && !persist_busy_; });
  }
  collect_persisted();
}

void RaftDriver::apply_entry(const raft::Entry& e) {
  if (e.type == raft::EntryType::kConfChange || !e.data.empty()) {
    app_.apply(e);
    metrics_.proposals_committed++;
  }
  applied_ = e.index;
}

void RaftDriver::serve_reads() {
  while (!reads_confirmed_.empty() && reads_confirmed_.begin()->first <= applied_) {
    auto waiters = std::move(reads_confirmed_.begin()->second);
    reads_confirmed_.erase(reads_confirmed_.begin());
    for (auto& done : waiters) done(true);
  }
}

void RaftDriver::fail_reads() {
  // A ReadIndex in flight to a deposed leader will never be answered; confirmed ones stay valid.
  for (auto& [ctx, batch] : reads_in_flight_) {
    for (auto& done : batch.waiters) done(false);
  }
  reads_in_flight_.clear();
}

void RaftDriver::expire_reads() {
  // A request or answer lost on the network: give up after two election timeouts.
  std::uint64_t limit = 2 * static_cast<std::uint64_t>(options_.election_timeout / tick_interval_);
  for (auto it = reads_in_flight_.begin(); it != reads_in_flight_.end();) {
    if (ticks_ - it->second.sent_tick > limit) {
      for (auto& done : it->second.waiters) done(false);
      it = reads_in_flight_.erase(it);
    } else {
      ++it;
    }
  }
}

void RaftDriver::maybe_snapshot() {
  if (snapshot_in_progress_ || applied_ < last_snapshot_index_ + options_.snapshot_count) return;
  // A snapshot may cover only entries already written (a leader applies entries that other
  // members' disks hold before its own write returns).
  if (applied_ >= storage_.first_unwritten_index()) return;
  using clock = std::chrono::steady_clock;
  raft::SnapshotMetadata meta;
  meta.index = applied_;
  try {
    meta.term = storage_.term(applied_);
  } catch (const raft::StorageError& e) {
    die_on_storage_error(e);
  }
  meta.conf_state = node_->conf_state_at(applied_);
  RaftApplication::SnapshotTask task;
  if (snapshot_give_ups_ < 3) task = app_.snapshot_task();
  if (!task) {
    auto t0 = clock::now();
    raft::Snapshot s{std::move(meta), app_.snapshot()};
    auto t1 = clock::now();
    std::unique_ptr<raft::PreparedSnapshot> prepared;
    try {
      prepared = storage_.prepare_snapshot(s);
    } catch (const raft::StorageError& e) {
      die_on_storage_error(e);
    }
    finish_snapshot(
        SnapshotWork{s.metadata.index, std::move(prepared), {}, t1 - t0, clock::now() - t1});
    return;
  }
  // The state was captured at `applied_`; the worker encodes it and writes it to the store's
  // snapshot file while this thread goes on persisting, sending and applying. This thread then
  // commits it (a small write) and the log is compacted.
  snapshot_in_progress_ = true;
  asio::post(snapshot_worker_, [this, meta = std::move(meta), task = std::move(task)]() mutable {
    auto work = std::make_shared<SnapshotWork>();
    work->index = meta.index;
    auto t0 = clock::now();
    std::optional<std::string> data = task(cancel_snapshot_);
    auto t1 = clock::now();
    work->encode_time = t1 - t0;
    if (data) {
      raft::Snapshot s{std::move(meta), std::move(*data)};
      try {
        work->prepared = storage_.prepare_snapshot(s);  // safe on this thread (storage.hpp)
      } catch (const raft::StorageError& e) {
        work->error = e;
      }
      work->prepare_time = clock::now() - t1;
    }
    asio::post(io_, [this, work] {
      snapshot_in_progress_ = false;
      finish_snapshot(std::move(*work));
    });
  });
}

void RaftDriver::finish_snapshot(SnapshotWork work) {
  using clock = std::chrono::steady_clock;
  if (work.error) die_on_storage_error(*work.error);
  if (!work.prepared) {
    ++snapshot_give_ups_;
    log_info(kLog,
             "gave up the snapshot at index {} (the state was replaced or compacted meanwhile); "
             "retrying",
             work.index);
    return;
  }
  snapshot_give_ups_ = 0;
  // A snapshot installed from the leader meanwhile may already cover this one; its prepared
  // data is then discarded (a file removed) on the worker.
  if (work.index <= last_snapshot_index_) {
    asio::post(snapshot_worker_,
               [p = std::shared_ptr<raft::PreparedSnapshot>(std::move(work.prepared))] {});
    return;
  }
  const std::uint64_t bytes = work.prepared->data_size();
  auto t0 = clock::now();
  try {
    storage_.commit_snapshot(std::move(work.prepared));
  } catch (const raft::StorageError& e) {
    die_on_storage_error(e);
  }
  auto us = [](clock::duration d) {
    return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  };
  last_snapshot_index_ = work.index;
  metrics_.snapshots_taken++;
  log_info(kLog,
           "took a snapshot at index {} ({} bytes, encoded in {} ms, written in {} ms, committed "
           "in {} us) and compacted the log",
           work.index, bytes, us(work.encode_time) / 1000, us(work.prepare_time) / 1000,
           us(clock::now() - t0));
  // The encoding and the log entries just dropped were large: hand the freed memory back to the
  // system (off this thread).
  asio::post(snapshot_worker_, [] { malloc_trim(0); });
}

void RaftDriver::propose(std::string data, ProposeDone done) {
  asio::post(io_, [this, data = std::move(data), done = std::move(done)]() mutable {
    propose_here(std::move(data), std::move(done));
  });
}

void RaftDriver::propose_here(std::string data, ProposeDone done) {
  proposals_.push_back(PendingProposal{std::move(data), std::move(done)});
  if (!proposals_scheduled_) {
    proposals_scheduled_ = true;
    asio::post(io_, [this] { flush_proposals(); });
  }
}

void RaftDriver::flush_proposals() {
  proposals_scheduled_ = false;
  if (proposals_.empty()) return;
  std::vector<PendingProposal> batch;
  batch.swap(proposals_);
  std::vector<std::string> data;
  data.reserve(batch.size());
  for (auto& p : batch) data.push_back(std::move(p.data));
  raft::ProposeResult r = node_->propose_batch(std::move(data));
  if (r != raft::ProposeResult::kOk) metrics_.proposals_failed += batch.size();
  for (auto& p : batch) p.done(r);
  schedule_ready();
}

void RaftDriver::propose_conf_change(raft::ConfChange cc, ProposeDone done) {
  asio::post(io_, [this, cc = std::move(cc), done = std::move(done)] {
    raft::ProposeResult r = node_->propose_conf_change(cc);
    done(r);
    schedule_ready();
  });
}

void RaftDriver::transfer_leader(raft::NodeId to, ProposeDone done) {
  asio::post(io_, [this, to, done = std::move(done)] {
    raft::ProposeResult r = node_->transfer_leader(to);
    done(r);
    schedule_ready();
  });
}

void RaftDriver::read_index(ReadDone done) {
  asio::post(io_, [this, done = std::move(done)]() mutable {
    reads_unsent_.push_back(std::move(done));
    if (!reads_scheduled_) {
      reads_scheduled_ = true;
      asio::post(io_, [this] { flush_reads(); });
    }
  });
}

void RaftDriver::flush_reads() {
  reads_scheduled_ = false;
  if (reads_unsent_.empty()) return;
  std::vector<ReadDone> batch;
  batch.swap(reads_unsent_);
  std::string ctx = std::to_string(options_.id) + "/" + std::to_string(next_read_batch_++);
  if (node_->read_index(ctx) != raft::ProposeResult::kOk) {
    for (auto& done : batch) done(false);
    return;
  }
  reads_in_flight_.emplace(ctx, ReadBatch{ticks_, std::move(batch)});
  schedule_ready();
}

void RaftDriver::on_peer_lost(raft::NodeId peer) {
  if (node_->role() != raft::Role::kFollower || node_->leader() != peer) return;
  log_info(kLog, "the connection to leader {:x} dropped; looking for a new leader", peer);
  node_->forget_leader();
  // Rank among the voters other than the lost leader: the first campaigns at once, the next
  // one stagger later (by then it normally hears from the new leader and does nothing).
  long rank = 0;
  for (raft::NodeId v : node_->status().conf_state.voters) {
    if (v != peer && v < options_.id) ++rank;
  }
  std::uniform_int_distribution<long> jitter(0, 5);
  post_after(std::chrono::milliseconds(rank * options_.leader_loss_stagger.count() + jitter(rng_)),
             [this] {
               if (node_->role() == raft::Role::kFollower && node_->leader() == raft::kNone) {
                 node_->campaign();
                 schedule_ready();
               }
             });
}

}  // namespace ha::dcs
