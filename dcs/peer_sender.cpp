#include "dcs/peer_sender.hpp"

#include <grpcpp/grpcpp.h>

#include <chrono>

#include "dcs/client/log.hpp"
#include "dcs/raft_codec.hpp"

namespace ha::dcs {

namespace {
constexpr const char* kLog = "transport";
}

PeerSender::PeerSender(raft::NodeId peer, std::string target, const PeerTransportOptions& options,
                       const PeerTransportCallbacks& callbacks)
    : peer_(peer), options_(options), callbacks_(callbacks), target_(std::move(target)) {}

PeerSender::~PeerSender() { stop(); }

// One call of RaftTransport.Stream. It only forwards its reactions to the sender, which owns
// all the state (under its mutex) and deletes the stream once OnDone has run.
class PeerSender::Stream : public grpc::ClientWriteReactor<ha::raftpb::MessageBatch> {
 public:
  explicit Stream(PeerSender& sender) : sender_(sender) {}
  void OnWriteDone(bool ok) override { sender_.on_write_done(ok); }
  void OnDone(const grpc::Status& status) override { sender_.on_stream_done(status); }

  grpc::ClientContext ctx;
  ha::raftpb::StreamSummary summary;
  ha::raftpb::MessageBatch hello;
  ha::raftpb::MessageBatch out;  // the batch in flight (one write at a time)

 private:
  PeerSender& sender_;
};

void PeerSender::start() { thread_ = std::thread([this] { run(); }); }

void PeerSender::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    // Unblock snapshot writes stuck on a peer that stopped reading (the stream is closed by
    // the control thread).
    for (grpc::ClientContext* c : active_) c->TryCancel();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::vector<std::thread> snaps;
  {
    std::lock_guard<std::mutex> lock(mu_);
    snaps.swap(snapshot_threads_);
  }
  for (auto& t : snaps) t.join();
}

void PeerSender::set_target(const std::string& target) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (target == target_) return;
    target_ = target;
    target_changed_ = true;
    channel_.reset();
  }
  cv_.notify_all();
}

void PeerSender::nudge() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Only a sender waiting to reconnect: replacing a working stream here would make the peer
    // see a new stream from us and do the same, back and forth. (A stream that died while idle
    // is found by its next write, whose batch is then sent again.)
    if (connected_) return;
    nudged_ = true;
    channel_.reset();  // a fresh channel connects at once, without gRPC's own backoff
  }
  cv_.notify_all();
}

void PeerSender::enqueue(raft::Message m) {
  if (m.type == raft::MessageType::kSnapshot) {
    send_snapshot(std::move(m));
    return;
  }
  bool dropped = false;
  Stream* write_on = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    if (queue_.size() >= options_.max_queued_messages) {
      dropped = true;
    } else {
      queue_.push_back(std::move(m));
      write_on = take_batch_locked();
    }
  }
  if (dropped) {
    if (callbacks_.on_unreachable) callbacks_.on_unreachable(peer_);
    return;
  }
  if (write_on != nullptr) write_on->StartWrite(&write_on->out);
}

PeerSender::Stream* PeerSender::take_batch_locked() {
  if (stream_ == nullptr || !stream_open_ || writing_ || closing_ || queue_.empty()) return nullptr;
  ha::raftpb::MessageBatch& out = stream_->out;
  out.Clear();
  out.set_cluster_id(options_.cluster_id);
  out.set_from(options_.self);
  in_flight_.clear();
  while (!queue_.empty()) {
    to_proto(queue_.front(), *out.add_messages());
    in_flight_.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  writing_ = true;
  return stream_;
}

void PeerSender::on_write_done(bool ok) {
  Stream* release = nullptr;
  Stream* write_on = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    writing_ = false;
    if (!ok || closing_) {
      // No more writes on this stream: let it finish (OnDone follows).
      closing_ = true;
      release = stream_;
    } else {
      if (!stream_open_) {
        stream_open_ = true;
        if (!connected_.exchange(true)) log_info(kLog, "connected to peer {:x}", peer_);
      } else {
        stream_wrote_ = true;
      }
      in_flight_.clear();
      write_on = take_batch_locked();
    }
  }
  if (release != nullptr) {
    cv_.notify_all();
    release->RemoveHold();
  }
  if (write_on != nullptr) write_on->StartWrite(&write_on->out);
}

void PeerSender::on_stream_done(const grpc::Status& status) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stream_done_ = true;
    stream_status_ = status;
  }
  cv_.notify_all();
}

void PeerSender::register_context(grpc::ClientContext* ctx) {
  std::lock_guard<std::mutex> lock(mu_);
  active_.push_back(ctx);
  if (stopping_) ctx->TryCancel();
}

void PeerSender::unregister_context(grpc::ClientContext* ctx) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase(active_, ctx);
}

std::shared_ptr<grpc::Channel> PeerSender::channel() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!channel_) {
    grpc::ChannelArguments args;
    // Reconnect quickly after a peer restarts (gRPC's default backoff grows to minutes).
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    args.SetInt(GRPC_ARG_MAX_SEND_MESSAGE_LENGTH, -1);
    // A separate connection per peer sender, not shared with client traffic.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);  // members talk directly, never via http_proxy
    channel_ = grpc::CreateCustomChannel(target_, grpc::InsecureChannelCredentials(), args);
    target_changed_ = false;
  }
  return channel_;
}

