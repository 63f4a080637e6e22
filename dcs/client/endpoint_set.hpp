// EndpointSet: one gRPC channel (with short reconnect backoff) and the etcd v3 stubs per
// endpoint, plus the client's memory of which endpoint answered last and which one leads.
// A background thread watches every channel's state, which keeps connection attempts moving
// (gRPC's synchronous API polls sockets only while a call waits) and reconnects idle channels.
// Shared by a Client and the LeaseKeepers and Watchers made from it. Thread-safe.
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/completion_queue.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dcs/client/endpoint.hpp"
#include "dcs/client/options.hpp"
#include "proto/etcd/rpc.grpc.pb.h"

namespace ha::dcs::client_detail {

struct EndpointConn {
  Endpoint endpoint;
  std::string name;  // host:port
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<etcdserverpb::KV::Stub> kv;
  std::unique_ptr<etcdserverpb::Lease::Stub> lease;
  std::unique_ptr<etcdserverpb::Watch::Stub> watch;
  std::unique_ptr<etcdserverpb::Cluster::Stub> cluster;
  std::unique_ptr<etcdserverpb::Maintenance::Stub> maintenance;
};

// The endpoints in the order a call tries them: start, start+1, ..., wrapping around.
std::vector<std::size_t> rotation_order(std::size_t count, std::size_t start);

class EndpointSet {
 public:
  explicit EndpointSet(const ClientOptions& options);
  ~EndpointSet();
  EndpointSet(const EndpointSet&) = delete;
  EndpointSet& operator=(const EndpointSet&) = delete;

  const ClientOptions& options() const { return options_; }
  std::size_t size() const { return conns_.size(); }
  EndpointConn& at(std::size_t i) { return *conns_.at(i); }
  const EndpointConn& at(std::size_t i) const { return *conns_.at(i); }
  std::optional<std::size_t> index_of(const Endpoint& endpoint) const;

  // Where the next call starts: the leader for writes when asked and known, else the endpoint
  // that answered last.
  std::vector<std::size_t> attempt_order(bool write) const;
  // The endpoint answered (it becomes the first choice) or failed (the next one does).
  void mark_good(std::size_t i);
  void mark_bad(std::size_t i);

  std::optional<std::size_t> leader() const;
  void set_leader(std::optional<std::size_t> index);

 private:
  void watch_channels();

  ClientOptions options_;
  std::vector<std::unique_ptr<EndpointConn>> conns_;
  std::atomic<std::size_t> preferred_{0};
  mutable std::mutex mu_;
  std::optional<std::size_t> leader_;
  grpc::CompletionQueue watch_cq_;
  std::vector<char> watch_tags_;  // one per channel: its address is the tag
  std::atomic<bool> stopping_{false};
  std::thread watcher_;
};

}  // namespace ha::dcs::client_detail
