#include "tests/chaos/workloads.hpp"

#include <algorithm>
#include <map>
#include <random>

#include "dcs/client/client.hpp"
#include "dcs/client/lease_keeper.hpp"
#include "dcs/client/txn.hpp"

namespace ha::chaos {

namespace {

using Ms = std::chrono::milliseconds;

// Each client lists the members starting at a different one, so they do not all use the same.
dcs::ClientOptions client_options(const WorkloadOptions& o, int process) {
  dcs::ClientOptions c;
  c.endpoints = o.endpoints;
  std::rotate(c.endpoints.begin(), c.endpoints.begin() + (process % static_cast<int>(c.endpoints.size())),
              c.endpoints.end());
  c.default_timeout = o.op_timeout;
  c.reconnect_backoff_initial = Ms(50);
  c.reconnect_backoff_max = Ms(500);
  c.connect_timeout = Ms(500);
  return c;
}

Value parse_value(const std::string& s) {
  try {
    return std::stoll(s);
  } catch (...) {
    return kNil + 1;  // not a value we wrote: the checker will flag it
  }
}

}  // namespace

Workloads::Workloads(WorkloadOptions options, Recorder& recorder) : options_(std::move(options)), rec_(recorder) {}

Workloads::~Workloads() { stop(); }

void Workloads::start() {
  int p = 0;
  for (int i = 0; i < options_.register_clients; ++i, ++p) threads_.emplace_back([this, p] { register_client(p); });
  for (int i = 0; i < options_.set_clients; ++i, ++p) threads_.emplace_back([this, p] { set_client(p); });
  for (int i = 0; i < options_.lock_clients; ++i, ++p) threads_.emplace_back([this, p] { lock_client(p); });
}

void Workloads::stop() {
  stop_ = true;
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void Workloads::register_client(int process) {
  dcs::Client client(client_options(options_, process));
  std::mt19937_64 rng(options_.seed * 1000 + static_cast<std::uint64_t>(process));
  std::int64_t seq = 0;
  std::map<std::string, Value> last_seen;
  const dcs::CallOptions call{options_.op_timeout, false};
  const std::int64_t epoch_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(options_.key_epoch).count();
  while (!stop_) {
    Op op;
    op.process = process;
    op.key = "r" + std::to_string(rec_.now() / epoch_ns) + "-" + std::to_string(rng() % static_cast<unsigned>(options_.keys));
    const int choice = static_cast<int>(rng() % 3);
    op.invoke_ns = rec_.now();
    if (choice == 0) {
      op.kind = OpKind::kRead;
      auto res = client.get(op.key, {}, call);
      if (res.ok()) {
        op.outcome = Outcome::kOk;
        op.result = res->kvs_size() == 0 ? kNil : parse_value(res->kvs(0).value());
        last_seen[op.key] = op.result;
      } else {
        op.outcome = Outcome::kFail;  // a read changes nothing
      }
    } else {
      op.value = (static_cast<Value>(process) + 1) * 1'000'000'000 + (++seq);
      if (choice == 1) {
        op.kind = OpKind::kWrite;
        auto res = client.put(op.key, std::to_string(op.value), {}, call);
        op.outcome = res.ok() ? Outcome::kOk : Outcome::kUnknown;
      } else {
        op.kind = OpKind::kCas;
        auto it = last_seen.find(op.key);
        op.expected = it == last_seen.end() ? kNil : it->second;
        dcs::Txn txn;
        txn.when(op.expected == kNil ? dcs::key_missing(op.key)
                                     : dcs::compare_value(op.key, dcs::CompareOp::kEqual, std::to_string(op.expected)))
            .then(dcs::op_put(op.key, std::to_string(op.value)));
        auto res = client.txn(txn, call);
        if (!res.ok()) {
          op.outcome = Outcome::kUnknown;
        } else {
          op.outcome = res->succeeded() ? Outcome::kOk : Outcome::kFail;
        }
      }
      if (op.outcome == Outcome::kOk) last_seen[op.key] = op.value;
      if (op.outcome == Outcome::kFail) last_seen.erase(op.key);
    }
    op.complete_ns = rec_.now();
    rec_.add(op);
    if (op.outcome != Outcome::kOk) std::this_thread::sleep_for(Ms(50));
  }
}

void Workloads::set_client(int process) {
  dcs::Client client(client_options(options_, process));
  std::int64_t seq = 0;
  const dcs::CallOptions call{options_.op_timeout, false};
  while (!stop_) {
    Op op;
    op.process = process;
    op.kind = OpKind::kAdd;
    op.key = kSetKey;
    op.value = (static_cast<Value>(process) + 1) * 1'000'000'000 + (++seq);
    op.invoke_ns = rec_.now();
    auto res = client.put(std::string("s/") + std::to_string(op.value), "1", {}, call);
    op.outcome = res.ok() ? Outcome::kOk : Outcome::kUnknown;
    op.complete_ns = rec_.now();
    rec_.add(op);
    std::this_thread::sleep_for(Ms(op.outcome == Outcome::kOk ? 5 : 50));
  }
}

bool Workloads::final_set_read(std::chrono::milliseconds timeout) {
  dcs::Client client(client_options(options_, 0));
  const auto end = Recorder::Clock::now() + timeout;
  while (Recorder::Clock::now() < end) {
    dcs::GetOptions get;
    get.prefix = true;
    const std::int64_t t0 = rec_.now();
    auto res = client.get("s/", get, dcs::CallOptions{Ms(5000), false});
    if (!res.ok()) {
      std::this_thread::sleep_for(Ms(200));
      continue;
    }
    const std::int64_t t1 = rec_.now();
    auto record = [&](Value v) {
      Op op;
      op.process = -1;
      op.kind = OpKind::kRead;
      op.key = kSetKey;
      op.result = v;
      op.outcome = Outcome::kOk;
      op.invoke_ns = t0;
      op.complete_ns = t1;
      rec_.add(op);
    };
    if (res->kvs_size() == 0) record(kNil);
    for (const auto& kv : res->kvs()) record(parse_value(kv.key().substr(2)));
    return true;
  }
  return false;
}

void Workloads::lock_client(int process) {
  dcs::Client client(client_options(options_, process));
  std::mt19937_64 rng(options_.seed * 2000 + static_cast<std::uint64_t>(process));
  std::int64_t seq = 0;
  const dcs::CallOptions call{options_.op_timeout, false};
  while (!stop_) {
    std::this_thread::sleep_for(Ms(50 + rng() % 200));
    auto grant = client.lease_grant(options_.lock_ttl_seconds, 0, call);
    if (!grant.ok()) continue;
    const std::int64_t lease = grant->id();
    {
      dcs::LeaseKeeper keeper(client, lease);
      if (keeper.wait_confirmed(Ms(1000))) {
        Op op;
        op.process = process;
        op.kind = OpKind::kLock;
        op.key = kLockKey;
        op.value = (static_cast<Value>(process) + 1) * 1'000'000'000 + (++seq);
        const std::string token = std::to_string(op.value);
        dcs::Txn acquire;
        acquire.when(dcs::key_missing(kLockKey)).then(dcs::op_put(kLockKey, token, dcs::PutOptions{lease}));
        auto res = client.txn(acquire, call);
        if (!res.ok() || res->succeeded()) {
          // Held from the acknowledgement, while the lease is surely alive, until the release is sent.
          op.invoke_ns = rec_.now();
          op.outcome = res.ok() ? Outcome::kOk : Outcome::kUnknown;
          const auto hold_until = Recorder::Clock::now() + Ms(200 + rng() % 1300);
          while (res.ok() && !stop_ && Recorder::Clock::now() < hold_until && keeper.alive()) {
            std::this_thread::sleep_for(Ms(20));
          }
          const std::int64_t release_at = rec_.now();
          const std::int64_t expiry = rec_.to_ns(keeper.expiry());
          op.complete_ns = std::min(release_at, expiry);
          if (op.complete_ns < op.invoke_ns) op.complete_ns = op.invoke_ns;  // expired before we knew
          rec_.add(op);
          dcs::Txn release;
          release.when(dcs::value_is(kLockKey, token)).then(dcs::op_del(kLockKey));
          (void)client.txn(release, call);
        }
      }
      keeper.stop();
    }
    (void)client.lease_revoke(lease, call);
  }
}

}  // namespace ha::chaos
