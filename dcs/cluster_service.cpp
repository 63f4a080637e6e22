#include "dcs/cluster_service.hpp"

#include "dcs/call_deadline.hpp"
#include "dcs/kv_service.hpp"
#include "dcs/state_reply.hpp"

namespace ha::dcs {

grpc::ServerUnaryReactor* ClusterService::MemberAdd(grpc::CallbackServerContext* ctx,
                                                    const etcdserverpb::MemberAddRequest* req,
                                                    etcdserverpb::MemberAddResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  if (req->peerurls_size() == 0) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "etcdserver: member add needs at least one peer URL"));
    return reactor;
  }
  router_.member_add(*req, call_deadline(*ctx, core_.options().request_timeout), finish_with(reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* ClusterService::MemberRemove(grpc::CallbackServerContext* ctx,
                                                       const etcdserverpb::MemberRemoveRequest* req,
                                                       etcdserverpb::MemberRemoveResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  router_.member_remove(*req, call_deadline(*ctx, core_.options().request_timeout), finish_with(reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* ClusterService::MemberPromote(grpc::CallbackServerContext* ctx,
                                                        const etcdserverpb::MemberPromoteRequest* req,
                                                        etcdserverpb::MemberPromoteResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  router_.member_promote(*req, call_deadline(*ctx, core_.options().request_timeout), finish_with(reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* ClusterService::MemberUpdate(grpc::CallbackServerContext* ctx,
                                                       const etcdserverpb::MemberUpdateRequest* req,
                                                       etcdserverpb::MemberUpdateResponse* resp) {
  dcspb::InternalRequest ir;
  *ir.mutable_member_update() = *req;
  return propose_and_reply(core_, ctx, std::move(ir), resp);
}

grpc::ServerUnaryReactor* ClusterService::MemberList(grpc::CallbackServerContext* ctx,
                                                     const etcdserverpb::MemberListRequest* req,
                                                     etcdserverpb::MemberListResponse* resp) {
  return reply_from_state(core_, ctx, req->linearizable(), resp, [this](etcdserverpb::MemberListResponse& out) {
    out = core_.sm().member_list();
    return ha::dcs::Status();
  });
}

grpc::ServerUnaryReactor* MaintenanceService::Status(grpc::CallbackServerContext* ctx,
                                                     const etcdserverpb::StatusRequest* /*req*/,
                                                     etcdserverpb::StatusResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  core_.run([this, reactor, resp] {
    raft::Status rs = core_.driver().node().status();
    core_.fill_header(resp->mutable_header());
    resp->set_version(source_.version);
    std::int64_t size = source_.db_size ? source_.db_size() : 0;
    resp->set_dbsize(size);
    resp->set_dbsizeinuse(size);
    resp->set_leader(rs.soft_state.leader);
    resp->set_raftindex(rs.hard_state.commit);
    resp->set_raftterm(rs.hard_state.term);
    resp->set_raftappliedindex(rs.applied);
    bool learner = false;
    for (auto l : rs.conf_state.learners) learner = learner || l == core_.options().self;
    resp->set_islearner(learner);
    if (rs.soft_state.leader == raft::kNone) resp->add_errors("etcdserver: no leader");
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* MaintenanceService::MoveLeader(grpc::CallbackServerContext* ctx,
                                                         const etcdserverpb::MoveLeaderRequest* req,
                                                         etcdserverpb::MoveLeaderResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  router_.move_leader(*req, call_deadline(*ctx, core_.options().request_timeout), finish_with(reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* MaintenanceService::Alarm(grpc::CallbackServerContext* ctx,
                                                    const etcdserverpb::AlarmRequest* /*req*/,
                                                    etcdserverpb::AlarmResponse* resp) {
  // No alarms are raised: a full database refuses writes with an error instead.
  return reply_from_state(core_, ctx, false, resp, [](etcdserverpb::AlarmResponse&) { return ha::dcs::Status(); });
}

grpc::ServerUnaryReactor* MaintenanceService::HashKV(grpc::CallbackServerContext* ctx,
                                                     const etcdserverpb::HashKVRequest* req,
                                                     etcdserverpb::HashKVResponse* resp) {
  return reply_from_state(core_, ctx, false, resp, [this, req](etcdserverpb::HashKVResponse& out) {
    auto r = core_.sm().hash_kv(req->revision());
    if (!r.ok()) return ha::dcs::Status(r.error());
    out = std::move(r).value();
    return ha::dcs::Status();
  });
}

grpc::ServerUnaryReactor* MaintenanceService::Defragment(grpc::CallbackServerContext* ctx,
                                                         const etcdserverpb::DefragmentRequest* /*req*/,
                                                         etcdserverpb::DefragmentResponse* resp) {
  // The state machine lives in memory and the log store compacts itself: nothing to do.
  return reply_from_state(core_, ctx, false, resp, [](etcdserverpb::DefragmentResponse&) { return ha::dcs::Status(); });
}

}  // namespace ha::dcs
