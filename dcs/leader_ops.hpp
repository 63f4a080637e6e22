// LeaderOps: the requests only the Raft leader may serve (lease keep-alive and time-to-live,
// membership changes, leader moves). Each runs on the driver thread of the member it is called
// on and fails with "etcdserver: not leader" elsewhere; LeaderRouter decides where to send it.
#pragma once

#include <functional>

#include <grpcpp/grpcpp.h>

#include "dcs/dcs_core.hpp"
#include "dcs/server_errors.hpp"
#include "proto/etcd/rpc.pb.h"

namespace ha::dcs {

template <class T>
using Reply = std::function<void(Result<T>)>;

// A Reply that finishes a unary call with the response or the error.
template <class Resp>
Reply<Resp> finish_with(grpc::ServerUnaryReactor* reactor, Resp* out) {
  return [reactor, out](Result<Resp> r) {
    if (!r.ok()) {
      reactor->Finish(to_grpc(r.error()));
      return;
    }
    *out = std::move(r).value();
    reactor->Finish(grpc::Status::OK);
  };
}

class LeaderOps {
 public:
  explicit LeaderOps(DcsCore& core) : core_(core) {}

  // All of these post onto the driver thread and reply there. A keep-alive is answered after a
  // ReadIndex confirms this member's leadership.
  void lease_keep_alive(const etcdserverpb::LeaseKeepAliveRequest& req, Reply<etcdserverpb::LeaseKeepAliveResponse> reply);
  void lease_time_to_live(const etcdserverpb::LeaseTimeToLiveRequest& req,
                          Reply<etcdserverpb::LeaseTimeToLiveResponse> reply);
  void member_add(const etcdserverpb::MemberAddRequest& req, DcsCore::Deadline deadline,
                  Reply<etcdserverpb::MemberAddResponse> reply);
  void member_remove(const etcdserverpb::MemberRemoveRequest& req, DcsCore::Deadline deadline,
                     Reply<etcdserverpb::MemberRemoveResponse> reply);
  void member_promote(const etcdserverpb::MemberPromoteRequest& req, DcsCore::Deadline deadline,
                      Reply<etcdserverpb::MemberPromoteResponse> reply);
  void move_leader(const etcdserverpb::MoveLeaderRequest& req, DcsCore::Deadline deadline,
                   Reply<etcdserverpb::MoveLeaderResponse> reply);

 private:
  void wait_for_leader(raft::NodeId target, DcsCore::Deadline deadline, Reply<etcdserverpb::MoveLeaderResponse> reply);

  DcsCore& core_;
};

}  // namespace ha::dcs
