#include "dcs/peer_transport.hpp"

#include <grpcpp/grpcpp.h>

#include "dcs/client/log.hpp"
#include "dcs/peer_sender.hpp"
#include "dcs/raft_codec.hpp"

namespace ha::dcs {

namespace {
constexpr const char* kLog = "transport";

// Only peer-to-peer message types may arrive from the network.
bool valid_peer_message(const ha::raftpb::Message& m) {
  switch (m.type()) {
    case ha::raftpb::MSG_PROPOSE:
    case ha::raftpb::MSG_APPEND:
    case ha::raftpb::MSG_APPEND_RESPONSE:
    case ha::raftpb::MSG_VOTE:
    case ha::raftpb::MSG_VOTE_RESPONSE:
    case ha::raftpb::MSG_PRE_VOTE:
    case ha::raftpb::MSG_PRE_VOTE_RESPONSE:
    case ha::raftpb::MSG_HEARTBEAT:
    case ha::raftpb::MSG_HEARTBEAT_RESPONSE:
    case ha::raftpb::MSG_TRANSFER_LEADER:
    case ha::raftpb::MSG_TIMEOUT_NOW:
    case ha::raftpb::MSG_READ_INDEX:
    case ha::raftpb::MSG_READ_INDEX_RESPONSE:
      break;
    default:
      return false;
  }
  if (m.from() == raft::kNone) return false;
  for (const auto& e : m.entries()) {
    if (e.type() != ha::raftpb::ENTRY_NORMAL && e.type() != ha::raftpb::ENTRY_CONF_CHANGE) return false;
  }
  return true;
}

grpc::Status cluster_mismatch(std::uint64_t mine, std::uint64_t theirs) {
  return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                      fmt::format("cluster ID mismatch: this member belongs to cluster {:x} but the sender to "
                                  "cluster {:x}; check --initial-cluster and --initial-cluster-token on both",
                                  mine, theirs));
}
}  // namespace

PeerTransport::PeerTransport(PeerTransportOptions options, PeerTransportCallbacks callbacks)
    : options_(options), callbacks_(std::move(callbacks)) {}

PeerTransport::~PeerTransport() { stop(); }

void PeerTransport::set_peer(raft::NodeId id, const std::string& target) {
  if (id == options_.self) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_) return;
  auto it = peers_.find(id);
  if (it != peers_.end()) {
    it->second->set_target(target);
    return;
  }
  auto sender = std::make_shared<PeerSender>(id, target, options_, callbacks_);
  sender->start();
  peers_.emplace(id, std::move(sender));
}

void PeerTransport::remove_peer(raft::NodeId id) {
  std::shared_ptr<PeerSender> sender;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = peers_.find(id);
    if (it == peers_.end()) return;
    sender = std::move(it->second);
    peers_.erase(it);
  }
  sender->stop();
}

void PeerTransport::send(std::vector<raft::Message> messages) {
  std::lock_guard<std::mutex> lock(mu_);
  for (raft::Message& m : messages) {
    auto it = peers_.find(m.to);
    if (it == peers_.end()) continue;  // unknown peer (removed): Raft tolerates the loss
    it->second->enqueue(std::move(m));
  }
}

bool PeerTransport::connected(raft::NodeId id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = peers_.find(id);
  return it != peers_.end() && it->second->connected();
}

void PeerTransport::peer_seen(raft::NodeId id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = peers_.find(id);
  if (it != peers_.end()) it->second->nudge();
}

void PeerTransport::stop() {
  std::map<raft::NodeId, std::shared_ptr<PeerSender>> peers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_.exchange(true)) return;
    peers.swap(peers_);
  }
  for (auto& [id, sender] : peers) sender->stop();
}

