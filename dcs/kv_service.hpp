// KvService: etcd's KV gRPC service (Range, Put, DeleteRange, Txn, Compact) on top of DcsCore.
// Writes go through Raft; reads are linearizable (ReadIndex) unless the request asks for
// serializable.
#pragma once

#include "dcs/dcs_core.hpp"
#include "proto/etcd/rpc.grpc.pb.h"

namespace ha::dcs {

class KvService final : public etcdserverpb::KV::CallbackService {
 public:
  explicit KvService(DcsCore& core) : core_(core) {}

  grpc::ServerUnaryReactor* Range(grpc::CallbackServerContext* ctx, const etcdserverpb::RangeRequest* req,
                                  etcdserverpb::RangeResponse* resp) override;
  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* ctx, const etcdserverpb::PutRequest* req,
                                etcdserverpb::PutResponse* resp) override;
  grpc::ServerUnaryReactor* DeleteRange(grpc::CallbackServerContext* ctx, const etcdserverpb::DeleteRangeRequest* req,
                                        etcdserverpb::DeleteRangeResponse* resp) override;
  grpc::ServerUnaryReactor* Txn(grpc::CallbackServerContext* ctx, const etcdserverpb::TxnRequest* req,
                                etcdserverpb::TxnResponse* resp) override;
  grpc::ServerUnaryReactor* Compact(grpc::CallbackServerContext* ctx, const etcdserverpb::CompactionRequest* req,
                                    etcdserverpb::CompactionResponse* resp) override;

 private:
  DcsCore& core_;
};

// Proposes `req` and finishes the call with the response of type Resp that applying it produced.
template <class Resp>
grpc::ServerUnaryReactor* propose_and_reply(DcsCore& core, grpc::CallbackServerContext* ctx,
                                            dcspb::InternalRequest req, Resp* resp);

}  // namespace ha::dcs
