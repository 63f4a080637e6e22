// dcs_bench_load: the closed-loop put load of dcs_bench (see dcs_bench_load.hpp). Each worker
// thread owns a completion queue and the clients bound to it; a client issues its next put as soon
// as the previous one completes, so `clients` is the number of puts in flight.
#include "tests/bench/dcs_bench_load.hpp"

#include <grpcpp/alarm.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <thread>

#include "proto/etcd/rpc.grpc.pb.h"

namespace ha::bench {
namespace {

constexpr auto kRetryPause = std::chrono::milliseconds(10);  // after a failed put

struct Shared {
  std::atomic<bool> measuring{false};
  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> acked{0};  // inside the window, for --total
  std::atomic<Clock::rep> window_start{0};
};

struct Worker;

struct Client {
  etcdserverpb::KV::Stub* stub = nullptr;
  Worker* worker = nullptr;
  std::string key_base;
  std::uint64_t seq = 0;
};

// One put in flight, or the pause after a failed one (then `alarm` is set and `waiting` true).
struct Call {
  Client* client = nullptr;
  grpc::ClientContext ctx;
  etcdserverpb::PutResponse resp;
  grpc::Status status;
  Clock::time_point start;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::PutResponse>> rpc;
  grpc::Alarm alarm;
  bool waiting = false;
};

struct Worker {
  grpc::CompletionQueue cq;
  std::vector<Client*> clients;
  std::vector<std::uint32_t> samples_us;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> events;  // (ms into the window, latency us)
  std::uint64_t errors = 0;
  std::map<std::string, std::uint64_t> error_kinds;
  int outstanding = 0;
};

class Load {
 public:
  explicit Load(const LoadOptions& o) : o_(o), value_(make_value(o.value_bytes)) {}

  LoadResult run() {
    setup();
    std::vector<std::thread> threads;
    for (auto& w : workers_) threads.emplace_back([this, wp = w.get()] { work(*wp); });

    auto sleep_s = [](double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); };
    sleep_s(o_.warmup_s);
    auto start = Clock::now();
    auto wall_start = std::chrono::system_clock::now();
    shared_.window_start = start.time_since_epoch().count();
    shared_.measuring = true;
    auto end_by = start + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(o_.duration_s));
    while (Clock::now() < end_by) {
      if (o_.total > 0 && shared_.acked.load(std::memory_order_relaxed) >= o_.total) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(o_.total > 0 ? 1 : 20));
    }
    shared_.stopping = true;
    auto stop = Clock::now();
    for (auto& t : threads) t.join();

