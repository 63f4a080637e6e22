// PeerSender: the outbound half of the transport for one peer: a bounded queue drained by one
// thread into a gRPC client stream, reconnecting with backoff; snapshots sent in chunks on
// their own threads. Internal to PeerTransport.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dcs/peer_transport.hpp"

namespace ha::dcs {

class PeerSender {
 public:
  PeerSender(raft::NodeId peer, std::string target, const PeerTransportOptions& options,
             const PeerTransportCallbacks& callbacks);
  ~PeerSender();

  void start();
  void enqueue(raft::Message m);
  void set_target(const std::string& target);
  void stop();
  bool connected() const { return connected_; }
  // The peer just connected to us, so it is up: if we are waiting to reconnect, do it now.
  void nudge();

 private:
  void run();
  void send_snapshot(raft::Message m);
  std::shared_ptr<grpc::Channel> channel();
  void register_context(grpc::ClientContext* ctx);
  void unregister_context(grpc::ClientContext* ctx);

  raft::NodeId peer_;
  PeerTransportOptions options_;
  const PeerTransportCallbacks& callbacks_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<raft::Message> queue_;
  std::string target_;
  bool target_changed_ = false;
  bool nudged_ = false;  // the peer is back: stop waiting to reconnect
  bool resent_ = false;  // sender thread only: a failed batch was already sent again
  bool stopping_ = false;
  std::shared_ptr<grpc::Channel> channel_;
  std::atomic<bool> connected_{false};
  std::atomic<int> snapshots_in_flight_{0};
  std::thread thread_;
  std::vector<std::thread> snapshot_threads_;
  std::vector<grpc::ClientContext*> active_;  // calls in progress, cancelled by stop()
};

}  // namespace ha::dcs
