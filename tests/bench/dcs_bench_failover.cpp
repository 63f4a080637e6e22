// dcs_bench_failover: kill -9 the leader and time the first acknowledged put; wait for a healthy
// cluster (see dcs_bench_failover.hpp).
#include "tests/bench/dcs_bench_failover.hpp"

#include <signal.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <random>
#include <stdexcept>
#include <thread>

#include "proto/etcd/rpc.grpc.pb.h"
#include "tests/bench/dcs_bench_util.hpp"

namespace ha::bench {
namespace {

// One async call to a survivor: a put attempt or a Status poll.
struct Attempt {
  bool is_put = true;
  int endpoint = -1;
  grpc::ClientContext ctx;
  etcdserverpb::PutResponse put_resp;
  etcdserverpb::StatusResponse status_resp;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::PutResponse>> put_rpc;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::StatusResponse>> status_rpc;
};

std::string error_kind(const grpc::Status& st) {
  return std::to_string(static_cast<int>(st.error_code())) + " " + st.error_message();
}

}  // namespace

FailoverResult run_failover(const FailoverOptions& o) {
  if (o.endpoints.size() != o.pids.size() || o.endpoints.size() < 2) {
    throw std::runtime_error("failover needs one PID per endpoint and at least two endpoints");
  }
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (const auto& e : o.endpoints) channels.push_back(make_channel(e));
  std::string err;
  if (!connect_all(channels, o.endpoints, std::chrono::seconds(10), &err)) {
    throw std::runtime_error(err);
  }
  ClusterView view = view_cluster(channels, std::chrono::seconds(2), true);
  if (view.leader_index < 0) throw std::runtime_error("before the kill: " + view.problem);

  FailoverResult r;
  r.killed_index = view.leader_index;
  r.old_leader = view.members[static_cast<std::size_t>(view.leader_index)].member_id;
  std::vector<int> survivors;
  std::vector<std::unique_ptr<etcdserverpb::KV::Stub>> kv;
  std::vector<std::unique_ptr<etcdserverpb::Maintenance::Stub>> mt;
  for (std::size_t i = 0; i < channels.size(); ++i) {
    kv.push_back(etcdserverpb::KV::NewStub(channels[i]));
    mt.push_back(etcdserverpb::Maintenance::NewStub(channels[i]));
    if (static_cast<int>(i) != r.killed_index) survivors.push_back(static_cast<int>(i));
  }
  const std::string value(o.value_bytes, 'f');

  if (o.jitter.count() > 0) {
    std::random_device rd;
    std::uniform_int_distribution<long> d(0, o.jitter.count() * 1000 - 1);
    std::this_thread::sleep_for(std::chrono::microseconds(d(rd)));
  }

  grpc::CompletionQueue cq;
  std::vector<Attempt*> outstanding;
  std::uint64_t seq = 0;
  auto launch = [&](int ep, bool is_put) {
    auto* a = new Attempt;
    a->is_put = is_put;
    a->endpoint = ep;
    a->ctx.set_deadline(std::chrono::system_clock::now() + o.attempt_timeout);
    auto idx = static_cast<std::size_t>(ep);
    if (is_put) {
      etcdserverpb::PutRequest req;
      req.set_key(o.key_prefix + std::to_string(seq++));
      req.set_value(value);
      a->put_rpc = kv[idx]->AsyncPut(&a->ctx, req, &cq);
      a->put_rpc->Finish(&a->put_resp, &a->status, a);
      ++r.attempts;
    } else {
      a->status_rpc = mt[idx]->AsyncStatus(&a->ctx, etcdserverpb::StatusRequest(), &cq);
      a->status_rpc->Finish(&a->status_resp, &a->status, a);
    }
    outstanding.push_back(a);
  };
  auto forget = [&](Attempt* a) {
    for (auto& p : outstanding) {
      if (p == a) {
        p = outstanding.back();
        outstanding.pop_back();
        break;
      }
    }
    delete a;
  };

  const pid_t victim = o.pids[static_cast<std::size_t>(r.killed_index)];
  const auto t0 = Clock::now();
  if (::kill(victim, SIGKILL) != 0) {
    throw std::runtime_error("kill -9 " + std::to_string(victim) + ": " + std::strerror(errno));
  }
  auto next_tick = t0;
  const auto give_up = t0 + o.max_wait;
  while (r.ack_ms < 0 && Clock::now() < give_up) {
    if (Clock::now() >= next_tick) {
      for (int ep : survivors) {
        launch(ep, true);
        if (r.leader_seen_ms < 0) launch(ep, false);
      }
      next_tick += o.retry;
    }
    void* tag = nullptr;
    bool ok = false;
    auto wait_until = std::chrono::system_clock::now() +
                      std::chrono::duration_cast<std::chrono::system_clock::duration>(
                          std::max(next_tick - Clock::now(), Clock::duration::zero()));
    while (r.ack_ms < 0) {
      auto st = cq.AsyncNext(&tag, &ok, wait_until);
      if (st != grpc::CompletionQueue::GOT_EVENT) break;
      auto now = Clock::now();
      auto* a = static_cast<Attempt*>(tag);
      if (a->is_put) {
        if (a->status.ok()) {
          r.ack_ms = ms_between(t0, now);
          r.acked_by = a->endpoint;
        } else {
          ++r.failed;
          ++r.error_kinds[error_kind(a->status)];
        }
      } else if (a->status.ok() && r.leader_seen_ms < 0 && a->status_resp.leader() != 0 &&
                 a->status_resp.leader() != r.old_leader) {
        r.leader_seen_ms = ms_between(t0, now);
      }
      forget(a);
    }
  }
  for (Attempt* a : outstanding) a->ctx.TryCancel();
  while (!outstanding.empty()) {
    void* tag = nullptr;
    bool ok = false;
    if (!cq.Next(&tag, &ok)) break;
    forget(static_cast<Attempt*>(tag));
  }
  cq.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq.Next(&tag, &ok)) delete static_cast<Attempt*>(tag);
  return r;
}