    LoadResult r;
    r.seconds = std::chrono::duration<double>(stop - start).count();
    std::vector<std::uint32_t> all;
    for (auto& w : workers_) {
      all.insert(all.end(), w->samples_us.begin(), w->samples_us.end());
      r.errors += w->errors;
      for (const auto& [k, n] : w->error_kinds) r.error_kinds[k] += n;
    }
    r.acked = all.size();
    r.latency = summarize(all);
    r.window_start = wall_start;
    if (o_.timeline_ms > 0) {
      auto n = static_cast<std::size_t>(r.seconds * 1000 / o_.timeline_ms) + 1;
      r.timeline.resize(n);
      for (auto& w : workers_) {
        for (auto [ms, us] : w->events) {
          auto& b = r.timeline[std::min<std::size_t>(
              ms / static_cast<std::uint32_t>(o_.timeline_ms), n - 1)];
          ++b.acked;
          b.max_us = std::max(b.max_us, us);
        }
      }
    }
    return r;
  }

 private:
  static std::string make_value(std::size_t n) {
    std::string v(n, 'x');
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<char>('a' + (i * 7 + 3) % 26);
    return v;
  }

  void setup() {
    if (o_.targets.empty()) throw std::runtime_error("no endpoints");
    int conns = std::max(1, std::min(o_.conns, o_.clients));
    std::vector<std::string> names;
    for (int i = 0; i < conns; ++i) {
      names.push_back(o_.targets[static_cast<std::size_t>(i) % o_.targets.size()]);
      channels_.push_back(make_channel(names.back()));
      stubs_.push_back(etcdserverpb::KV::NewStub(channels_.back()));
    }
    std::string err;
    if (!connect_all(channels_, names, std::chrono::seconds(10), &err)) {
      throw std::runtime_error(err);
    }
    int threads = std::max(1, std::min(o_.threads, o_.clients));
    for (int i = 0; i < threads; ++i) {
      workers_.push_back(std::make_unique<Worker>());
      workers_.back()->samples_us.reserve(1 << 16);
    }
    for (int i = 0; i < o_.clients; ++i) {
      auto c = std::make_unique<Client>();
      c->stub = stubs_[static_cast<std::size_t>(i % conns)].get();
      c->worker = workers_[static_cast<std::size_t>(i % threads)].get();
      char buf[32];
      std::snprintf(buf, sizeof buf, "%04x/", i);
      c->key_base = o_.key_prefix + buf;
      c->worker->clients.push_back(c.get());
      clients_.push_back(std::move(c));
    }
  }

  void issue(Client& c) {
    auto* call = new Call;
    call->client = &c;
    call->ctx.set_deadline(std::chrono::system_clock::now() + o_.timeout);
    etcdserverpb::PutRequest req;
    char seq[24];
    std::snprintf(seq, sizeof seq, "%010llu", static_cast<unsigned long long>(c.seq++));
    req.set_key(c.key_base + seq);
    req.set_value(value_);
    call->start = Clock::now();
    call->rpc = c.stub->AsyncPut(&call->ctx, req, &c.worker->cq);
    call->rpc->Finish(&call->resp, &call->status, call);
    ++c.worker->outstanding;
  }

  void work(Worker& w) {
    for (Client* c : w.clients) issue(*c);
    while (w.outstanding > 0) {
      void* tag = nullptr;
      bool ok = false;
      auto r = w.cq.AsyncNext(&tag, &ok,
                              std::chrono::system_clock::now() + std::chrono::milliseconds(50));
      if (r == grpc::CompletionQueue::TIMEOUT) continue;
      if (r == grpc::CompletionQueue::SHUTDOWN) break;
      auto now = Clock::now();
      std::unique_ptr<Call> call(static_cast<Call*>(tag));
      --w.outstanding;
      Client& c = *call->client;
      bool stopping = shared_.stopping.load(std::memory_order_relaxed);
      if (call->waiting) {  // the pause after an error is over
        if (!stopping) issue(c);
        continue;
      }
      bool counted = !stopping && shared_.measuring.load(std::memory_order_relaxed);
      if (call->status.ok()) {
        if (counted) {
          auto us =
              std::chrono::duration_cast<std::chrono::microseconds>(now - call->start).count();
          auto lat = static_cast<std::uint32_t>(std::min<long long>(us, UINT32_MAX));
          w.samples_us.push_back(lat);
          if (o_.timeline_ms > 0) {
            auto since = now - Clock::time_point(Clock::duration(shared_.window_start.load()));
            auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since).count();
            w.events.emplace_back(static_cast<std::uint32_t>(std::max<long long>(ms, 0)), lat);
          }
          shared_.acked.fetch_add(1, std::memory_order_relaxed);
        }
        if (!stopping) issue(c);
        continue;
      }
      if (counted) {
        ++w.errors;
        ++w.error_kinds[std::to_string(static_cast<int>(call->status.error_code())) + " " +
                        call->status.error_message()];
      }
      if (stopping) continue;
      auto* pause = new Call;
      pause->client = &c;
      pause->waiting = true;
      pause->alarm.Set(&w.cq, std::chrono::system_clock::now() + kRetryPause, pause);
      ++w.outstanding;
    }
    w.cq.Shutdown();
    void* tag = nullptr;
    bool ok = false;
    while (w.cq.Next(&tag, &ok)) delete static_cast<Call*>(tag);
  }

  const LoadOptions& o_;
  const std::string value_;
  Shared shared_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<etcdserverpb::KV::Stub>> stubs_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::unique_ptr<Client>> clients_;
};

}  // namespace

LoadResult run_put_load(const LoadOptions& o) { return Load(o).run(); }

}  // namespace ha::bench
