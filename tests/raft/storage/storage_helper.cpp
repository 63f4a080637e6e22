// A child process for the storage tests, run by them through fork/exec:
//   storage_helper crash DIR SEED RESUME   replays RESUME ops of the seeded workload (checking the
//       store holds exactly that state), then writes ops forever, all synced, and after each one
//       writes the number of ops done (8 bytes, native order) to stdout: an acknowledgement.
//       The parent kills it with SIGKILL at a random moment.
//   storage_helper diskfull DIR           fills the write-ahead log past RLIMIT_FSIZE and reports
//       (exit status 0) that save() threw StorageError naming DIR, twice in a row, and that
//       prepare_snapshot() did too and left no data file behind.
// Exit statuses: 0 ok, 2 usage, 3 state mismatch, 4 unexpected StorageError, 5 missing error.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "raft/log_codec.hpp"
#include "raft/rocksdb_storage.hpp"
#include "tests/raft/storage/workload.hpp"

namespace {

using ha::raft::RocksDbStorage;
using ha::raft::StorageError;
using ha::raft::test::Workload;

bool write_all(int fd, const void* data, std::size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

int crash_mode(const std::string& dir, std::uint64_t seed, std::uint64_t resume) {
  RocksDbStorage::OpenOptions options;
  options.bootstrap = Workload::bootstrap_conf();
  // A small memtable: the entries are flushed to table files (with their range deletions)
  // every few dozen ops, so kills also land during flushes and compactions.
  options.write_buffer_bytes = 64u << 10;
  std::unique_ptr<RocksDbStorage> store = RocksDbStorage::open(dir, options);
  Workload w(seed, ha::raft::test::WorkloadOptions{});
  while (w.ops_done() < resume) w.next();
  if (std::string d = ha::raft::test::diff_stores(w.model(), *store); !d.empty()) {
    std::fprintf(stderr, "storage_helper: store does not hold the state after %llu ops: %s\n",
                 static_cast<unsigned long long>(resume), d.c_str());
    return 3;
  }
  for (;;) {
    ha::raft::test::StorageOp op = w.next();
    Workload::apply(*store, op);
    std::uint64_t done = w.ops_done();
    if (!write_all(STDOUT_FILENO, &done, sizeof done)) return 0;  // parent went away
  }
}

std::uint64_t largest_wal_size(const std::string& dir) {
  std::uint64_t size = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    if (f.path().extension() == ".log") size = std::max<std::uint64_t>(size, f.file_size());
  }
  return size;
}

int diskfull_mode(const std::string& dir) {
  std::unique_ptr<RocksDbStorage> store = RocksDbStorage::open(dir);
  std::vector<ha::raft::Entry> entries;
  for (ha::raft::Index i = 1; i <= 10; ++i)
    entries.push_back({1, i, ha::raft::EntryType::kNormal, "x"});
  ha::raft::HardState hs{1, 1, 10};
  store->save(&hs, entries, nullptr, true);

  // From now on no file may grow by more than a few KiB: the next big batch cannot be written.
  ::signal(SIGXFSZ, SIG_IGN);
  rlimit limit{};
  limit.rlim_cur = largest_wal_size(dir) + 4096;
  limit.rlim_max = RLIM_INFINITY;
  if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) return 2;

  int errors = 0;
  for (ha::raft::Index next = 11; next < 13; ++next) {
    std::vector<ha::raft::Entry> big;
    for (ha::raft::Index i = next; i < next + 64; ++i) {
      big.push_back({1, 11, ha::raft::EntryType::kNormal, std::string(4096, 'y')});
      big.back().index = 11 + (i - next);
    }
    try {
      store->save(nullptr, big, nullptr, true);
      std::fprintf(stderr, "storage_helper: save() past the file size limit did not throw\n");
    } catch (const StorageError& e) {
      std::printf("%s\n", e.what());
      if (std::string(e.what()).find(dir) != std::string::npos) ++errors;
    }
  }
  if (store->last_index() != 10) return 3;

  ha::raft::Snapshot snap;
  snap.metadata = ha::raft::SnapshotMetadata{10, 1, {}};
  snap.data = std::string(1u << 20, 's');
  try {
    store->prepare_snapshot(snap);
    std::fprintf(stderr, "storage_helper: a snapshot past the file size limit was prepared\n");
  } catch (const StorageError& e) {
    std::printf("%s\n", e.what());
    if (std::string(e.what()).find(dir) != std::string::npos) ++errors;
  }
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    ha::raft::Index index = 0;
    std::uint64_t id = 0;
    if (ha::raft::codec::parse_snapshot_file_name(f.path().filename().string(), index, id)) {
      std::fprintf(stderr, "storage_helper: %s was left behind\n", f.path().c_str());
      return 3;
    }
  }
  return errors == 3 ? 0 : 5;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 5 && std::string(argv[1]) == "crash") {
      return crash_mode(argv[2], std::stoull(argv[3]), std::stoull(argv[4]));
    }
    if (argc == 3 && std::string(argv[1]) == "diskfull") return diskfull_mode(argv[2]);
  } catch (const StorageError& e) {
    std::fprintf(stderr, "storage_helper: %s\n", e.what());
    return 4;
  }
  std::fprintf(stderr, "usage: storage_helper crash DIR SEED RESUME | diskfull DIR\n");
  return 2;
}
