// Client: the Cluster and Maintenance calls, and leader discovery.
#include <grpcpp/completion_queue.h>
#include <grpcpp/support/async_unary_call.h>

#include <algorithm>
#include <map>

#include "dcs/client/call_runner.hpp"
#include "dcs/client/client.hpp"
#include "dcs/client/endpoint_set.hpp"

namespace ha::dcs {

using namespace client_detail;  // NOLINT(google-build-using-namespace)

namespace {

RpcError error_at(grpc::StatusCode code, std::string message, const std::string& endpoint,
                  std::chrono::milliseconds timeout) {
  RpcError e;
  e.code = code;
  e.message = std::move(message);
  e.endpoint = endpoint;
  e.tried = {endpoint};
  e.timeout = timeout;
  return e;
}

}  // namespace

// --- Cluster

RpcResult<etcdserverpb::MemberListResponse> Client::member_list(const CallOptions& call) {
  etcdserverpb::MemberListRequest request;
  etcdserverpb::MemberListResponse response;
  auto error = run_call(*set_, read_spec("MemberList"), call, [&](EndpointConn& c, grpc::ClientContext& ctx) {
    response.Clear();
    return c.cluster->MemberList(&ctx, request, &response);
  });
  return result_of(std::move(error), std::move(response));
}

RpcResult<etcdserverpb::MemberAddResponse> Client::member_add(const std::vector<std::string>& peer_urls,
                                                              bool learner, const CallOptions& call) {
  find_leader_for_write(call);
  etcdserverpb::MemberAddRequest request;
  for (const auto& u : peer_urls) request.add_peerurls(u);
  request.set_islearner(learner);
  etcdserverpb::MemberAddResponse response;
  auto error = run_call(*set_, write_spec("MemberAdd"), call, [&](EndpointConn& c, grpc::ClientContext& ctx) {
    response.Clear();
    return c.cluster->MemberAdd(&ctx, request, &response);
  });
  return result_of(std::move(error), std::move(response));
}

RpcResult<etcdserverpb::MemberRemoveResponse> Client::member_remove(std::uint64_t member_id,
                                                                    const CallOptions& call) {
  find_leader_for_write(call);
  etcdserverpb::MemberRemoveRequest request;
  request.set_id(member_id);
  etcdserverpb::MemberRemoveResponse response;
  auto error = run_call(*set_, write_spec("MemberRemove"), call, [&](EndpointConn& c, grpc::ClientContext& ctx) {
    response.Clear();
    return c.cluster->MemberRemove(&ctx, request, &response);
  });
  return result_of(std::move(error), std::move(response));
}

RpcResult<etcdserverpb::MemberPromoteResponse> Client::member_promote(std::uint64_t member_id,
                                                                      const CallOptions& call) {
  find_leader_for_write(call);
  etcdserverpb::MemberPromoteRequest request;
  request.set_id(member_id);
  etcdserverpb::MemberPromoteResponse response;
  auto error = run_call(*set_, write_spec("MemberPromote"), call, [&](EndpointConn& c, grpc::ClientContext& ctx) {
    response.Clear();
    return c.cluster->MemberPromote(&ctx, request, &response);
  });
  return result_of(std::move(error), std::move(response));
}

// --- Maintenance

RpcResult<etcdserverpb::StatusResponse> Client::status(std::size_t endpoint_index, const CallOptions& call) {
  etcdserverpb::StatusRequest request;
  etcdserverpb::StatusResponse response;
  CallSpec spec = read_spec("Status");
  spec.only = endpoint_index;
  auto error = run_call(*set_, spec, call, [&](EndpointConn& c, grpc::ClientContext& ctx) {
    response.Clear();
    return c.maintenance->Status(&ctx, request, &response);
  });
  return result_of(std::move(error), std::move(response));
}

RpcResult<etcdserverpb::StatusResponse> Client::status(const Endpoint& endpoint, const CallOptions& call) {
  auto index = set_->index_of(endpoint);
  if (!index) {
    return error_at(grpc::StatusCode::INVALID_ARGUMENT,
                    endpoint.host_port() + " is not one of the client's endpoints", endpoint.host_port(),
                    call_timeout(*set_, call));
  }
  return status(*index, call);
}

std::vector<EndpointStatus> Client::status_all(const CallOptions& call) {
  const auto timeout = call_timeout(*set_, call);
  const auto deadline = std::chrono::system_clock::now() + timeout;
  struct Pending {
    grpc::ClientContext ctx;
    etcdserverpb::StatusResponse response;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::StatusResponse>> rpc;
  };
  grpc::CompletionQueue cq;
  etcdserverpb::StatusRequest request;
  std::vector<std::unique_ptr<Pending>> pending;
  for (std::size_t i = 0; i < set_->size(); ++i) {
    auto p = std::make_unique<Pending>();
    p->ctx.set_deadline(deadline);
    p->rpc = set_->at(i).maintenance->AsyncStatus(&p->ctx, request, &cq);
    p->rpc->Finish(&p->response, &p->status, p.get());
    pending.push_back(std::move(p));
  }
  // Every call ends by its deadline, so this loop does too.
  for (std::size_t done = 0; done < pending.size(); ++done) {
    void* tag = nullptr;
    bool ok = false;
    if (!cq.Next(&tag, &ok)) break;
  }
  cq.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq.Next(&tag, &ok)) {
  }

