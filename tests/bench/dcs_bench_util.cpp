// dcs_bench_util: endpoint lists, channels, Status probes, leader discovery and percentiles for
// dcs_bench (see dcs_bench_util.hpp).
#include "tests/bench/dcs_bench_util.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "proto/etcd/rpc.grpc.pb.h"

namespace ha::bench {

std::vector<std::string> parse_endpoints(const std::string& csv) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= csv.size()) {
    std::size_t comma = csv.find(',', pos);
    if (comma == std::string::npos) comma = csv.size();
    std::string item = csv.substr(pos, comma - pos);
    for (const char* scheme : {"http://", "https://"}) {
      if (item.rfind(scheme, 0) == 0) item.erase(0, std::string(scheme).size());
    }
    while (!item.empty() && item.back() == '/') item.pop_back();
    if (item.empty() || item.find(':') == std::string::npos) return {};  // host:port
    out.push_back(item);
    pos = comma + 1;
  }
  return out;
}

std::shared_ptr<grpc::Channel> make_channel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  // Reconnect quickly to a restarted member (failover rounds), not after gRPC's 1 s+ backoff.
  // GRPC_ARG_MIN_RECONNECT_BACKOFF_MS is also the connect timeout (handshake included): 2 s is
  // ample on loopback, and a member that accepts but does not answer costs 2 s, not 20.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 20);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 2000);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 200);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

bool connect_all(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                 const std::vector<std::string>& names, std::chrono::milliseconds timeout,
                 std::string* error) {
  auto deadline = std::chrono::system_clock::now() + timeout;
  for (std::size_t i = 0; i < channels.size(); ++i) {
    if (!channels[i]->WaitForConnected(deadline)) {
      if (error) *error = "cannot connect to " + (i < names.size() ? names[i] : "an endpoint");
      return false;
    }
  }
  return true;
}

MemberStatus query_status(const std::shared_ptr<grpc::Channel>& channel,
                          std::chrono::milliseconds timeout) {
  MemberStatus s;
  auto stub = etcdserverpb::Maintenance::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  // A synchronous client polls its connections only during calls: a fail-fast call on a channel
  // in backoff would fail at once without ever letting it reconnect. So wait for a connection.
  ctx.set_wait_for_ready(true);
  etcdserverpb::StatusRequest req;
  etcdserverpb::StatusResponse resp;
  grpc::Status st = stub->Status(&ctx, req, &resp);
  if (!st.ok()) {
    s.error = st.error_message();
    return s;
  }
  s.ok = true;
  s.member_id = resp.header().member_id();
  s.leader = resp.leader();
  s.raft_term = resp.raftterm();
  s.raft_index = resp.raftindex();
  s.applied_index = resp.raftappliedindex();
  return s;
}

ClusterView view_cluster(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                         std::chrono::milliseconds timeout, bool require_all) {
  ClusterView v;
  std::set<std::uint64_t> leaders;
  for (std::size_t i = 0; i < channels.size(); ++i) {
    v.members.push_back(query_status(channels[i], timeout));
    const auto& m = v.members.back();
    if (!m.ok) {
      if (require_all && v.problem.empty()) {
        v.problem = "endpoint " + std::to_string(i) + " does not answer: " + m.error;
      }
      continue;
    }
    leaders.insert(m.leader);
  }
  if (!v.problem.empty()) return v;
  if (leaders.empty()) {
    v.problem = "no endpoint answers";
    return v;
  }
  if (leaders.size() > 1 || *leaders.begin() == 0) {
    v.problem = leaders.size() > 1 ? "members name different leaders" : "no leader";
    return v;
  }
  for (std::size_t i = 0; i < v.members.size(); ++i) {
    if (v.members[i].ok && v.members[i].member_id == *leaders.begin()) {
      v.leader_index = static_cast<int>(i);
    }
  }
  if (v.leader_index < 0) v.problem = "the leader is not among the endpoints";
  return v;
}

LatencySummary summarize(std::vector<std::uint32_t>& samples_us) {
  LatencySummary s;
  s.count = samples_us.size();
  if (samples_us.empty()) return s;
  std::sort(samples_us.begin(), samples_us.end());
  double sum = 0;
  for (auto v : samples_us) sum += v;
  auto rank = [&](double p) {
    auto n = static_cast<double>(samples_us.size());
    auto idx = static_cast<std::size_t>(std::ceil(p * n));
    idx = std::clamp<std::size_t>(idx, 1, samples_us.size());
    return samples_us[idx - 1] / 1000.0;
  };
  s.avg_ms = sum / static_cast<double>(samples_us.size()) / 1000.0;
  s.p50_ms = rank(0.50);
  s.p99_ms = rank(0.99);
  s.max_ms = samples_us.back() / 1000.0;
  return s;
}

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

}  // namespace ha::bench
