// Saves in two steps (stage() on the owning thread, write_staged() on a persist thread,
// staged_written() back on the owner): readers see a staged save at once, its entries stay in
// memory until written whatever the cache limit, the writes land in staging order, and nothing
// staged survives a crash before its write. Every store is mirrored on a MemoryStorage.
#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <limits>
#include <mutex>
#include <random>
#include <thread>

#include "raft/log_codec.hpp"
#include "raft/rocksdb_storage.hpp"
#include "tests/raft/storage/temp_dir.hpp"
#include "tests/raft/storage/workload.hpp"

namespace ha::raft::test {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kNoLimit = std::numeric_limits<std::uint64_t>::max();

std::vector<Entry> ents(Index from, Index to, Term term, std::size_t size = 8) {
  std::vector<Entry> out;
  for (Index i = from; i <= to; ++i) {
    std::string data = "e" + std::to_string(i) + "t" + std::to_string(term);
    data.resize(std::max(size, data.size()), static_cast<char>('a' + i % 26));
    out.push_back(Entry{term, i, EntryType::kNormal, std::move(data)});
  }
  return out;
}

std::size_t snapshot_file_count(const std::string& dir) {
  std::size_t n = 0;
  for (const auto& f : fs::directory_iterator(dir)) {
    Index index = 0;
    std::uint64_t id = 0;
    if (codec::parse_snapshot_file_name(f.path().filename().string(), index, id)) ++n;
  }
  return n;
}

// Replaced snapshot files are removed in the background: waits up to 10 s for `count`.
bool wait_for_files(const std::string& dir, std::size_t count) {
  for (int i = 0; i < 1000 && snapshot_file_count(dir) != count; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return snapshot_file_count(dir) == count;
}

// The store under test with its reference: stage() on the store goes with save() on the
// reference, which is what a reader must see from then on.
struct Pair {
  explicit Pair(std::uint64_t cache = 4u << 20) : mem(ConfState{{1, 2, 3}, {}}) {
    options.bootstrap = ConfState{{1, 2, 3}, {}};
    options.entry_cache_bytes = cache;
    db = RocksDbStorage::open(tmp.store(), options);
  }

  std::unique_ptr<StagedSave> stage(const HardState* hs, const std::vector<Entry>& e,
                                    bool sync = true) {
    mem.save(hs, e, nullptr, sync);
    return db->stage(hs, e, sync);
  }
  void save(const HardState* hs, const std::vector<Entry>& e) {
    mem.save(hs, e, nullptr, true);
    db->save(hs, e, nullptr, true);
  }
  void written(StagedSave& s) {
    db->write_staged(s);
    db->staged_written(s);
  }
  void same() const {
    INFO("dir " << tmp.store());
    REQUIRE(diff_stores(mem, *db) == "");
  }
  // entries() over every range and byte limit, so that ranges across the cache front are read.
  void same_ranges() const {
    for (Index lo = db->first_index(); lo <= db->last_index(); ++lo) {
      for (Index hi = lo + 1; hi <= db->last_index() + 1; ++hi) {
        for (std::uint64_t max : {std::uint64_t{0}, std::uint64_t{3000}, kNoLimit}) {
          INFO("entries(" << lo << ", " << hi << ", " << max << ")");
          REQUIRE(db->entries(lo, hi, max) == mem.entries(lo, hi, max));
        }
      }
    }
  }
  void reopen() {
    db.reset();
    db = RocksDbStorage::open(tmp.store(), options);
    REQUIRE_FALSE(db->created());
  }

  TempDir tmp;
  RocksDbStorage::OpenOptions options;
  MemoryStorage mem;
  std::unique_ptr<RocksDbStorage> db;
};

TEST_CASE("storage staged: readers see a stage at once, and once written it survives a reopen",
          "[storage][staged]") {
  Pair p;
  HardState hs1{1, 1, 0};
  p.save(&hs1, ents(1, 5, 1));
  HardState hs2{2, 2, 5};
  auto staged = p.stage(&hs2, ents(6, 9, 2));
  CHECK(p.db->last_index() == 9);
  CHECK(p.db->term(9) == 2);
  CHECK(p.db->hard_state() == hs2);
  CHECK(p.db->entries(6, 10, kNoLimit) == ents(6, 9, 2));
  p.same();
  CHECK(p.db->sync_count() == 1);
  p.written(*staged);
  CHECK(p.db->sync_count() == 2);
  p.same();
  p.reopen();
  p.same();
  CHECK(p.db->hard_state() == hs2);
}

TEST_CASE("storage staged: unwritten entries stay in memory whatever the cache limit",
          "[storage][staged]") {
  const std::uint64_t cache = GENERATE(std::uint64_t{0}, std::uint64_t{100}, std::uint64_t{5000});
  INFO("cache " << cache);
  Pair p(cache);
  HardState hs{1, 1, 10};
  p.save(&hs, ents(1, 10, 1, 2000));
  // Three saves of large entries, each well over the cache limit.
  std::deque<std::unique_ptr<StagedSave>> staged;
  for (Index from = 11; from <= 21; from += 5)
    staged.push_back(p.stage(nullptr, ents(from, from + 4, 1, 4000)));
  p.same_ranges();  // includes [1, 26): entries 1..10 from RocksDB, 11..25 from memory
  while (!staged.empty()) {
    p.written(*staged.front());
    staged.pop_front();
    p.same_ranges();
  }
  p.reopen();
  p.same();
}

TEST_CASE("storage staged: a stage over an earlier unwritten one leaves the later history",
          "[storage][staged]") {
  const std::uint64_t cache =
      GENERATE(std::uint64_t{0}, std::uint64_t{100}, std::uint64_t{4u << 20});
  INFO("cache " << cache);
  Pair p(cache);
  HardState hs1{1, 1, 5};
  p.save(&hs1, ents(1, 10, 1));
  auto first = p.stage(nullptr, ents(11, 20, 1));
  HardState hs2{2, 0, 5};
  std::unique_ptr<StagedSave> second;
  SECTION("from below the earlier stage, over written entries") {
    second = p.stage(&hs2, ents(8, 12, 2));
    CHECK(p.db->last_index() == 12);
  }
  SECTION("from inside the earlier stage") {
    second = p.stage(&hs2, ents(15, 16, 2));
    CHECK(p.db->last_index() == 16);
  }
  p.same_ranges();
  p.db->write_staged(*first);
  p.db->staged_written(*first);
  p.same_ranges();  // the second stage's entries are still only in memory
  p.written(*second);
  p.same();
  p.reopen();
  p.same();  // no entry of the first stage's longer suffix is left
}

TEST_CASE("storage staged: a crash before write_staged loses the staged save",
          "[storage][staged]") {
  Pair p;
  HardState hs1{1, 1, 5};
  p.save(&hs1, ents(1, 5, 1));
  const MemoryStorage before = p.mem;
  HardState hs2{2, 2, 5};
  auto staged = p.stage(&hs2, ents(6, 9, 2));
  CHECK(p.db->last_index() == 9);
  p.reopen();  // what a crash leaves: nothing of the staged save was written
  p.mem = before;
  p.same();
  CHECK(p.db->last_index() == 5);
  CHECK(p.db->hard_state() == hs1);
}

TEST_CASE(
    "storage staged: a snapshot commits below outstanding stages, and its replaced file "
    "goes after the next synced staged write",
    "[storage][staged]") {
  Pair p(200);
  HardState hs{1, 1, 20};
  p.save(&hs, ents(1, 20, 1));
  p.db->compact(snapshot_at(5, 1, "s5"));
  p.mem.compact(snapshot_at(5, 1, "s5"));
  REQUIRE(wait_for_files(p.tmp.store(), 1));

  auto a = p.stage(nullptr, ents(21, 25, 1, 300));
  auto b = p.stage(nullptr, ents(26, 30, 1, 300), false);
  p.db->commit_snapshot(p.db->prepare_snapshot(snapshot_at(12, 1, "s12")));
  p.mem.compact(snapshot_at(12, 1, "s12"));
  p.same_ranges();
  CHECK(p.db->first_index() == 13);
  CHECK(snapshot_file_count(p.tmp.store()) == 2);
  // Staged before the commit, these writes do not carry the replaced file.
  p.written(*a);
  p.written(*b);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(snapshot_file_count(p.tmp.store()) == 2);
  // An unsynced one staged after it does not either; a synced one does, once written.
  auto c = p.stage(nullptr, ents(31, 31, 1), false);
  auto d = p.stage(nullptr, ents(32, 32, 1));
  p.written(*c);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(snapshot_file_count(p.tmp.store()) == 2);
  p.db->write_staged(*d);
  CHECK(wait_for_files(p.tmp.store(), 1));
  p.db->staged_written(*d);
  p.same();
  p.reopen();
  p.same();
  CHECK(p.db->snapshot().data == "s12");
}

// A persist thread: writes the saves pushed to it in order and hands them back.
class Persister {
 public:
  explicit Persister(RocksDbStorage& db) : db_(db), thread_([this] { run(); }) {}
  ~Persister() { finish(); }

  void push(std::unique_ptr<StagedSave> s) {
    std::lock_guard<std::mutex> lock(mu_);
    todo_.push_back(std::move(s));
    cv_.notify_all();
  }
  // The saves written so far; with `wait`, at least one unless none is outstanding.
  std::vector<std::unique_ptr<StagedSave>> take_done(bool wait) {
    std::unique_lock<std::mutex> lock(mu_);
    if (wait) cv_.wait(lock, [&] { return !done_.empty() || todo_.empty() || !error_.empty(); });
    std::vector<std::unique_ptr<StagedSave>> out(std::make_move_iterator(done_.begin()),
                                                 std::make_move_iterator(done_.end()));
    done_.clear();
    return out;
  }
  // Waits for the outstanding writes and stops the thread.
  void finish() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      cv_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
  }
  std::string error() {
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stop_ || !todo_.empty(); });
      if (todo_.empty() || !error_.empty()) return;
      StagedSave* s = todo_.front().get();
      lock.unlock();
      std::string err;
      try {
        db_.write_staged(*s);
      } catch (const std::exception& e) {
        err = e.what();
      }
      lock.lock();
      error_ = err;
      done_.push_back(std::move(todo_.front()));
      todo_.pop_front();
      cv_.notify_all();
    }
  }

  RocksDbStorage& db_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<StagedSave>> todo_;
  std::deque<std::unique_ptr<StagedSave>> done_;
  bool stop_ = false;
  std::string error_;
  std::thread thread_;  // last: starts after the members it uses
};

