// core_bench: committed proposals per second of the Raft core alone: a 3-node cluster in one
// thread over MemoryStorage, messages handed from core to core in-process, no I/O, small
// entries, proposals batched with propose_batch. Prints one row per batch size. It measures the
// core's own cost (log, progress, messages, commit), not a transport or a disk.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "raft/memory_storage.hpp"
#include "raft/node.hpp"

using namespace ha::raft;

namespace {

constexpr int kNodes = 3;

struct Member {
  std::unique_ptr<MemoryStorage> storage;
  std::unique_ptr<Node> node;
  Index applied = 0;
};

struct Result {
  std::uint64_t committed = 0;
  double seconds = 0;
  std::uint64_t readies = 0;
  std::uint64_t messages = 0;
};

class Bench {
 public:
  Bench() {
    ConfState cs{{1, 2, 3}, {}};
    for (NodeId id = 1; id <= kNodes; ++id) {
      Member m;
      m.storage = std::make_unique<MemoryStorage>(cs);
      Config c;
      c.id = id;
      c.seed = id;
      c.max_size_per_msg = 1 << 20;
      c.max_inflight_msgs = 256;
      m.node = std::make_unique<Node>(c, *m.storage);
      members_.push_back(std::move(m));
    }
    members_[0].node->campaign();
    for (int i = 0; i < 100 && !members_[0].node->is_leader(); ++i) round();
    while (busy()) round();
  }

  // Proposes `total` entries in batches of `batch` and runs until all are applied on the leader.
  Result run(std::uint64_t total, std::size_t batch) {
    Result r;
    const std::string payload = "01234567";  // 8 bytes: a small entry
    std::uint64_t proposed = 0;
    std::uint64_t start_applied = leader_applied_;
    auto t0 = std::chrono::steady_clock::now();
    readies_ = messages_ = 0;
    while (leader_applied_ - start_applied < total) {
      if (proposed < total) {
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(batch, total - proposed));
        std::vector<std::string> data(n, payload);
        if (members_[0].node->propose_batch(std::move(data)) == ProposeResult::kOk) proposed += n;
      }
      round();
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.committed = leader_applied_ - start_applied;
    r.readies = readies_;
    r.messages = messages_;
    return r;
  }

 private:
  bool busy() {
    if (!queue_.empty()) return true;
    for (Member& m : members_)
      if (m.node->has_ready()) return true;
    return false;
  }

  // Every node handles its Ready (persist, queue messages, apply, advance); then every queued
  // message is stepped into its destination.
  void round() {
    for (std::size_t i = 0; i < members_.size(); ++i) {
      Member& m = members_[i];
      if (!m.node->has_ready()) continue;
      Ready rd = m.node->ready();
      ++readies_;
      m.storage->save(rd.hard_state ? &*rd.hard_state : nullptr, rd.entries, rd.snapshot ? &*rd.snapshot : nullptr,
                      rd.must_sync);
      for (Message& msg : rd.messages) queue_.push_back(std::move(msg));
      for (const Entry& e : rd.committed_entries) {
        m.applied = e.index;
        if (i == 0 && !e.data.empty()) ++leader_applied_;
      }
      m.node->advance(rd);
      // Keep memory bounded: compact well behind the applied index.
      if (m.applied > m.storage->first_index() + 2 * kCompactEvery) {
        Snapshot s;
        s.metadata.index = m.applied - kCompactEvery;
        s.metadata.term = m.storage->term(s.metadata.index);
        s.metadata.conf_state = m.node->conf_state_at(s.metadata.index);
        m.storage->compact(s);
      }
    }
    while (!queue_.empty()) {
      Message msg = std::move(queue_.front());
      queue_.pop_front();
      ++messages_;
      members_[msg.to - 1].node->step(msg);
    }
  }

  static constexpr Index kCompactEvery = 100000;
  std::vector<Member> members_;
  std::deque<Message> queue_;
  std::uint64_t leader_applied_ = 0;
  std::uint64_t readies_ = 0;
  std::uint64_t messages_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t total = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2'000'000;
  std::printf("core_bench: 3 voters in one thread, MemoryStorage, 8-byte entries, %llu proposals per row\n\n",
              static_cast<unsigned long long>(total));
  std::printf("| batch | committed | seconds | committed/s | Readys/s | messages/s |\n");
  std::printf("|------:|----------:|--------:|------------:|---------:|-----------:|\n");
  for (std::size_t batch : {1, 16, 64, 256, 1024, 4096}) {
    Bench bench;
    std::uint64_t n = batch == 1 ? std::min<std::uint64_t>(total, 200'000) : total;
    Result r = bench.run(n, batch);
    std::printf("| %5zu | %9llu | %7.2f | %11.0f | %8.0f | %10.0f |\n", batch,
                static_cast<unsigned long long>(r.committed), r.seconds, static_cast<double>(r.committed) / r.seconds,
                static_cast<double>(r.readies) / r.seconds, static_cast<double>(r.messages) / r.seconds);
    std::fflush(stdout);
  }
  return 0;
}
