// raft_snapshot_bench: how long storing a snapshot keeps the Raft driver thread busy. For each
// size, rounds of: 10,000 entries of 256 bytes in synced batches of 100 (like a busy driver),
// then a snapshot at the last index. Prints per round the worker part (prepare_snapshot: write
// and sync the data), the driver part (commit_snapshot), the first synced save after it (which
// removes the replaced data) and the slowest synced save of the next round. Asserts nothing.
//   raft_snapshot_bench [DIR [ROUNDS [MB...]]]     default: /tmp 5 3 30
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "raft/rocksdb_storage.hpp"

namespace {

using ha::raft::Entry;
using ha::raft::HardState;
using ha::raft::Index;
using ha::raft::RocksDbStorage;
using ha::raft::Snapshot;
using Clock = std::chrono::steady_clock;

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// Appends `count` entries after `last` in synced batches of 100; returns the slowest save.
Clock::duration append(RocksDbStorage& store, Index& last, int count) {
  Clock::duration slowest{};
  for (int done = 0; done < count; done += 100) {
    std::vector<Entry> batch;
    for (int k = 0; k < 100; ++k) {
      ++last;
      batch.push_back(Entry{1, last, ha::raft::EntryType::kNormal, std::string(256, 'v')});
    }
    HardState hs{1, 1, last};
    auto t0 = Clock::now();
    store.save(&hs, batch, nullptr, true);
    slowest = std::max(slowest, Clock::now() - t0);
  }
  return slowest;
}

void run(const std::string& base, int rounds, std::size_t mb) {
  const std::string dir = base + "/raft-snapshot-bench-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  RocksDbStorage::OpenOptions options;
  options.bootstrap = ha::raft::ConfState{{1}, {}};
  auto store = RocksDbStorage::open(dir, options);
  std::string data(mb << 20, '\0');
  std::mt19937_64 rng(mb);
  for (std::size_t i = 0; i + 8 <= data.size(); i += 8) {
    std::uint64_t v = rng();
    data.replace(i, 8, reinterpret_cast<const char*>(&v), 8);
  }
  std::printf("%zu MB snapshots (%s)\n", mb, dir.c_str());
  std::printf(
      "  round  prepare(worker) ms  commit(driver) ms  next synced save ms  slowest save "
      "of next round ms\n");
  Index last = 0;
  append(*store, last, 10000);
  for (int r = 1; r <= rounds; ++r) {
    Snapshot s;
    s.metadata = ha::raft::SnapshotMetadata{last, 1, ha::raft::ConfState{{1}, {}}};
    data[0] = static_cast<char>(r);
    s.data = data;
    auto t0 = Clock::now();
    auto prepared = store->prepare_snapshot(s);
    auto t1 = Clock::now();
    store->commit_snapshot(std::move(prepared));
    auto t2 = Clock::now();
    Clock::duration next = append(*store, last, 100);
    Clock::duration slowest = append(*store, last, 9900);
    std::printf("  %5d  %18.1f  %17.2f  %19.2f  %27.2f\n", r, ms(t1 - t0), ms(t2 - t1), ms(next),
                ms(slowest));
  }
  store.reset();
  std::error_code ec;  // RocksDB's background threads may still be removing a file
  std::filesystem::remove_all(dir, ec);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string base = argc > 1 ? argv[1] : "/tmp";
  const int rounds = argc > 2 ? std::stoi(argv[2]) : 5;
  std::vector<std::size_t> sizes;
  for (int i = 3; i < argc; ++i) sizes.push_back(std::stoul(argv[i]));
  if (sizes.empty()) sizes = {3, 30};
  try {
    for (std::size_t mb : sizes) run(base, rounds, mb);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "raft_snapshot_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
