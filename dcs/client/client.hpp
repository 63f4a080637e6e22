// Client: the etcd v3 API of hadcs (KV, Lease, Cluster, Maintenance) over a list of endpoints,
// with a deadline on every call, retries that move to another endpoint when that is safe, and
// leader discovery. What haagent and hactl use. Every method is thread-safe. Lease keep-alive
// and watches are separate helpers built on a Client (lease_keeper.hpp, watcher.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dcs/client/endpoint.hpp"
#include "dcs/client/kv_options.hpp"
#include "dcs/client/options.hpp"
#include "dcs/client/rpc_error.hpp"
#include "dcs/client/txn.hpp"
#include "proto/etcd/rpc.pb.h"

namespace ha::dcs {

namespace client_detail {
class EndpointSet;
}

struct EndpointStatus {
  Endpoint endpoint;
  RpcResult<etcdserverpb::StatusResponse> status;
};

struct LeaderInfo {
  std::uint64_t member_id = 0;
  std::uint64_t raft_term = 0;
  Endpoint endpoint;               // the leader's client endpoint
  bool in_endpoint_list = false;   // whether that endpoint is one of the client's
};

class Client {
 public:
  // Needs at least one endpoint. Connects lazily: the constructor does no I/O.
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const ClientOptions& options() const;
  // The channels, shared with the LeaseKeepers and Watchers made from this client.
  std::shared_ptr<client_detail::EndpointSet> endpoint_set() const { return set_; }

  // --- KV. Reads are retried on another endpoint; writes only as CallOptions says.
  RpcResult<etcdserverpb::RangeResponse> get(std::string_view key, const GetOptions& options = {},
                                             const CallOptions& call = {});
  RpcResult<etcdserverpb::RangeResponse> range(const etcdserverpb::RangeRequest& request,
                                               const CallOptions& call = {});
  RpcResult<etcdserverpb::PutResponse> put(std::string_view key, std::string_view value,
                                           const PutOptions& options = {}, const CallOptions& call = {});
  RpcResult<etcdserverpb::PutResponse> put(const etcdserverpb::PutRequest& request, const CallOptions& call = {});
  RpcResult<etcdserverpb::DeleteRangeResponse> del(std::string_view key, const DeleteOptions& options = {},
                                                   const CallOptions& call = {});
  RpcResult<etcdserverpb::DeleteRangeResponse> delete_range(const etcdserverpb::DeleteRangeRequest& request,
                                                            const CallOptions& call = {});
  // A read-only transaction is retried like a read.
  RpcResult<etcdserverpb::TxnResponse> txn(const Txn& txn, const CallOptions& call = {});
  RpcResult<etcdserverpb::TxnResponse> txn(const etcdserverpb::TxnRequest& request, const CallOptions& call = {});
  RpcResult<etcdserverpb::CompactionResponse> compact(std::int64_t revision, bool physical = false,
                                                      const CallOptions& call = {});

  // --- Lease. TTLs in seconds.
  RpcResult<etcdserverpb::LeaseGrantResponse> lease_grant(std::int64_t ttl_seconds, std::int64_t id = 0,
                                                          const CallOptions& call = {});
  RpcResult<etcdserverpb::LeaseRevokeResponse> lease_revoke(std::int64_t id, const CallOptions& call = {});
  RpcResult<etcdserverpb::LeaseTimeToLiveResponse> lease_time_to_live(std::int64_t id, bool keys = false,
                                                                      const CallOptions& call = {});
  RpcResult<etcdserverpb::LeaseLeasesResponse> lease_leases(const CallOptions& call = {});

  // --- Cluster.
  RpcResult<etcdserverpb::MemberListResponse> member_list(const CallOptions& call = {});
  RpcResult<etcdserverpb::MemberAddResponse> member_add(const std::vector<std::string>& peer_urls,
                                                        bool learner = false, const CallOptions& call = {});
  RpcResult<etcdserverpb::MemberRemoveResponse> member_remove(std::uint64_t member_id, const CallOptions& call = {});
  RpcResult<etcdserverpb::MemberPromoteResponse> member_promote(std::uint64_t member_id,
                                                                const CallOptions& call = {});

  // --- Maintenance.
  // One endpoint of the client's list (by index), no retry elsewhere.
  RpcResult<etcdserverpb::StatusResponse> status(std::size_t endpoint_index, const CallOptions& call = {});
  // The same for an endpoint given by address; it must be one of the client's.
  RpcResult<etcdserverpb::StatusResponse> status(const Endpoint& endpoint, const CallOptions& call = {});
  // Every endpoint at once, in the client's order; each within the call's deadline.
  std::vector<EndpointStatus> status_all(const CallOptions& call = {});
  // Asks every endpoint for its status and names the leader they report. Remembers it for
  // ClientOptions::writes_to_leader_first.
  RpcResult<LeaderInfo> leader(const CallOptions& call = {});
  RpcResult<Endpoint> leader_endpoint(const CallOptions& call = {});
  // Hands leadership to `target_member_id`; sent to the current leader.
  RpcResult<etcdserverpb::MoveLeaderResponse> move_leader(std::uint64_t target_member_id,
                                                          const CallOptions& call = {});

 private:
  void find_leader_for_write(const CallOptions& call);

  std::shared_ptr<client_detail::EndpointSet> set_;
};

}  // namespace ha::dcs
