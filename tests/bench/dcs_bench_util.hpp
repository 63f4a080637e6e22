// dcs_bench_util: what the dcs_bench modes share: endpoint lists, one gRPC channel per connection,
// Maintenance.Status probes and leader discovery, latency percentiles. Not a client library (that
// is dcs/client); only what a load generator needs, with no retries hidden from the measurement.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ha::bench {

using Clock = std::chrono::steady_clock;

// "http://127.0.0.1:2379,127.0.0.1:2380" -> {"127.0.0.1:2379", "127.0.0.1:2380"}. Empty on a
// malformed list (an empty item, or one without a port).
std::vector<std::string> parse_endpoints(const std::string& csv);

// A channel with its own TCP connection (gRPC would otherwise share one connection between
// channels to the same address), so N channels are N connections, as etcd's --conns.
std::shared_ptr<grpc::Channel> make_channel(const std::string& target);

// Waits until every channel is connected; false with `error` set if one is not within `timeout`.
// `names[i]` names channels[i] in the error.
bool connect_all(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                 const std::vector<std::string>& names, std::chrono::milliseconds timeout,
                 std::string* error);

struct MemberStatus {
  bool ok = false;
  std::string error;  // the RPC error when !ok
  std::uint64_t member_id = 0;
  std::uint64_t leader = 0;
  std::uint64_t raft_term = 0;
  std::uint64_t raft_index = 0;
  std::uint64_t applied_index = 0;
};

MemberStatus query_status(const std::shared_ptr<grpc::Channel>& channel,
                          std::chrono::milliseconds timeout);

struct ClusterView {
  std::vector<MemberStatus> members;  // in endpoint order
  int leader_index = -1;              // the endpoint whose member ID is the agreed leader
  std::string problem;                // why there is no agreed leader, when leader_index < 0
};

// Asks every endpoint for its Status; a leader is agreed when every answering member names the
// same one and it is among the endpoints. `require_all`: also fail when one does not answer.
ClusterView view_cluster(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                         std::chrono::milliseconds timeout, bool require_all);

struct LatencySummary {
  std::uint64_t count = 0;
  double avg_ms = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

// Nearest-rank percentiles of samples in microseconds (sorts them).
LatencySummary summarize(std::vector<std::uint32_t>& samples_us);

double ms_between(Clock::time_point a, Clock::time_point b);

}  // namespace ha::bench
