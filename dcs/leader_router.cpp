#include "dcs/leader_router.hpp"

#include <grpcpp/grpcpp.h>

#include "dcs/call_deadline.hpp"
#include "dcs/client/endpoint.hpp"
#include "dcs/server_errors.hpp"
#include "dcs/state_reply.hpp"

namespace ha::dcs {

namespace {

template <class Req, class Resp>
struct ForwardedCall {
  grpc::ClientContext ctx;
  Req req;
  Resp resp;
};

Error from_grpc(const grpc::Status& s) {
  return Error{static_cast<ErrorCode>(s.error_code()), s.error_message()};
}

}  // namespace

std::string LeaderRouter::leader_target(Error* why) {
  raft::NodeId leader = core_.driver().node().leader();
  if (leader == raft::kNone) {
    *why = errors::no_leader();
    return {};
  }
  const dcspb::MemberRecord* m = core_.sm().members().find(leader);
  Endpoint e;
  if (m == nullptr || m->peer_urls_size() == 0 || !parse_endpoint(m->peer_urls(0), e).empty()) {
    *why = Error{ErrorCode::kUnavailable, "etcdserver: the leader's peer address is unknown; retry"};
    return {};
  }
  return e.host_port();
}

std::shared_ptr<dcspb::PeerForward::Stub> LeaderRouter::stub(const std::string& target) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& s = stubs_[target];
  if (!s) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);  // members talk directly, never via http_proxy
    s = dcspb::PeerForward::NewStub(grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
  }
  return s;
}

template <class Req, class Resp, class Local, class Remote>
void LeaderRouter::route(const Req& req, DcsCore::Deadline deadline, Local local, Remote remote, Reply<Resp> reply) {
  core_.run([this, req, deadline, local, remote, reply = std::move(reply)]() mutable {
    if (core_.is_leader()) {
      local(req, deadline, std::move(reply));
      return;
    }
    Error why;
    std::string target = leader_target(&why);
    if (target.empty()) return reply(why);
    auto call = std::make_shared<ForwardedCall<Req, Resp>>();
    call->req = req;
    call->ctx.set_deadline(std::chrono::system_clock::now() + (deadline - DcsCore::Clock::now()));
    auto s = stub(target);
    remote(s->async(), &call->ctx, &call->req, &call->resp, [call, s, reply = std::move(reply)](grpc::Status st) {
      if (st.ok()) {
        reply(std::move(call->resp));
      } else {
        reply(from_grpc(st));
      }
    });
  });
}

void LeaderRouter::lease_keep_alive(const etcdserverpb::LeaseKeepAliveRequest& req, DcsCore::Deadline deadline,
                                    Reply<etcdserverpb::LeaseKeepAliveResponse> reply) {
  route(req, deadline,
        [this](const auto& r, DcsCore::Deadline, auto rep) { ops_.lease_keep_alive(r, std::move(rep)); },
        [](auto* a, auto* c, const auto* r, auto* o, auto f) { a->LeaseKeepAlive(c, r, o, std::move(f)); },
        std::move(reply));
}

void LeaderRouter::lease_time_to_live(const etcdserverpb::LeaseTimeToLiveRequest& req, DcsCore::Deadline deadline,
                                      Reply<etcdserverpb::LeaseTimeToLiveResponse> reply) {
  route(req, deadline,
        [this](const auto& r, DcsCore::Deadline, auto rep) { ops_.lease_time_to_live(r, std::move(rep)); },
        [](auto* a, auto* c, const auto* r, auto* o, auto f) { a->LeaseTimeToLive(c, r, o, std::move(f)); },
        std::move(reply));
}

void LeaderRouter::member_add(const etcdserverpb::MemberAddRequest& req, DcsCore::Deadline deadline,
                              Reply<etcdserverpb::MemberAddResponse> reply) {
  route(req, deadline,
        [this](const auto& r, DcsCore::Deadline d, auto rep) { ops_.member_add(r, d, std::move(rep)); },
        [](auto* a, auto* c, const auto* r, auto* o, auto f) { a->MemberAdd(c, r, o, std::move(f)); },
        std::move(reply));
}

