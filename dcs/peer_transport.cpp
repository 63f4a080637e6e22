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

grpc::Status PeerTransport::Stream(grpc::ServerContext* ctx, grpc::ServerReader<ha::raftpb::MessageBatch>* reader,
                                   ha::raftpb::StreamSummary* summary) {
  ha::raftpb::MessageBatch batch;
  raft::NodeId from = raft::kNone;
  std::uint64_t received = 0;
  bool first = true;
  while (reader->Read(&batch)) {
    if (batch.cluster_id() != options_.cluster_id) {
      log_warn(kLog, "refused a Raft stream from a member of another cluster ({:x}, ours is {:x})",
               batch.cluster_id(), options_.cluster_id);
      return cluster_mismatch(options_.cluster_id, batch.cluster_id());
    }
    if (first && batch.from() != raft::kNone) {
      first = false;
      peer_seen(batch.from());
    }
    for (const auto& pm : batch.messages()) {
      if (!valid_peer_message(pm) || pm.to() != options_.self) {
        log_warn(kLog, "dropped a malformed or misaddressed Raft message (type {}, from {:x}, to {:x})",
                 static_cast<int>(pm.type()), pm.from(), pm.to());
        continue;
      }
      from = pm.from();
      ++received;
      if (callbacks_.on_message) callbacks_.on_message(from_proto(pm));
    }
  }
  summary->set_received_messages(received);
  // A broken connection cancels the call; a sender that closed its stream on purpose (to
  // reconnect elsewhere, or stopping cleanly) does not mean the peer died.
  if (ctx->IsCancelled() && from != raft::kNone && !stopped_ && callbacks_.on_peer_lost) {
    callbacks_.on_peer_lost(from);
  }
  return grpc::Status::OK;
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
