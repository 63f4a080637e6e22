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

void PeerSender::start() { thread_ = std::thread([this] { run(); }); }

void PeerSender::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    // Unblock a write stuck on a peer that stopped reading.
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
  bool dropped = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    if (queue_.size() >= options_.max_queued_messages) {
      dropped = true;
    } else {
      queue_.push_back(std::move(m));
    }
  }
  if (dropped) {
    if (callbacks_.on_unreachable) callbacks_.on_unreachable(peer_);
    return;
  }
  cv_.notify_one();
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
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    // Open the stream at once, not on the first message: when the leader dies, the first
    // messages between the survivors (a pre-vote) must not wait for a connection handshake.
    auto stub = ha::raftpb::RaftTransport::NewStub(channel());
    grpc::ClientContext ctx;
    register_context(&ctx);
    ha::raftpb::StreamSummary summary;
    auto writer = stub->Stream(&ctx, &summary);
    ha::raftpb::MessageBatch hello;
    hello.set_cluster_id(options_.cluster_id);
    hello.set_from(options_.self);
    bool ok = writer->Write(hello);
    bool hello_failed = !ok;
    if (ok && !connected_.exchange(true)) log_info(kLog, "connected to peer {:x}", peer_);
    bool stop_now = false;
    std::deque<raft::Message> batch;
    while (ok) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || target_changed_ || !queue_.empty(); });
        if (stopping_ || target_changed_) {
          stop_now = stopping_;
          break;
        }
        batch.clear();
        batch.swap(queue_);
      }
      ha::raftpb::MessageBatch out;
      out.set_cluster_id(options_.cluster_id);
      out.set_from(options_.self);
      for (auto it = batch.begin(); it != batch.end();) {
        if (it->type == raft::MessageType::kSnapshot) {
          send_snapshot(std::move(*it));
          it = batch.erase(it);
          continue;
        }
        to_proto(*it, *out.add_messages());
        ++it;
      }
      if (out.messages_size() == 0) continue;
      ok = writer->Write(out);
      if (ok) {
        backoff = milliseconds{50};
        resent_ = false;
        if (!connected_.exchange(true)) log_info(kLog, "connected to peer {:x}", peer_);
      }
    }
    writer->WritesDone();
    grpc::Status st = writer->Finish();
    unregister_context(&ctx);
    if (stop_now) return;
    if (ok) continue;  // the peer's address changed: reconnect at once

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
