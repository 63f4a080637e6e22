#include "dcs/client/client.hpp"

#include <algorithm>

#include "dcs/client/call_runner.hpp"
#include "dcs/client/endpoint_set.hpp"

namespace ha::dcs {

using namespace client_detail;  // NOLINT(google-build-using-namespace)

Client::Client(ClientOptions options) : set_(std::make_shared<EndpointSet>(options)) {}

Client::~Client() = default;

const ClientOptions& Client::options() const { return set_->options(); }

void Client::find_leader_for_write(const CallOptions& call) {
  if (!set_->options().writes_to_leader_first || set_->leader()) return;
  CallOptions half;
  half.timeout = call_timeout(*set_, call) / 2;
  (void)leader(half);  // best effort: without a leader the write goes the usual way
}

// --- KV

RpcResult<etcdserverpb::RangeResponse> Client::get(std::string_view key, const GetOptions& options,
                                                   const CallOptions& call) {
  return range(make_range_request(key, options), call);
}

RpcResult<etcdserverpb::RangeResponse> Client::range(const etcdserverpb::RangeRequest& request,
                                                     const CallOptions& call) {
  etcdserverpb::RangeResponse response;
  auto error = run_call(*set_, read_spec("Range"), call, [&](EndpointConn& c, grpc::ClientContext& ctx) {
    response.Clear();
    return c.kv->Range(&ctx, request, &response);
  });
  return result_of(std::move(error), std::move(response));
}

RpcResult<etcdserverpb::PutResponse> Client::put(std::string_view key, std::string_view value,
                                                 const PutOptions& options, const CallOptions& call) {
  return put(make_put_request(key, value, options), call);
}

RpcResult<etcdserverpb::PutResponse> Client::put(const etcdserverpb::PutRequest& request, const CallOptions& call) {
  find_leader_for_write(call);
  etcdserverpb::PutResponse response;
  auto error = run_call(*set_, write_spec("Put"), call, [&](EndpointConn& c, grpc::ClientContext& ctx) {
    response.Clear();
    return c.kv->Put(&ctx, request, &response);
  });
  return result_of(std::move(error), std::move(response));
}

RpcResult<etcdserverpb::DeleteRangeResponse> Client::del(std::string_view key, const DeleteOptions& options,
                                                         const CallOptions& call) {
  return delete_range(make_delete_request(key, options), call);
}

RpcResult<etcdserverpb::DeleteRangeResponse> Client::delete_range(const etcdserverpb::DeleteRangeRequest& request,
                                                                  const CallOptions& call) {
  find_leader_for_write(call);
  etcdserverpb::DeleteRangeResponse response;
  auto error = run_call(*set_, write_spec("DeleteRange"), call, [&](EndpointConn& c, grpc::ClientContext& ctx) {
    response.Clear();
    return c.kv->DeleteRange(&ctx, request, &response);
  });
  return result_of(std::move(error), std::move(response));
}

RpcResult<etcdserverpb::TxnResponse> Client::txn(const Txn& txn, const CallOptions& call) {
  return this->txn(txn.request(), call);
}

RpcResult<etcdserverpb::TxnResponse> Client::txn(const etcdserverpb::TxnRequest& request, const CallOptions& call) {
  const bool read_only = is_read_only(request);
  if (!read_only) find_leader_for_write(call);
  CallSpec spec = read_only ? read_spec("Txn") : write_spec("Txn");
  etcdserverpb::TxnResponse response;
  auto error = run_call(*set_, spec, call, [&](EndpointConn& c, grpc::ClientContext& ctx) {
    response.Clear();
    return c.kv->Txn(&ctx, request, &response);
  });
  return result_of(std::move(error), std::move(response));
}

RpcResult<etcdserverpb::CompactionResponse> Client::compact(std::int64_t revision, bool physical,
                                                            const CallOptions& call) {
  find_leader_for_write(call);
  etcdserverpb::CompactionRequest request;
  request.set_revision(revision);
  request.set_physical(physical);
  etcdserverpb::CompactionResponse response;
  auto error = run_call(*set_, write_spec("Compact"), call, [&](EndpointConn& c, grpc::ClientContext& ctx) {
    response.Clear();
    return c.kv->Compact(&ctx, request, &response);
  });
  return result_of(std::move(error), std::move(response));
}

// --- Lease

RpcResult<etcdserverpb::LeaseGrantResponse> Client::lease_grant(std::int64_t ttl_seconds, std::int64_t id,
                                                                const CallOptions& call) {
  find_leader_for_write(call);
  etcdserverpb::LeaseGrantRequest request;
  request.set_ttl(ttl_seconds);
  request.set_id(id);
  etcdserverpb::LeaseGrantResponse response;
  auto error = run_call(*set_, write_spec("LeaseGrant"), call, [&](EndpointConn& c, grpc::ClientContext& ctx) {
    response.Clear();
    auto status = c.lease->LeaseGrant(&ctx, request, &response);
    // etcd once reported some grant failures in the body instead of the status.
    if (status.ok() && !response.error().empty()) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, response.error());
    }
    return status;
  });
  return result_of(std::move(error), std::move(response));
}

RpcResult<etcdserverpb::LeaseRevokeResponse> Client::lease_revoke(std::int64_t id, const CallOptions& call) {
  find_leader_for_write(call);
  etcdserverpb::LeaseRevokeRequest request;
  request.set_id(id);
  etcdserverpb::LeaseRevokeResponse response;
  auto error = run_call(*set_, write_spec("LeaseRevoke"), call, [&](EndpointConn& c, grpc::ClientContext& ctx) {
    response.Clear();
    return c.lease->LeaseRevoke(&ctx, request, &response);
  });
  return result_of(std::move(error), std::move(response));
}

RpcResult<etcdserverpb::LeaseTimeToLiveResponse> Client::lease_time_to_live(std::int64_t id, bool keys,
                                                                            const CallOptions& call) {
  etcdserverpb::LeaseTimeToLiveRequest request;
  request.set_id(id);
  request.set_keys(keys);
  etcdserverpb::LeaseTimeToLiveResponse response;
  auto error = run_call(*set_, read_spec("LeaseTimeToLive"), call, [&](EndpointConn& c, grpc::ClientContext& ctx) {
    response.Clear();
    return c.lease->LeaseTimeToLive(&ctx, request, &response);
  });
  return result_of(std::move(error), std::move(response));
}

RpcResult<etcdserverpb::LeaseLeasesResponse> Client::lease_leases(const CallOptions& call) {
  etcdserverpb::LeaseLeasesRequest request;
  etcdserverpb::LeaseLeasesResponse response;
  auto error = run_call(*set_, read_spec("LeaseLeases"), call, [&](EndpointConn& c, grpc::ClientContext& ctx) {
    response.Clear();
    return c.lease->LeaseLeases(&ctx, request, &response);
  });
  return result_of(std::move(error), std::move(response));
}

}  // namespace ha::dcs