void LeaderRouter::member_remove(const etcdserverpb::MemberRemoveRequest& req, DcsCore::Deadline deadline,
                                 Reply<etcdserverpb::MemberRemoveResponse> reply) {
  route(req, deadline,
        [this](const auto& r, DcsCore::Deadline d, auto rep) { ops_.member_remove(r, d, std::move(rep)); },
        [](auto* a, auto* c, const auto* r, auto* o, auto f) { a->MemberRemove(c, r, o, std::move(f)); },
        std::move(reply));
}

void LeaderRouter::member_promote(const etcdserverpb::MemberPromoteRequest& req, DcsCore::Deadline deadline,
                                  Reply<etcdserverpb::MemberPromoteResponse> reply) {
  route(req, deadline,
        [this](const auto& r, DcsCore::Deadline d, auto rep) { ops_.member_promote(r, d, std::move(rep)); },
        [](auto* a, auto* c, const auto* r, auto* o, auto f) { a->MemberPromote(c, r, o, std::move(f)); },
        std::move(reply));
}

void LeaderRouter::move_leader(const etcdserverpb::MoveLeaderRequest& req, DcsCore::Deadline deadline,
                               Reply<etcdserverpb::MoveLeaderResponse> reply) {
  route(req, deadline,
        [this](const auto& r, DcsCore::Deadline d, auto rep) { ops_.move_leader(r, d, std::move(rep)); },
        [](auto* a, auto* c, const auto* r, auto* o, auto f) { a->MoveLeader(c, r, o, std::move(f)); },
        std::move(reply));
}

// --- PeerForward: other members forward here; serve only while leading (no second hop). ---

grpc::ServerUnaryReactor* LeaderRouter::LeaseKeepAlive(grpc::CallbackServerContext* ctx,
                                                       const etcdserverpb::LeaseKeepAliveRequest* req,
                                                       etcdserverpb::LeaseKeepAliveResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  ops_.lease_keep_alive(*req, finish_with(reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* LeaderRouter::LeaseTimeToLive(grpc::CallbackServerContext* ctx,
                                                        const etcdserverpb::LeaseTimeToLiveRequest* req,
                                                        etcdserverpb::LeaseTimeToLiveResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  ops_.lease_time_to_live(*req, finish_with(reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* LeaderRouter::MemberAdd(grpc::CallbackServerContext* ctx,
                                                  const etcdserverpb::MemberAddRequest* req,
                                                  etcdserverpb::MemberAddResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  ops_.member_add(*req, call_deadline(*ctx, core_.options().request_timeout), finish_with(reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* LeaderRouter::MemberRemove(grpc::CallbackServerContext* ctx,
                                                     const etcdserverpb::MemberRemoveRequest* req,
                                                     etcdserverpb::MemberRemoveResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  ops_.member_remove(*req, call_deadline(*ctx, core_.options().request_timeout), finish_with(reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* LeaderRouter::MemberPromote(grpc::CallbackServerContext* ctx,
                                                      const etcdserverpb::MemberPromoteRequest* req,
                                                      etcdserverpb::MemberPromoteResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  ops_.member_promote(*req, call_deadline(*ctx, core_.options().request_timeout), finish_with(reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* LeaderRouter::MoveLeader(grpc::CallbackServerContext* ctx,
                                                   const etcdserverpb::MoveLeaderRequest* req,
                                                   etcdserverpb::MoveLeaderResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  ops_.move_leader(*req, call_deadline(*ctx, core_.options().request_timeout), finish_with(reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* LeaderRouter::MemberList(grpc::CallbackServerContext* ctx,
                                                   const etcdserverpb::MemberListRequest* /*req*/,
                                                   etcdserverpb::MemberListResponse* resp) {
  return reply_from_state(core_, ctx, false, resp, [this](etcdserverpb::MemberListResponse& out) {
    out = core_.sm().member_list();
    return Status();
  });
}

}  // namespace ha::dcs