// Reads one peer's stream: each batch is checked and its messages handed to on_message (which
// posts them to the Raft driver) on the gRPC thread that read it. Deletes itself when done.
class PeerTransport::InboundStream : public grpc::ServerReadReactor<ha::raftpb::MessageBatch> {
 public:
  InboundStream(PeerTransport& transport, grpc::CallbackServerContext* ctx, ha::raftpb::StreamSummary* summary)
      : t_(transport), ctx_(ctx), summary_(summary) {
    StartRead(&batch_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      summary_->set_received_messages(received_);
      // A broken connection cancels the call; a sender that closed its stream on purpose (to
      // reconnect elsewhere, or stopping cleanly) does not mean the peer died.
      if (ctx_->IsCancelled()) report_lost();
      Finish(grpc::Status::OK);
      return;
    }
    if (batch_.cluster_id() != t_.options_.cluster_id) {
      log_warn(kLog, "refused a Raft stream from a member of another cluster ({:x}, ours is {:x})",
               batch_.cluster_id(), t_.options_.cluster_id);
      Finish(cluster_mismatch(t_.options_.cluster_id, batch_.cluster_id()));
      return;
    }
    if (first_ && batch_.from() != raft::kNone) {
      first_ = false;
      t_.peer_seen(batch_.from());
    }
    for (const auto& pm : batch_.messages()) {
      if (!valid_peer_message(pm) || pm.to() != t_.options_.self) {
        log_warn(kLog, "dropped a malformed or misaddressed Raft message (type {}, from {:x}, to {:x})",
                 static_cast<int>(pm.type()), pm.from(), pm.to());
        continue;
      }
      from_ = pm.from();
      ++received_;
      if (t_.callbacks_.on_message) t_.callbacks_.on_message(from_proto(pm));
    }
    StartRead(&batch_);
  }

  // The connection broke while no read was pending (or before OnReadDone saw it).
  void OnCancel() override { report_lost(); }
  void OnDone() override { delete this; }

 private:
  void report_lost() {
    if (reported_.exchange(true)) return;
    raft::NodeId from = from_;
    if (from != raft::kNone && !t_.stopped_ && t_.callbacks_.on_peer_lost) t_.callbacks_.on_peer_lost(from);
  }

  PeerTransport& t_;
  grpc::CallbackServerContext* ctx_;
  ha::raftpb::StreamSummary* summary_;
  ha::raftpb::MessageBatch batch_;
  std::atomic<raft::NodeId> from_{raft::kNone};
  std::uint64_t received_ = 0;
  bool first_ = true;
  std::atomic<bool> reported_{false};
};

grpc::ServerReadReactor<ha::raftpb::MessageBatch>* PeerTransport::Stream(grpc::CallbackServerContext* ctx,
                                                                          ha::raftpb::StreamSummary* summary) {
  return new InboundStream(*this, ctx, summary);
}

grpc::Status PeerTransport::SendSnapshot(grpc::ServerContext* /*ctx*/,
                                         grpc::ServerReader<ha::raftpb::SnapshotChunk>* reader,
                                         ha::raftpb::SnapshotReceived* received) {
  ha::raftpb::SnapshotChunk chunk;
  raft::Message header;
  auto snap = std::make_shared<raft::Snapshot>();
  std::uint64_t total = 0;
  bool have_header = false;
  bool complete = false;
  while (reader->Read(&chunk)) {
    if (chunk.cluster_id() != options_.cluster_id) return cluster_mismatch(options_.cluster_id, chunk.cluster_id());
    if (!have_header) {
      if (!chunk.has_header() || chunk.header().type() != ha::raftpb::MSG_SNAPSHOT ||
          !chunk.header().snapshot().has_metadata() || chunk.header().to() != options_.self) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "the first snapshot chunk must carry the header");
      }
      total = chunk.total_size();
      if (total > options_.max_snapshot_bytes) {
        return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                            fmt::format("snapshot of {} bytes exceeds the limit of {} bytes", total,
                                        options_.max_snapshot_bytes));
      }
      header = from_proto(chunk.header());
      snap->metadata = from_proto(chunk.header().snapshot().metadata());
      snap->data.reserve(total);
      have_header = true;
    }
    if (chunk.offset() != snap->data.size() || snap->data.size() + chunk.data().size() > total) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "snapshot chunks out of order or too long");
    }
    snap->data.append(chunk.data());
    if (chunk.last()) {
      complete = snap->data.size() == total;
      break;
    }
  }
  if (!complete) return grpc::Status(grpc::StatusCode::ABORTED, "snapshot stream ended early");
  received->set_received_bytes(snap->data.size());
  log_info(kLog, "received snapshot at index {} ({} bytes) from {:x}", snap->metadata.index, total, header.from);
  header.snapshot = std::move(snap);
  if (callbacks_.on_message) callbacks_.on_message(std::move(header));
  return grpc::Status::OK;
}

}  // namespace ha::dcs
