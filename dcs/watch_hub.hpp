// Watchers of a member: each watch stream holds watchers on a key or range; after every applied
// revision the hub queues that revision's matching events for each of them, so every watcher
// gets every event once, in revision order. A watcher that starts in the past first replays the
// store's history; one that starts before the compaction point is cancelled with the compaction
// error. No threads and no I/O: the gRPC layer feeds requests in, drains the per-stream queues
// with take(), and serialises all calls (the hub reads the KvStore it was given).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <vector>

#include "dcs/key_range.hpp"
#include "dcs/kv_store.hpp"
#include "proto/etcd/kv.pb.h"
#include "proto/etcd/rpc.pb.h"

namespace ha::dcs {

class WatchHub {
 public:
  using StreamId = std::uint64_t;
  // Told that a stream's queue has new responses; called from inside the hub's methods.
  using ReadyCallback = std::function<void(StreamId)>;

  // The watch id etcd uses for stream-wide progress responses.
  static constexpr std::int64_t kStreamProgressId = -1;

  explicit WatchHub(const KvStore& kv) : kv_(kv) {}

  void set_ready_callback(ReadyCallback cb) { ready_ = std::move(cb); }

  StreamId open_stream();
  void close_stream(StreamId stream);

  // One request from a client's watch stream (create, cancel or progress).
  void handle(StreamId stream, const etcdserverpb::WatchRequest& req);
  void create(StreamId stream, const etcdserverpb::WatchCreateRequest& req);
  void cancel(StreamId stream, std::int64_t watch_id);
  // Queues one response with watch_id -1 and the current revision: every event up to it has
  // already been queued on this stream.
  void request_progress(StreamId stream);

  // After the store applied one write request: `events` are all of `revision` (the store's
  // revision now). Watchers that fell behind catch up from history.
  void on_apply(std::int64_t revision, const std::vector<mvccpb::Event>& events);
  // After the store was replaced by a snapshot: every watcher catches up from history, or is
  // cancelled if what it still needs was compacted away.
  void on_restore();
  // Periodic progress: each watcher created with progress_notify that was sent nothing since
  // the last tick gets an empty response at the current revision.
  void progress_tick();

  // Drains the stream's queued responses, oldest first.
  std::vector<etcdserverpb::WatchResponse> take(StreamId stream);
  std::size_t pending(StreamId stream) const;
  std::size_t watcher_count() const;
  std::size_t stream_count() const { return streams_.size(); }

 private:
  struct Watcher {
    std::int64_t id = 0;
    KeyRange range;
    std::int64_t next_rev = 0;  // the next revision this watcher has not been sent
    bool prev_kv = false;
    bool no_put = false;
    bool no_delete = false;
    bool progress_notify = false;
    bool sent_since_tick = false;
  };
  struct Stream {
    std::int64_t next_auto_id = 0;
    std::map<std::int64_t, Watcher> watchers;
    std::deque<etcdserverpb::WatchResponse> out;
  };

  etcdserverpb::WatchResponse response(std::int64_t watch_id, std::int64_t revision) const;
  bool wanted(const Watcher& w, const mvccpb::Event& ev) const;
  // Queues `events` (all of one revision) for `w` after filtering; true if anything was queued.
  bool deliver(Stream& s, Watcher& w, std::int64_t revision,
               const std::vector<mvccpb::Event>& events);
  // Replays history from w.next_rev; false when that was compacted (w is to be cancelled).
  bool catch_up(Stream& s, Watcher& w);
  void cancel_compacted(Stream& s, std::int64_t watch_id);
  void notify(StreamId id, const Stream& s, std::size_t before);

  const KvStore& kv_;
  ReadyCallback ready_;
  StreamId next_stream_ = 1;
  std::map<StreamId, Stream> streams_;
};

}  // namespace ha::dcs