HealthResult wait_healthy(const std::vector<std::string>& endpoints,
                          std::chrono::milliseconds timeout) {
  HealthResult h;
  const auto t0 = Clock::now();
  const auto give_up = t0 + timeout;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (const auto& e : endpoints) channels.push_back(make_channel(e));
  const auto short_wait = std::chrono::milliseconds(1000);
  while (Clock::now() < give_up) {
    ClusterView view = view_cluster(channels, short_wait, true);
    if (view.leader_index < 0) {
      h.problem = view.problem;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    auto leader = static_cast<std::size_t>(view.leader_index);
    auto stub = etcdserverpb::KV::NewStub(channels[leader]);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    ctx.set_wait_for_ready(true);
    etcdserverpb::PutRequest req;
    req.set_key("dcs_bench/health");
    req.set_value("ok");
    etcdserverpb::PutResponse resp;
    grpc::Status st = stub->Put(&ctx, req, &resp);
    if (!st.ok()) {
      h.problem = "a put through the leader failed: " + st.error_message();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    MemberStatus ls = query_status(channels[leader], short_wait);
    if (!ls.ok) continue;
    bool caught_up = false;
    while (!caught_up && Clock::now() < give_up) {
      caught_up = true;
      for (std::size_t i = 0; i < channels.size(); ++i) {
        MemberStatus m = query_status(channels[i], short_wait);
        if (!m.ok || m.applied_index < ls.raft_index) {
          caught_up = false;
          h.problem = "endpoint " + std::to_string(i) + " has not caught up";
        }
      }
      if (!caught_up) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!caught_up) break;
    h.healthy = true;
    h.leader_index = view.leader_index;
    h.problem.clear();
    break;
  }
  h.ms = ms_between(t0, Clock::now());
  return h;
}

}  // namespace ha::bench
