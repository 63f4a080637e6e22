// storage_bench: synced appends per second and MB/s of RocksDbStorage at batch sizes 1, 16 and
// 256 entries (256-byte entries, one save() with sync per batch, as a driver does per Ready),
// printed beside the raw fsync rate of the same disk (4 KiB write + fdatasync) measured in the
// same run. A program that prints figures, not a test.
//
//   storage_bench [--dir DIR] [--seconds S] [--entry-bytes N]
//     --dir          where to make the temporary directory (default /tmp); it is removed after
//     --seconds      time per row (default 3)
//     --entry-bytes  payload of each entry (default 256)
#include <fcntl.h>
#include <rocksdb/version.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "raft/rocksdb_storage.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using ha::raft::Entry;
using ha::raft::HardState;
using ha::raft::Index;
using ha::raft::RocksDbStorage;

struct Options {
  std::string dir = "/tmp";
  double seconds = 3.0;
  std::size_t entry_bytes = 256;
};

struct Latencies {
  std::vector<double> us;
  double percentile(double p) {
    if (us.empty()) return 0;
    std::sort(us.begin(), us.end());
    return us[std::min(us.size() - 1,
                       static_cast<std::size_t>(p * static_cast<double>(us.size())))];
  }
};

struct RawResult {
  double per_second = 0;
  double p50_us = 0;
};

// 4 KiB written then fdatasync'd, in a loop, each write appending to the file
// (the file grows, like a write-ahead log).
RawResult raw_fsync(const std::string& dir, double seconds) {
  const std::string path = dir + "/raw-fsync";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::perror(path.c_str());
    std::exit(1);
  }
  std::vector<char> block(4096, 'r');
  Latencies lat;
  off_t offset = 0;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  std::uint64_t n = 0;
  for (auto now = start; now < end; ++n) {
    if (::pwrite(fd, block.data(), block.size(), offset) != static_cast<ssize_t>(block.size()) ||
        ::fdatasync(fd) != 0) {
      std::perror("raw fsync loop");
      std::exit(1);
    }
    offset += static_cast<off_t>(block.size());
    auto after = Clock::now();
    lat.us.push_back(std::chrono::duration<double, std::micro>(after - now).count());
    now = after;
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(fd);
  std::filesystem::remove(path);
  return RawResult{static_cast<double>(n) / elapsed, lat.percentile(0.5)};
}

struct Row {
  std::size_t batch = 0;
  double saves_per_s = 0;
  double entries_per_s = 0;
  double mb_per_s = 0;
  double p50_us = 0;
  double p99_us = 0;
  std::uint64_t syncs = 0;
};

Row store_row(const std::string& dir, std::size_t batch, const Options& o) {
  const std::string store_dir = dir + "/store-" + std::to_string(batch);
  auto store = RocksDbStorage::open(store_dir);
  std::string payload(o.entry_bytes, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i)
    payload[i] = static_cast<char>((i * 131) ^ (i >> 3));
  std::vector<Entry> entries(batch);
  for (Entry& e : entries) {
    e.term = 1;
    e.data = payload;
  }
  HardState hs{1, 1, 0};
  Index next = 1;
  Latencies lat;
  std::uint64_t saves = 0;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(o.seconds);
  for (auto now = start; now < end; ++saves) {
    for (Entry& e : entries) e.index = next++;
    hs.commit = next - 1;
    store->save(&hs, entries, nullptr, true);
    auto after = Clock::now();
    lat.us.push_back(std::chrono::duration<double, std::micro>(after - now).count());
    now = after;
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  Row r;
  r.batch = batch;
  r.saves_per_s = static_cast<double>(saves) / elapsed;
  r.entries_per_s = r.saves_per_s * static_cast<double>(batch);
  r.mb_per_s = r.entries_per_s * static_cast<double>(o.entry_bytes) / 1e6;
  r.p50_us = lat.percentile(0.5);
  r.p99_us = lat.percentile(0.99);
  r.syncs = store->sync_count();
  store.reset();
  std::filesystem::remove_all(store_dir);
  return r;
}

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--dir" && (v = value())) {
      o.dir = v;
    } else if (a == "--seconds" && (v = value())) {
      o.seconds = std::atof(v);
    } else if (a == "--entry-bytes" && (v = value())) {
      o.entry_bytes = static_cast<std::size_t>(std::atol(v));
    } else {
      return false;
    }
  }
  return o.seconds > 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    std::fprintf(stderr, "usage: storage_bench [--dir DIR] [--seconds S] [--entry-bytes N]\n");
    return 2;
  }
  std::string tmpl = o.dir + "/storage-bench-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    std::perror(tmpl.c_str());
    return 1;
  }
  const std::string dir = tmpl;

  int rc = 0;
  try {
    std::printf(
        "storage_bench: RocksDB %d.%d.%d, directory %s, %.1f s per row, %zu-byte entries\n\n",
        ROCKSDB_MAJOR, ROCKSDB_MINOR, ROCKSDB_PATCH, dir.c_str(), o.seconds, o.entry_bytes);
    // The raw rate is measured right before each row: on shared or virtual disks it drifts
    // within a run, so each row is compared with what the disk did at that moment.
    std::vector<std::pair<RawResult, Row>> rows;
    for (std::size_t batch : {1u, 16u, 256u}) {
      RawResult raw = raw_fsync(dir, o.seconds);
      rows.emplace_back(raw, store_row(dir, batch, o));
    }

    std::printf(
        "each row: the raw disk (4 KiB pwrite appending to a file + fdatasync, in a loop), then\n"
        "RocksDbStorage::save(hard state + batch, sync=true) in a loop (one WriteBatch, one WAL "
        "sync each)\n\n");
    std::printf("  %5s | %11s %7s | %9s %10s %7s | %7s %7s | %9s\n", "batch", "raw fsync/s",
                "p50 us", "saves/s", "entries/s", "MB/s", "p50 us", "p99 us", "saves/raw");
    std::printf(
        "  "
        "------+---------------------+-----------------------------+-----------------+----------"
        "\n");
    for (const auto& [raw, r] : rows) {
      std::printf("  %5zu | %11.0f %7.0f | %9.0f %10.0f %7.2f | %7.0f %7.0f | %9.2f\n", r.batch,
                  raw.per_second, raw.p50_us, r.saves_per_s, r.entries_per_s, r.mb_per_s, r.p50_us,
                  r.p99_us, r.saves_per_s / raw.per_second);
    }
    std::printf("\n  MB/s counts entry payload only (%zu bytes per entry).\n", o.entry_bytes);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "storage_bench: %s\n", e.what());
    rc = 1;
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return rc;
}
