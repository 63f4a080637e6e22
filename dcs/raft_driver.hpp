// RaftDriver: runs one Raft core (raft::Node) for hadcs on its own thread: ticks it, feeds it
// peer messages, persists its Ready to the RocksDB log store (one synced batch per Ready; a
// leader's on a persist thread), sends messages through the PeerTransport, hands committed
// entries to the application and serves ReadIndex waiters. Thread-safe entry points post work
// onto that thread.
#pragma once

#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "dcs/peer_transport.hpp"
#include "raft/node.hpp"
#include "raft/storage.hpp"

namespace ha::dcs {

// What the driver needs from the application (the KV state machine). Called on the driver
// thread only.
class RaftApplication {
 public:
  virtual ~RaftApplication() = default;
  // A committed entry: normal entries with data, and conf changes (after the core applied them).
  virtual void apply(const raft::Entry& entry) = 0;
  // The whole state as of the last applied entry, and its restoration.
  virtual std::string snapshot() = 0;
  virtual void restore(const raft::Snapshot& snapshot) = 0;
  // Optional: captures the state as of the last applied entry now (cheaply) and returns a task
  // that encodes it later on another thread while apply() goes on; the task returns the bytes
  // snapshot() would have returned now, or nullopt when it gave up (`cancel` set, or the
  // capture became invalid, e.g. by a restore). An empty function: only snapshot() is offered.
  using SnapshotTask = std::function<std::optional<std::string>(const std::atomic<bool>& cancel)>;
  virtual SnapshotTask snapshot_task() { return {}; }
  // Leadership changed (leader may be kNone).
  virtual void on_leader_change(raft::NodeId /*leader*/, raft::Term /*term*/) {}
  // Called on every tick (driver thread), e.g. for lease expiry on the leader.
  virtual void on_tick() {}
};

struct RaftDriverOptions {
  raft::NodeId id = raft::kNone;
  std::chrono::milliseconds heartbeat_interval{100};
  std::chrono::milliseconds election_timeout{1000};
  std::uint64_t snapshot_count = 100000;  // applied entries between two snapshots
  // Unacknowledged appends per follower. One: while a follower writes an append, what the leader
  // gets meanwhile waits and goes in the next one, so a loaded leader sends fewer, larger appends
  // and its followers fsync less often. The members then use less CPU per put, and on a busy
  // host that is throughput: 1 measured about 8 % above 4 at 16 clients and 7 % at 256, equal
  // at 1 client (tests/bench; 4 had measured better than 256). A lagging follower still gets up
  // to raft::Config::max_size_per_msg per round trip.
  std::size_t max_inflight_appends = 1;
  // A leader writes its log on a persist thread while this thread goes on sending, handling
  // acknowledgements and applying (raft::Config::async_storage_writes); false: on this thread,
  // before the acknowledgements are handled.
  bool async_leader_writes = true;
  bool pre_vote = true;
  bool check_quorum = true;
  std::uint64_t seed = 0;
  // On losing the leader's connection, the surviving voters campaign one after another in the
  // order of their IDs, this far apart (plus a little jitter), so that they do not split the vote.
  std::chrono::milliseconds leader_loss_stagger{50};
};

struct RaftMetrics {
  std::atomic<std::uint64_t> leader_changes{0};
  std::atomic<std::uint64_t> proposals_committed{0};
  std::atomic<std::uint64_t> proposals_failed{0};
  std::atomic<std::uint64_t> term{0};
  std::atomic<std::uint64_t> leader{0};
  std::atomic<std::uint64_t> commit_index{0};
  std::atomic<std::uint64_t> applied_index{0};
  std::atomic<std::uint64_t> snapshots_taken{0};
  // fsync latency histogram of the log store, upper bounds in microseconds.
  static constexpr std::uint64_t kFsyncBoundsUs[] = {
      250, 500, 1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000, 512000, 1024000};
  std::atomic<std::uint64_t> fsync_buckets[std::size(kFsyncBoundsUs) + 1]{};
  std::atomic<std::uint64_t> fsync_sum_us{0};
  std::atomic<std::uint64_t> fsync_count{0};
};

class RaftDriver {
 public:
  using ProposeDone = std::function<void(raft::ProposeResult)>;
  // ok = false when the read could not be confirmed (no leader, leadership changed).
  using ReadDone = std::function<void(bool ok)>;

  RaftDriver(RaftDriverOptions options, raft::DurableStorage& storage, RaftApplication& app,
             PeerTransportOptions transport_options);
  ~RaftDriver();
  RaftDriver(const RaftDriver&) = delete;
  RaftDriver& operator=(const RaftDriver&) = delete;

  // The gRPC service that receives peers' messages (register it on the peer server).
  PeerTransport& transport() { return *transport_; }

  void start();
  void stop();

