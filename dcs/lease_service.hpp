// LeaseService: etcd's Lease gRPC service. Grant and revoke go through Raft; keep-alive and
// time-to-live are answered by the leader (which alone keeps the lease clock), forwarded there
// by LeaderRouter when this member follows.
#pragma once

#include "dcs/leader_router.hpp"
#include "proto/etcd/rpc.grpc.pb.h"

namespace ha::dcs {

class LeaseService final : public etcdserverpb::Lease::CallbackService {
 public:
  LeaseService(DcsCore& core, LeaderRouter& router) : core_(core), router_(router) {}

  grpc::ServerUnaryReactor* LeaseGrant(grpc::CallbackServerContext* ctx, const etcdserverpb::LeaseGrantRequest* req,
                                       etcdserverpb::LeaseGrantResponse* resp) override;
  grpc::ServerUnaryReactor* LeaseRevoke(grpc::CallbackServerContext* ctx, const etcdserverpb::LeaseRevokeRequest* req,
                                        etcdserverpb::LeaseRevokeResponse* resp) override;
  grpc::ServerBidiReactor<etcdserverpb::LeaseKeepAliveRequest, etcdserverpb::LeaseKeepAliveResponse>* LeaseKeepAlive(
      grpc::CallbackServerContext* ctx) override;
  grpc::ServerUnaryReactor* LeaseTimeToLive(grpc::CallbackServerContext* ctx,
                                            const etcdserverpb::LeaseTimeToLiveRequest* req,
                                            etcdserverpb::LeaseTimeToLiveResponse* resp) override;
  grpc::ServerUnaryReactor* LeaseLeases(grpc::CallbackServerContext* ctx, const etcdserverpb::LeaseLeasesRequest* req,
                                        etcdserverpb::LeaseLeasesResponse* resp) override;

 private:
  DcsCore& core_;
  LeaderRouter& router_;
};

}  // namespace ha::dcs
