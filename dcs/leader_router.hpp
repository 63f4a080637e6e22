// LeaderRouter: sends each leader-only request (see leader_ops.hpp) to where it can be served:
// this member's LeaderOps when it leads, else the leader's PeerForward service at the leader's
// peer URL. Replies may come on any thread. Also serves PeerForward for the other members.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "dcs/leader_ops.hpp"
#include "proto/dcs_peer.grpc.pb.h"

namespace ha::dcs {

class LeaderRouter final : public dcspb::PeerForward::CallbackService {
 public:
  LeaderRouter(DcsCore& core, LeaderOps& ops) : core_(core), ops_(ops) {}

  void lease_keep_alive(const etcdserverpb::LeaseKeepAliveRequest& req, DcsCore::Deadline deadline,
                        Reply<etcdserverpb::LeaseKeepAliveResponse> reply);
  void lease_time_to_live(const etcdserverpb::LeaseTimeToLiveRequest& req, DcsCore::Deadline deadline,
                          Reply<etcdserverpb::LeaseTimeToLiveResponse> reply);
  void member_add(const etcdserverpb::MemberAddRequest& req, DcsCore::Deadline deadline,
                  Reply<etcdserverpb::MemberAddResponse> reply);
  void member_remove(const etcdserverpb::MemberRemoveRequest& req, DcsCore::Deadline deadline,
                     Reply<etcdserverpb::MemberRemoveResponse> reply);
  void member_promote(const etcdserverpb::MemberPromoteRequest& req, DcsCore::Deadline deadline,
                      Reply<etcdserverpb::MemberPromoteResponse> reply);
  void move_leader(const etcdserverpb::MoveLeaderRequest& req, DcsCore::Deadline deadline,
                   Reply<etcdserverpb::MoveLeaderResponse> reply);

  // PeerForward (called by other members; served only while this member leads).
  grpc::ServerUnaryReactor* LeaseKeepAlive(grpc::CallbackServerContext* ctx,
                                           const etcdserverpb::LeaseKeepAliveRequest* req,
                                           etcdserverpb::LeaseKeepAliveResponse* resp) override;
  grpc::ServerUnaryReactor* LeaseTimeToLive(grpc::CallbackServerContext* ctx,
                                            const etcdserverpb::LeaseTimeToLiveRequest* req,
                                            etcdserverpb::LeaseTimeToLiveResponse* resp) override;
  grpc::ServerUnaryReactor* MemberAdd(grpc::CallbackServerContext* ctx, const etcdserverpb::MemberAddRequest* req,
                                      etcdserverpb::MemberAddResponse* resp) override;
  grpc::ServerUnaryReactor* MemberRemove(grpc::CallbackServerContext* ctx,
                                         const etcdserverpb::MemberRemoveRequest* req,
                                         etcdserverpb::MemberRemoveResponse* resp) override;
  grpc::ServerUnaryReactor* MemberPromote(grpc::CallbackServerContext* ctx,
                                          const etcdserverpb::MemberPromoteRequest* req,
                                          etcdserverpb::MemberPromoteResponse* resp) override;
  grpc::ServerUnaryReactor* MoveLeader(grpc::CallbackServerContext* ctx, const etcdserverpb::MoveLeaderRequest* req,
                                       etcdserverpb::MoveLeaderResponse* resp) override;
  grpc::ServerUnaryReactor* MemberList(grpc::CallbackServerContext* ctx, const etcdserverpb::MemberListRequest* req,
                                       etcdserverpb::MemberListResponse* resp) override;

 private:
  // Driver thread: the leader's peer address, or empty (reply with the error) when unknown.
  std::string leader_target(Error* why);
  std::shared_ptr<dcspb::PeerForward::Stub> stub(const std::string& target);
  template <class Req, class Resp, class Local, class Remote>
  void route(const Req& req, DcsCore::Deadline deadline, Local local, Remote remote, Reply<Resp> reply);

  DcsCore& core_;
  LeaderOps& ops_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<dcspb::PeerForward::Stub>> stubs_;
};

}  // namespace ha::dcs
