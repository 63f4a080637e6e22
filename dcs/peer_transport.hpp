// PeerTransport: Raft traffic between hadcs members over gRPC (proto/raft.proto). One outbound
// stream per peer, fed by a queue; inbound streams are read with gRPC's callback API, which
// hands each batch to the Raft driver without another thread in between. Snapshots go in
// chunks on a separate call. Not the Raft logic: it only moves messages
// and reports what it sees (a peer's connection dropping, a snapshot sent or failed).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "proto/raft.grpc.pb.h"
#include "raft/types.hpp"

namespace ha::dcs {

struct PeerTransportCallbacks {
  // A message from a peer; called on gRPC threads.
  std::function<void(raft::Message)> on_message;
  // The connection to or from a peer broke (the peer's process may have died).
  std::function<void(raft::NodeId)> on_peer_lost;
  // Messages to this peer were dropped (it is unreachable).
  std::function<void(raft::NodeId)> on_unreachable;
  // A snapshot to this peer was delivered (true) or abandoned (false).
  std::function<void(raft::NodeId, bool)> on_snapshot_status;
};

struct PeerTransportOptions {
  std::uint64_t cluster_id = 0;
  raft::NodeId self = raft::kNone;
  std::size_t max_queued_messages = 4096;  // per peer; beyond it messages are dropped
  std::size_t snapshot_chunk_bytes = 1 << 20;
  std::uint64_t max_snapshot_bytes = 8ULL << 30;
};

class PeerSender;

class PeerTransport
    : public ha::raftpb::RaftTransport::WithCallbackMethod_Stream<ha::raftpb::RaftTransport::Service> {
 public:
  PeerTransport(PeerTransportOptions options, PeerTransportCallbacks callbacks);
  ~PeerTransport() override;
  PeerTransport(const PeerTransport&) = delete;
  PeerTransport& operator=(const PeerTransport&) = delete;

  // Adds a peer or changes its address ("host:port").
  void set_peer(raft::NodeId id, const std::string& target);
  void remove_peer(raft::NodeId id);
  // Queues messages for their peers; never blocks on the network.
  void send(std::vector<raft::Message> messages);
  // Whether the last attempt to reach this peer worked.
  bool connected(raft::NodeId id) const;
  // A peer opened a stream to us: our own stream to it may reconnect at once.
  void peer_seen(raft::NodeId id);
  void stop();

  // gRPC service side.
  grpc::ServerReadReactor<ha::raftpb::MessageBatch>* Stream(grpc::CallbackServerContext* ctx,
                                                            ha::raftpb::StreamSummary* summary) override;
  grpc::Status SendSnapshot(grpc::ServerContext* ctx, grpc::ServerReader<ha::raftpb::SnapshotChunk>* reader,
                            ha::raftpb::SnapshotReceived* received) override;

 private:
  class InboundStream;  // one peer's stream to us; defined in the .cpp

  PeerTransportOptions options_;
  PeerTransportCallbacks callbacks_;
  mutable std::mutex mu_;
  std::map<raft::NodeId, std::shared_ptr<PeerSender>> peers_;
  std::atomic<bool> stopped_{false};
};

}  // namespace ha::dcs
