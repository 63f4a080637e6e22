// DcsCore: the member's request pipeline between the gRPC services and Raft. It is the Raft
// application (applies committed entries to the StateMachine, feeds the WatchHub, keeps the
// leader's LeaseTimer and proposes lease expiries) and it matches each proposed request to the
// client waiting for it. All state lives on the RaftDriver's thread; the public entry points
// post onto it and call back there.
#pragma once

#include <asio/post.hpp>
#include <asio/thread_pool.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <vector>

#include "dcs/errors.hpp"
#include "dcs/lease_timer.hpp"
#include "dcs/raft_driver.hpp"
#include "dcs/request_checks.hpp"
#include "dcs/state_machine.hpp"
#include "dcs/watch_hub.hpp"

namespace ha::dcs {

class DcsCore : public RaftApplication {
 public:
  using Clock = std::chrono::steady_clock;
  using Deadline = Clock::time_point;

  struct Options {
    std::uint64_t self = 0;
    std::uint64_t cluster_id = 0;
    Limits limits;
    std::chrono::milliseconds request_timeout{5000};  // upper bound on any wait for Raft
    std::chrono::milliseconds lease_expiry_retry{1000};
    std::uint64_t seed = 0;
    // The leader compacts history older than this many revisions (checked every
    // auto_compaction_period); watchers further behind get the compaction error.
    std::int64_t history_revisions = 10000;
    std::chrono::milliseconds auto_compaction_period{60000};
    // Writes are refused once the log store holds more than this (0 = no limit).
    std::uint64_t quota_bytes = 0;
    std::function<std::uint64_t()> db_size;  // bytes on disk, for the quota
  };

  explicit DcsCore(Options options);
  ~DcsCore() override;
  void attach(RaftDriver* driver) { driver_ = driver; }

  // --- thread-safe entry points; callbacks run on the driver thread ---
  // Proposes a write and calls back with what applying it produced (or why it failed); the
  // callback may move parts out of the result.
  void write(dcspb::InternalRequest req, Deadline deadline, std::function<void(ApplyResult&)> done);
  // Calls back once this member's state may be read: at once for serializable reads, after
  // ReadIndex for linearizable ones.
  void read(bool linearizable, Deadline deadline, std::function<void(Status)> done);
  // Proposes a membership change and calls back when it is applied.
  void change_membership(raft::ConfChange cc, Deadline deadline, std::function<void(Status)> done);
  void run(std::function<void()> fn) { driver_->post(std::move(fn)); }
  // Driver thread: runs `fn` soon, after the work already queued: finishing gRPC calls
  // (serialising the response, handing it to the transport) happens on the completion threads,
  // not on the driver thread, which persists, sends and applies; the calls finished by one
  // batch of applied entries go over together (one wake-up, not one per call), and one or two
  // are finished on the driver thread itself. `fn` must not touch the driver's state.
  void complete(std::function<void()> fn);

  // --- driver thread only ---
  StateMachine& sm() { return sm_; }
  WatchHub& hub() { return hub_; }
  LeaseTimer& lease_timer() { return lease_timer_; }
  RaftDriver& driver() { return *driver_; }
  bool is_leader() { return driver_->node().is_leader(); }
  // Keep-alive on the leader: the lease's granted TTL, or 0 when it is unknown or expired.
  std::int64_t renew_lease(std::int64_t id);
  void fill_header(etcdserverpb::ResponseHeader* h) const;
  const Options& options() const { return options_; }
  // Watch streams register to hear when their queue has responses.
  void set_watch_notifier(WatchHub::StreamId id, std::function<void()> fn);
  void clear_watch_notifier(WatchHub::StreamId id);
  // Peer addresses changed (membership applied or snapshot restored).
  void set_peers_listener(std::function<void(const MemberTable&)> fn) {
    peers_listener_ = std::move(fn);
  }

  // --- RaftApplication ---
  void apply(const raft::Entry& entry) override;
  std::string snapshot() override;
  SnapshotTask snapshot_task() override;
  void restore(const raft::Snapshot& snapshot) override;
  void on_leader_change(raft::NodeId leader, raft::Term term) override;
  void on_tick() override;

 private:
  struct Waiter {
    Deadline deadline;
    std::function<void(ApplyResult&)> done;
  };
  struct ConfWaiter {
    raft::ConfChange cc;
    Deadline deadline;
    std::function<void(Status)> done;
  };
  void fail_waiter(std::uint64_t id, const Error& e);
  void expire_waiters();
  void propose_expiries();
  void maybe_auto_compact();
  void flush_completions();

  Options options_;
  RaftDriver* driver_ = nullptr;
  // Held by the driver thread while it changes sm_ (apply, restore), and by the snapshot
  // worker while it encodes a part of it; reads on the driver thread need no lock.
  std::mutex sm_mu_;
  StateMachine sm_;
  WatchHub hub_;
  LeaseTimer lease_timer_;
  std::atomic<std::uint64_t> next_request_id_;
  std::map<std::uint64_t, Waiter> waiters_;
  std::vector<ConfWaiter> conf_waiters_;
  std::map<WatchHub::StreamId, std::function<void()>> watch_notifiers_;
  std::function<void(const MemberTable&)> peers_listener_;
  raft::Term term_ = 0;
  std::uint64_t ticks_ = 0;
  std::uint64_t db_size_ = 0;
  Clock::time_point last_compaction_check_ = Clock::now();
  std::vector<std::function<void()>> completions_pending_;  // driver thread
  asio::thread_pool completions_{2};
};

}  // namespace ha::dcs