  // Thread-safe; `done` runs on the driver thread.
  void propose(std::string data, ProposeDone done);
  // The same, called on the driver thread (saves a hop through the queue).
  void propose_here(std::string data, ProposeDone done);
  void propose_conf_change(raft::ConfChange cc, ProposeDone done);
  void transfer_leader(raft::NodeId to, ProposeDone done);
  // Calls `done(true)` on the driver thread once a linearizable read may be served locally
  // (ReadIndex confirmed and applied up to it).
  void read_index(ReadDone done);
  // Runs `fn` on the driver thread (where the application's state may be read safely).
  void post(std::function<void()> fn);
  // Runs `fn` on the driver thread after `delay`.
  void post_after(std::chrono::milliseconds delay, std::function<void()> fn);

  // Driver thread only.
  raft::Node& node() { return *node_; }
  void set_peer(raft::NodeId id, const std::string& target) { transport_->set_peer(id, target); }
  void remove_peer(raft::NodeId id) { transport_->remove_peer(id); }

  const RaftMetrics& metrics() const { return metrics_; }
  std::chrono::milliseconds tick_interval() const { return tick_interval_; }

 private:
  void schedule_tick();
  void schedule_ready();
  void handle_ready();
  // The end of handling a Ready: metrics, read states, advance, serve reads, maybe snapshot.
  void finish_ready(const raft::Ready& rd);
  void apply_entry(const raft::Entry& e);
  void flush_proposals();
  void flush_reads();
  void on_peer_lost(raft::NodeId peer);
  void record_fsync(std::chrono::steady_clock::duration took);
  // The persist thread's side of a leader's asynchronous writes.
  struct PersistJob {
    std::unique_ptr<raft::StagedSave> staged;
    raft::Index index = 0;  // last entry written (0: only the hard state)
    raft::Term term = 0;
    bool sync = false;
  };
  // Queues the Ready's write for the persist thread; `release`: let it write now (else it waits
  // for release_persist()).
  void stage(const raft::Ready& rd, bool release);
  // Lets the persist thread write everything staged so far.
  void release_persist();
  void persist_loop();
  // On this thread: reports the finished writes to the core and the storage, in order.
  void collect_persisted();
  // Blocks until every staged write is finished, then collects them (before a synchronous save).
  void wait_for_persisted();
  // A snapshot taken at `index`: its data prepared in the store, or not (gave up, or `error`).
  struct SnapshotWork {
    raft::Index index = 0;
    std::unique_ptr<raft::PreparedSnapshot> prepared;
    std::optional<raft::StorageError> error;
    std::chrono::steady_clock::duration encode_time{};
    std::chrono::steady_clock::duration prepare_time{};
  };
  void maybe_snapshot();
  void finish_snapshot(SnapshotWork work);
  void fail_reads();
  void expire_reads();
  void serve_reads();

  RaftDriverOptions options_;
  raft::DurableStorage& storage_;
  RaftApplication& app_;
  std::unique_ptr<PeerTransport> transport_;
  std::unique_ptr<raft::Node> node_;
  std::chrono::milliseconds tick_interval_;

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::steady_timer tick_timer_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  bool ready_scheduled_ = false;
  std::mt19937_64 rng_;

  struct PendingProposal {
    std::string data;
    ProposeDone done;
  };
  std::vector<PendingProposal> proposals_;
  bool proposals_scheduled_ = false;

  // ReadIndex batches: waiting for the core's answer, then for apply to reach the index.
  std::vector<ReadDone> reads_unsent_;
  bool reads_scheduled_ = false;
  std::uint64_t next_read_batch_ = 1;
  struct ReadBatch {
    std::uint64_t sent_tick = 0;
    std::vector<ReadDone> waiters;
  };
  std::map<std::string, ReadBatch> reads_in_flight_;
  std::uint64_t ticks_ = 0;
  std::multimap<raft::Index, std::vector<ReadDone>> reads_confirmed_;

  raft::Index applied_ = 0;
  raft::Index last_snapshot_index_ = 0;
  // A snapshot being encoded on snapshot_worker_; consecutive ones that gave up (after a few,
  // the next one is taken synchronously, so that the log cannot grow without bound).
  bool snapshot_in_progress_ = false;
  int snapshot_give_ups_ = 0;
  std::atomic<bool> cancel_snapshot_{false};
  raft::NodeId last_leader_ = raft::kNone;
  RaftMetrics metrics_;

  // Staged writes: queued for the persist thread, being written, then done (collected here).
  std::mutex persist_mu_;
  std::condition_variable persist_cv_;
  std::deque<PersistJob> persist_queue_;
  std::deque<PersistJob> persist_done_;
  bool persist_busy_ = false;
  bool persist_stop_ = false;
  bool persist_released_ = false;  // the queue may be written
  // Driver thread: staged writes wait for release_persist() (a leader writes its new entries
  // when it sends them, see handle_ready).
  bool persist_held_ = false;
  // Driver thread: staged writes not yet collected.
  std::size_t staged_outstanding_ = 0;
  raft::HardState saved_hard_state_;  // the last one saved or staged
  std::thread persist_thread_;
  // Last: destroyed (joined) first, while everything its task uses still exists.
  asio::thread_pool snapshot_worker_{1};
};

}  // namespace ha::dcs