void PeerSender::run() {
  using namespace std::chrono;
  milliseconds backoff{50};
  for (;;) {
    // Open the stream at once, not on the first message: when the leader dies, the first
    // messages between the survivors (a pre-vote) must not wait for a connection handshake.
    auto stub = ha::raftpb::RaftTransport::NewStub(channel());
    auto stream = std::make_unique<Stream>(*this);
    Stream* s = stream.get();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      stream_ = s;
      stream_open_ = stream_done_ = closing_ = stream_wrote_ = false;
      writing_ = true;  // the hello
      in_flight_.clear();
    }
    s->hello.set_cluster_id(options_.cluster_id);
    s->hello.set_from(options_.self);
    stub->async()->Stream(&s->ctx, &s->summary, s);
    // Held open until we close it, so that a write may be started on it from any thread.
    s->AddHold();
    s->StartWrite(&s->hello);
    s->StartCall();

    bool closed_by_us = false;
    bool stop_now = false;
    bool hello_failed = false;
    grpc::Status st;
    std::deque<raft::Message> batch;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stream_done_ || closing_ || stopping_ || target_changed_; });
      if (!closing_) {
        // Stopping, or the peer's address changed: close the stream ourselves.
        closed_by_us = true;
        closing_ = true;
        bool idle = !writing_;  // else the write's completion releases the hold
        lock.unlock();
        if (idle) {
          // A clean end of the stream: the peer must not take it for our death.
          s->StartWritesDone();
          s->RemoveHold();
        } else {
          s->ctx.TryCancel();  // the write may be stuck on a peer that stopped reading
        }
        lock.lock();
      }
      cv_.wait(lock, [&] { return stream_done_; });
      stream_ = nullptr;
      stop_now = stopping_;
      hello_failed = !stream_open_;
      st = stream_status_;
      batch.swap(in_flight_);
      if (stream_wrote_) {
        backoff = milliseconds{50};
        resent_ = false;
      }
    }
    stream.reset();
    if (stop_now) return;
    if (closed_by_us) {
      // The peer's address changed: reconnect at once, the batch in flight goes again.
      std::lock_guard<std::mutex> lock(mu_);
      for (auto it = batch.rbegin(); it != batch.rend(); ++it) queue_.push_front(std::move(*it));
      continue;
    }

    bool was_connected = connected_.exchange(false);
    // Resend at most once per run of failures: a peer that keeps refusing our stream (another
    // cluster, say) must not make us reconnect in a tight loop.
    bool resend = !hello_failed && !resent_;
    resent_ = resend;
    std::size_t dropped = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!resend) {
        // The peer is down: what waited for it is stale by the time it returns.
        dropped = queue_.size();
        queue_.clear();
      } else {
        // A write failed on a stream that had worked (often: the peer restarted while the
        // stream was idle). Send that batch again on the next stream, once; Raft ignores
        // duplicates, and a lost vote answer would cost a whole election timeout.
        for (auto it = batch.rbegin(); it != batch.rend(); ++it) queue_.push_front(std::move(*it));
        while (queue_.size() > options_.max_queued_messages) {
          queue_.pop_back();
          ++dropped;
        }
      }
    }
    if (was_connected || (st.error_code() == grpc::StatusCode::FAILED_PRECONDITION && backoff.count() == 50)) {
      log_warn(kLog, "lost the stream to peer {:x}: {} ({} messages dropped)", peer_,
               st.error_message().empty() ? "connection closed" : st.error_message(), dropped);
    }
    if (!resend && callbacks_.on_unreachable) callbacks_.on_unreachable(peer_);
    if (was_connected && callbacks_.on_peer_lost) callbacks_.on_peer_lost(peer_);
    if (resend) continue;  // reconnect at once and resend
    std::unique_lock<std::mutex> lock(mu_);
    nudged_ = false;
    cv_.wait_for(lock, backoff, [&] { return stopping_ || nudged_; });
    if (stopping_) return;
    backoff = nudged_ ? milliseconds{50} : std::min(backoff * 2, milliseconds{1000});
  }
}

void PeerSender::send_snapshot(raft::Message m) {
  // stop() joins these threads before the sender is destroyed, so `this` outlives them.
  PeerSender* self = this;
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return;
  snapshot_threads_.emplace_back([self, msg = std::move(m)]() mutable {
    auto stub = ha::raftpb::RaftTransport::NewStub(self->channel());
    grpc::ClientContext ctx;
    // Give up on a peer that stopped reading (at least a minute, more for a large snapshot).
    auto budget = std::chrono::seconds(60 + msg.snapshot->data.size() / (10 << 20));
    ctx.set_deadline(std::chrono::system_clock::now() + budget);
    self->register_context(&ctx);
    ha::raftpb::SnapshotReceived received;
    auto writer = stub->SendSnapshot(&ctx, &received);
    const std::string& data = msg.snapshot->data;
    std::size_t chunk = self->options_.snapshot_chunk_bytes;
    bool ok = true;
    std::size_t offset = 0;
    do {
      ha::raftpb::SnapshotChunk c;
      c.set_cluster_id(self->options_.cluster_id);
      if (offset == 0) {
        to_proto(msg, *c.mutable_header());
        c.set_total_size(data.size());
      }
      std::size_t n = std::min(chunk, data.size() - offset);
      c.set_offset(offset);
      c.set_data(data.substr(offset, n));
      offset += n;
      c.set_last(offset >= data.size());
      ok = writer->Write(c);
    } while (ok && offset < data.size());
    writer->WritesDone();
    grpc::Status st = writer->Finish();
    self->unregister_context(&ctx);
    bool delivered = ok && st.ok();
    if (!delivered) {
      log_warn(kLog, "sending snapshot at index {} to peer {:x} failed: {}", msg.snapshot->metadata.index,
               self->peer_, st.error_message());
    } else {
      log_info(kLog, "sent snapshot at index {} ({} bytes) to peer {:x}", msg.snapshot->metadata.index,
               data.size(), self->peer_);
    }
    if (self->callbacks_.on_snapshot_status) self->callbacks_.on_snapshot_status(self->peer_, delivered);
  });
}

}  // namespace ha::dcs