TEST_CASE("storage staged: a persist thread writes while the owner stages, reads and compacts",
          "[storage][staged]") {
  Pair p(3000);
  std::mt19937_64 rng(7);
  auto pick = [&](std::uint64_t lo, std::uint64_t hi) {
    return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng);
  };
  HardState hs{1, 1, 0};
  std::deque<Index> outstanding;  // first index of each save not yet confirmed written
  std::uint64_t synced = 0;
  Persister persister(*p.db);
  auto confirm = [&](bool wait) {
    for (auto& s : persister.take_done(wait)) {
      p.db->staged_written(*s);
      outstanding.pop_front();
    }
  };

  for (int n = 0; n < 2000; ++n) {
    const Index last = p.mem.last_index();
    Index from = last + 1;
    if (pick(0, 9) == 0 && last > hs.commit) {  // a new leader overwrites uncommitted entries
      ++hs.term;
      from = std::max(hs.commit + 1, last - std::min<Index>(last, pick(0, 3)));
    }
    const std::vector<Entry> e = ents(from, from + pick(0, 3), hs.term, pick(10, 400));
    hs.commit = std::max<Index>(hs.commit, e.back().index > 10 ? e.back().index - 10 : 0);
    const bool sync = pick(0, 2) != 0;
    synced += sync ? 1 : 0;
    outstanding.push_back(from);
    persister.push(p.stage(&hs, e, sync));

    confirm(outstanding.size() > pick(1, 16));  // pipelines of varying depth
    REQUIRE(persister.error() == "");
    const Index lo = pick(p.mem.first_index(), p.mem.last_index());
    const Index hi = pick(lo + 1, p.mem.last_index() + 1);
    const std::uint64_t max = std::array<std::uint64_t, 4>{0, 500, 5000, kNoLimit}[pick(0, 3)];
    INFO("save " << n << ": entries(" << lo << ", " << hi << ", " << max << ")");
    REQUIRE(p.db->entries(lo, hi, max) == p.mem.entries(lo, hi, max));
    REQUIRE(p.db->term(hi - 1) == p.mem.term(hi - 1));

    if (n % 250 == 249) {  // compaction below every unwritten entry
      Index idx = hs.commit;
      for (Index f : outstanding) idx = std::min(idx, f - 1);
      if (idx >= p.mem.first_index()) {
        const Snapshot s = snapshot_at(idx, p.mem.term(idx), "s" + std::to_string(idx));
        p.db->compact(s);
        p.mem.compact(s);
      }
    }
  }
  persister.finish();
  confirm(false);
  REQUIRE(persister.error() == "");
  CHECK(outstanding.empty());
  CHECK(p.db->sync_count() == synced);
  CHECK(p.db->first_index() > 1000);
  p.same();
  p.reopen();
  p.same();
}

}  // namespace
TEST_CASE("storage staged: a group of saves is written in order and counts each synced save",
          "[storage][staged]") {
  Pair p;
  HardState hs1{1, 1, 0};
  p.save(&hs1, ents(1, 2, 1));
  const std::uint64_t syncs = p.db->sync_count();
  HardState hs2{1, 1, 2};
  std::vector<std::unique_ptr<StagedSave>> staged;
  staged.push_back(p.stage(nullptr, ents(3, 5, 1), true));
  staged.push_back(p.stage(&hs2, ents(6, 6, 1), false));
  staged.push_back(p.stage(nullptr, ents(5, 8, 1), true));  // overwrites 5 and 6
  staged.push_back(p.stage(nullptr, ents(9, 9, 1), false));
  std::vector<StagedSave*> group;
  for (auto& s : staged) group.push_back(s.get());
  p.db->write_staged_group(group);
  for (auto& s : staged) p.db->staged_written(*s);
  CHECK(p.db->sync_count() == syncs + 2);
  p.same();
  p.reopen();
  p.same();
  CHECK(p.db->last_index() == 9);
  CHECK(p.db->hard_state() == hs2);
}

}  // namespace ha::raft::test
