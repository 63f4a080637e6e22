// PeerSender: the outbound half of the transport for one peer: a bounded queue written into a
// gRPC client stream (callback API: the caller starts a write when none is in flight, and
// each finished write starts the next, so no thread of ours wakes per message); a control
// thread opens the stream, reconnects with backoff and reports a lost peer; snapshots are
// sent in chunks on their own threads. Internal to PeerTransport.
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
  class Stream;  // one gRPC call; defined in the .cpp

  void run();
  void send_snapshot(raft::Message m);
  std::shared_ptr<grpc::Channel> channel();
  void register_context(grpc::ClientContext* ctx);
  void unregister_context(grpc::ClientContext* ctx);
  // With mu_ held: moves queued messages into the stream's next batch if it may write now;
  // returns the stream to call StartWrite on (after unlocking), or nullptr.
  Stream* take_batch_locked();
  // Stream callbacks (gRPC threads, or the thread that started the write).
  void on_write_done(bool ok);
  void on_stream_done(const grpc::Status& status);

  raft::NodeId peer_;
  PeerTransportOptions options_;
  const PeerTransportCallbacks& callbacks_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<raft::Message> queue_;
  std::string target_;
  bool target_changed_ = false;
  bool nudged_ = false;  // the peer is back: stop waiting to reconnect
  bool resent_ = false;  // control thread only: a failed batch was already sent again
  bool stopping_ = false;
  std::shared_ptr<grpc::Channel> channel_;
  std::atomic<bool> connected_{false};
  std::thread thread_;
  std::vector<std::thread> snapshot_threads_;
  std::vector<grpc::ClientContext*> active_;  // snapshot calls in progress, cancelled by stop()

  // The current stream (all under mu_). It stays alive (a gRPC hold) until `closing`, so a
  // write may be started on it from any thread while it is open.
  Stream* stream_ = nullptr;
  bool stream_open_ = false;     // the hello was written: batches may follow
  bool writing_ = false;         // a write is in flight
  bool closing_ = false;         // no more writes: the hold is (being) released
  bool stream_done_ = false;     // OnDone ran: the stream may be deleted
  bool stream_wrote_ = false;    // a batch was written on it (the peer took our stream)
  grpc::Status stream_status_;
  std::deque<raft::Message> in_flight_;  // the batch being written, resent once if it fails
};

}  // namespace ha::dcs