  std::vector<EndpointStatus> out;
  for (std::size_t i = 0; i < pending.size(); ++i) {
    const auto& name = set_->at(i).name;
    auto& p = *pending[i];
    if (p.status.ok()) {
      out.push_back({set_->at(i).endpoint, std::move(p.response)});
    } else {
      out.push_back({set_->at(i).endpoint, error_at(p.status.error_code(), p.status.error_message(), name, timeout)});
    }
  }
  return out;
}

RpcResult<LeaderInfo> Client::leader(const CallOptions& call) {
  auto statuses = status_all(call);
  // Members may disagree during an election: believe the one with the highest term.
  const etcdserverpb::StatusResponse* best = nullptr;
  RpcError failure;
  for (const auto& s : statuses) {
    if (!s.status.ok()) {
      failure.tried.push_back(s.endpoint.host_port());
      failure.code = s.status.error().code;
      failure.message = s.status.error().message;
      failure.endpoint = s.status.error().endpoint;
      continue;
    }
    const auto& r = s.status.value();
    if (r.leader() != 0 && (best == nullptr || r.raftterm() > best->raftterm())) best = &r;
  }
  failure.timeout = call_timeout(*set_, call);
  if (best == nullptr) {
    if (failure.tried.size() == statuses.size()) return failure;  // nobody answered
    failure.code = grpc::StatusCode::UNAVAILABLE;
    failure.message = "etcdserver: no leader";
    failure.tried.clear();
    for (const auto& s : statuses) failure.tried.push_back(s.endpoint.host_port());
    failure.endpoint = failure.tried.front();
    set_->set_leader(std::nullopt);
    return failure;
  }

  LeaderInfo info;
  info.member_id = best->leader();
  info.raft_term = best->raftterm();
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    const auto& s = statuses[i];
    if (s.status.ok() && s.status.value().header().member_id() == info.member_id) {
      info.endpoint = s.endpoint;
      info.in_endpoint_list = true;
      set_->set_leader(i);
      return info;
    }
  }
  // The leader is not among our endpoints (or did not answer): its client URLs say where it is.
  set_->set_leader(std::nullopt);
  auto members = member_list(call);
  if (!members.ok()) return members.error();
  for (const auto& m : members->members()) {
    if (m.id() != info.member_id) continue;
    for (const auto& url : m.clienturls()) {
      Endpoint ep;
      if (!parse_endpoint(url, ep).empty()) continue;
      info.endpoint = ep;
      if (set_->index_of(ep)) {
        info.in_endpoint_list = true;
        break;
      }
    }
    if (!info.endpoint.host.empty()) return info;
  }
  return error_at(grpc::StatusCode::NOT_FOUND,
                  "the leader (member " + std::to_string(info.member_id) + ") publishes no usable client URL",
                  set_->at(0).name, failure.timeout);
}

RpcResult<Endpoint> Client::leader_endpoint(const CallOptions& call) {
  auto l = leader(call);
  if (!l.ok()) return l.error();
  return l->endpoint;
}

RpcResult<etcdserverpb::MoveLeaderResponse> Client::move_leader(std::uint64_t target_member_id,
                                                                const CallOptions& call) {
  auto l = leader(call);
  if (!l.ok()) return l.error();
  auto index = set_->index_of(l->endpoint);
  if (!index) {
    return error_at(grpc::StatusCode::FAILED_PRECONDITION,
                    "the leader's endpoint " + l->endpoint.host_port() +
                        " is not in the client's endpoint list; add it to move the leadership",
                    set_->at(0).name, call_timeout(*set_, call));
  }
  etcdserverpb::MoveLeaderRequest request;
  request.set_targetid(target_member_id);
  etcdserverpb::MoveLeaderResponse response;
  CallSpec spec = write_spec("MoveLeader");
  spec.only = *index;
  auto error = run_call(*set_, spec, call, [&](EndpointConn& c, grpc::ClientContext& ctx) {
    response.Clear();
    return c.maintenance->MoveLeader(&ctx, request, &response);
  });
  if (error) set_->set_leader(std::nullopt);
  return result_of(std::move(error), std::move(response));
}

}  // namespace ha::dcs
