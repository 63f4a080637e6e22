// Server: one hadcs member assembled from its parts: the RocksDB log store, the Raft driver and
// peer transport, the request pipeline (DcsCore), the etcd v3 gRPC services on the client URLs,
// the Raft and forwarding services on the peer URLs, and /health + /metrics over HTTP.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "dcs/server_options.hpp"

namespace grpc {
class Server;
}
namespace ha::raft {
class RocksDbStorage;
}

namespace ha::dcs {

class DcsCore;
class RaftDriver;
class LeaderOps;
class LeaderRouter;
class KvService;
class WatchService;
class LeaseService;
class ClusterService;
class MaintenanceService;
class HttpEndpoint;
struct HealthReport;

// A failure to start with a message for the operator (what is wrong, what to do).
class StartupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Opens the data directory, joins or bootstraps the cluster and starts serving.
  // Throws StartupError (or raft::StorageError for a damaged data directory).
  void start();
  // Blocks until stop() was called (from a signal handler thread, say) and has finished.
  void wait();
  // Stops serving; a second caller waits until the first one has finished stopping.
  void stop();

  std::uint64_t member_id() const { return member_id_; }
  std::uint64_t cluster_id() const { return cluster_id_; }

 private:
  void resolve_identity();
  void bootstrap_log_if_new();
  void start_grpc();
  void publish_attributes();
  HealthReport health();
  std::string metrics_text();

  ServerOptions options_;
  std::uint64_t member_id_ = 0;
  std::uint64_t cluster_id_ = 0;
  // A joining member's peers (ID, peer URL) from the running cluster's member list: it must be
  // able to answer the leader before its own log holds the member table.
  std::vector<std::pair<std::uint64_t, std::string>> join_peers_;
  std::unique_ptr<raft::RocksDbStorage> storage_;
  std::unique_ptr<DcsCore> core_;
  std::unique_ptr<RaftDriver> driver_;
  std::unique_ptr<LeaderOps> ops_;
  std::unique_ptr<LeaderRouter> router_;
  std::unique_ptr<KvService> kv_;
  std::unique_ptr<WatchService> watch_;
  std::unique_ptr<LeaseService> lease_;
  std::unique_ptr<ClusterService> cluster_;
  std::unique_ptr<MaintenanceService> maintenance_;
  std::unique_ptr<grpc::Server> client_server_;
  std::unique_ptr<grpc::Server> peer_server_;
  std::unique_ptr<HttpEndpoint> http_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // stop() has begun
  bool stopped_ = false;   // stop() has finished
};

}  // namespace ha::dcs
