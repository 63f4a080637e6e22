#include "dcs/lease_service.hpp"

#include "dcs/bidi_stream.hpp"
#include "dcs/call_deadline.hpp"
#include "dcs/kv_service.hpp"
#include "dcs/state_reply.hpp"

namespace ha::dcs {

namespace {

class KeepAliveStream final
    : public BidiStream<etcdserverpb::LeaseKeepAliveRequest, etcdserverpb::LeaseKeepAliveResponse> {
 public:
  KeepAliveStream(DcsCore& core, LeaderRouter& router) : core_(core), router_(router) { begin(); }

 private:
  void on_request(const etcdserverpb::LeaseKeepAliveRequest& req) override {
    auto h = handle();
    auto deadline = DcsCore::Clock::now() + core_.options().request_timeout;
    router_.lease_keep_alive(req, deadline, [h](Result<etcdserverpb::LeaseKeepAliveResponse> r) {
      if (r.ok()) {
        h->send(std::move(r).value());
      } else {
        h->finish(to_grpc(r.error()));
      }
    });
  }

  DcsCore& core_;
  LeaderRouter& router_;
};

}  // namespace

grpc::ServerUnaryReactor* LeaseService::LeaseGrant(grpc::CallbackServerContext* ctx,
                                                   const etcdserverpb::LeaseGrantRequest* req,
                                                   etcdserverpb::LeaseGrantResponse* resp) {
  Status st = check_lease_grant(*req, core_.options().limits);
  if (!st.ok()) {
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(to_grpc(st.error()));
    return reactor;
  }
  dcspb::InternalRequest ir;
  *ir.mutable_lease_grant() = *req;
  return propose_and_reply(core_, ctx, std::move(ir), resp);
}

grpc::ServerUnaryReactor* LeaseService::LeaseRevoke(grpc::CallbackServerContext* ctx,
                                                    const etcdserverpb::LeaseRevokeRequest* req,
                                                    etcdserverpb::LeaseRevokeResponse* resp) {
  dcspb::InternalRequest ir;
  *ir.mutable_lease_revoke() = *req;
  return propose_and_reply(core_, ctx, std::move(ir), resp);
}

grpc::ServerBidiReactor<etcdserverpb::LeaseKeepAliveRequest, etcdserverpb::LeaseKeepAliveResponse>*
LeaseService::LeaseKeepAlive(grpc::CallbackServerContext* /*ctx*/) {
  return new KeepAliveStream(core_, router_);
}

grpc::ServerUnaryReactor* LeaseService::LeaseTimeToLive(grpc::CallbackServerContext* ctx,
                                                        const etcdserverpb::LeaseTimeToLiveRequest* req,
                                                        etcdserverpb::LeaseTimeToLiveResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  router_.lease_time_to_live(*req, call_deadline(*ctx, core_.options().request_timeout), finish_with(reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* LeaseService::LeaseLeases(grpc::CallbackServerContext* ctx,
                                                    const etcdserverpb::LeaseLeasesRequest* /*req*/,
                                                    etcdserverpb::LeaseLeasesResponse* resp) {
  return reply_from_state(core_, ctx, true, resp, [this](etcdserverpb::LeaseLeasesResponse& out) {
    out = core_.sm().leases();
    return Status();
  });
}

}  // namespace ha::dcs
