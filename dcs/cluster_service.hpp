// ClusterService and MaintenanceService: etcd's Cluster (member list/add/remove/promote/update)
// and Maintenance (status, move-leader, hash, alarms, defragment) gRPC services.
#pragma once

#include <functional>

#include "dcs/leader_router.hpp"
#include "proto/etcd/rpc.grpc.pb.h"

namespace ha::dcs {

class ClusterService final : public etcdserverpb::Cluster::CallbackService {
 public:
  ClusterService(DcsCore& core, LeaderRouter& router) : core_(core), router_(router) {}

  grpc::ServerUnaryReactor* MemberAdd(grpc::CallbackServerContext* ctx, const etcdserverpb::MemberAddRequest* req,
                                      etcdserverpb::MemberAddResponse* resp) override;
  grpc::ServerUnaryReactor* MemberRemove(grpc::CallbackServerContext* ctx,
                                         const etcdserverpb::MemberRemoveRequest* req,
                                         etcdserverpb::MemberRemoveResponse* resp) override;
  grpc::ServerUnaryReactor* MemberUpdate(grpc::CallbackServerContext* ctx,
                                         const etcdserverpb::MemberUpdateRequest* req,
                                         etcdserverpb::MemberUpdateResponse* resp) override;
  grpc::ServerUnaryReactor* MemberList(grpc::CallbackServerContext* ctx, const etcdserverpb::MemberListRequest* req,
                                       etcdserverpb::MemberListResponse* resp) override;
  grpc::ServerUnaryReactor* MemberPromote(grpc::CallbackServerContext* ctx,
                                          const etcdserverpb::MemberPromoteRequest* req,
                                          etcdserverpb::MemberPromoteResponse* resp) override;

 private:
  DcsCore& core_;
  LeaderRouter& router_;
};

// What Status reports beyond the state machine (supplied by the server).
struct MemberStatusSource {
  std::function<std::int64_t()> db_size;  // bytes on disk
  std::string version;
};

class MaintenanceService final : public etcdserverpb::Maintenance::CallbackService {
 public:
  MaintenanceService(DcsCore& core, LeaderRouter& router, MemberStatusSource source)
      : core_(core), router_(router), source_(std::move(source)) {}

  grpc::ServerUnaryReactor* Status(grpc::CallbackServerContext* ctx, const etcdserverpb::StatusRequest* req,
                                   etcdserverpb::StatusResponse* resp) override;
  grpc::ServerUnaryReactor* MoveLeader(grpc::CallbackServerContext* ctx, const etcdserverpb::MoveLeaderRequest* req,
                                       etcdserverpb::MoveLeaderResponse* resp) override;
  grpc::ServerUnaryReactor* Alarm(grpc::CallbackServerContext* ctx, const etcdserverpb::AlarmRequest* req,
                                  etcdserverpb::AlarmResponse* resp) override;
  grpc::ServerUnaryReactor* HashKV(grpc::CallbackServerContext* ctx, const etcdserverpb::HashKVRequest* req,
                                   etcdserverpb::HashKVResponse* resp) override;
  grpc::ServerUnaryReactor* Defragment(grpc::CallbackServerContext* ctx, const etcdserverpb::DefragmentRequest* req,
                                       etcdserverpb::DefragmentResponse* resp) override;

 private:
  DcsCore& core_;
  LeaderRouter& router_;
  MemberStatusSource source_;
};

}  // namespace ha::dcs
