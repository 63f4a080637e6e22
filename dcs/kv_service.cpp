#include "dcs/kv_service.hpp"

#include "dcs/call_deadline.hpp"
#include "dcs/server_errors.hpp"
#include "dcs/state_reply.hpp"

namespace ha::dcs {

template <class Resp>
grpc::ServerUnaryReactor* propose_and_reply(DcsCore& core, grpc::CallbackServerContext* ctx,
                                            dcspb::InternalRequest req, Resp* resp) {
  auto* reactor = ctx->DefaultReactor();
  Status size = check_request_size(req.ByteSizeLong(), core.options().limits);
  if (!size.ok()) {
    reactor->Finish(to_grpc(size.error()));
    return reactor;
  }
  core.write(std::move(req), call_deadline(*ctx, core.options().request_timeout),
             [&core, reactor, resp](ApplyResult& r) {
               // Driver thread: move the response into place and stamp its header; the call is
               // finished (serialised and written) on a completion thread.
               if (!r.status.ok()) {
                 core.complete([reactor, st = to_grpc(r.status.error())] { reactor->Finish(st); });
                 return;
               }
               if (Resp* out = std::get_if<Resp>(&r.response)) resp->Swap(out);
               std::int64_t rev = resp->header().revision();
               core.fill_header(resp->mutable_header());
               if (rev != 0) resp->mutable_header()->set_revision(rev);
               core.complete([reactor] { reactor->Finish(grpc::Status::OK); });
             });
  return reactor;
}

template grpc::ServerUnaryReactor* propose_and_reply(DcsCore&, grpc::CallbackServerContext*,
                                                     dcspb::InternalRequest,
                                                     etcdserverpb::LeaseGrantResponse*);
template grpc::ServerUnaryReactor* propose_and_reply(DcsCore&, grpc::CallbackServerContext*,
                                                     dcspb::InternalRequest,
                                                     etcdserverpb::LeaseRevokeResponse*);
template grpc::ServerUnaryReactor* propose_and_reply(DcsCore&, grpc::CallbackServerContext*,
                                                     dcspb::InternalRequest,
                                                     etcdserverpb::MemberUpdateResponse*);

namespace {
grpc::ServerUnaryReactor* finish_now(grpc::CallbackServerContext* ctx, const Error& e) {
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(to_grpc(e));
  return reactor;
}
}  // namespace

grpc::ServerUnaryReactor* KvService::Range(grpc::CallbackServerContext* ctx,
                                           const etcdserverpb::RangeRequest* req,
                                           etcdserverpb::RangeResponse* resp) {
  Status st = check_range(*req, core_.options().limits);
  if (!st.ok()) return finish_now(ctx, st.error());
  return reply_from_state(core_, ctx, !req->serializable(), resp,
                          [this, req](etcdserverpb::RangeResponse& out) {
                            auto r = core_.sm().range(*req);
                            if (!r.ok()) return Status(r.error());
                            out = std::move(r).value();
                            return Status();
                          });
}

grpc::ServerUnaryReactor* KvService::Put(grpc::CallbackServerContext* ctx,
                                         const etcdserverpb::PutRequest* req,
                                         etcdserverpb::PutResponse* resp) {
  Status st = check_put(*req, core_.options().limits);
  if (!st.ok()) return finish_now(ctx, st.error());
  dcspb::InternalRequest ir;
  *ir.mutable_put() = *req;
  return propose_and_reply(core_, ctx, std::move(ir), resp);
}

grpc::ServerUnaryReactor* KvService::DeleteRange(grpc::CallbackServerContext* ctx,
                                                 const etcdserverpb::DeleteRangeRequest* req,
                                                 etcdserverpb::DeleteRangeResponse* resp) {
  Status st = check_delete_range(*req, core_.options().limits);
  if (!st.ok()) return finish_now(ctx, st.error());
  dcspb::InternalRequest ir;
  *ir.mutable_delete_range() = *req;
  return propose_and_reply(core_, ctx, std::move(ir), resp);
}

grpc::ServerUnaryReactor* KvService::Txn(grpc::CallbackServerContext* ctx,
                                         const etcdserverpb::TxnRequest* req,
                                         etcdserverpb::TxnResponse* resp) {
  Status st = check_txn(*req, core_.options().limits);
  if (!st.ok()) return finish_now(ctx, st.error());
  dcspb::InternalRequest ir;
  *ir.mutable_txn() = *req;
  return propose_and_reply(core_, ctx, std::move(ir), resp);
}

grpc::ServerUnaryReactor* KvService::Compact(grpc::CallbackServerContext* ctx,
                                             const etcdserverpb::CompactionRequest* req,
                                             etcdserverpb::CompactionResponse* resp) {
  dcspb::InternalRequest ir;
  *ir.mutable_compaction() = *req;
  return propose_and_reply(core_, ctx, std::move(ir), resp);
}

}  // namespace ha::dcs
