// RocksDbStorage round trips: every write is mirrored on a MemoryStorage (the reference
// semantics) and the two stores must read the same after each step and after a reopen.
#include "raft/rocksdb_storage.hpp"

#include <spawn.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "tests/raft/storage/temp_dir.hpp"
#include "tests/raft/storage/workload.hpp"

extern char** environ;

namespace ha::raft::test {
namespace {

Entry ent(Index index, Term term, std::string data = "") {
  return Entry{term, index, EntryType::kNormal, std::move(data)};
}

std::vector<Entry> ents(Index from, Index to, Term term) {
  std::vector<Entry> out;
  for (Index i = from; i <= to; ++i)
    out.push_back(ent(i, term, "e" + std::to_string(i) + "t" + std::to_string(term)));
  return out;
}

Snapshot snap(Index index, Term term, std::string data = "state", ConfState cs = {{1, 2, 3}, {}}) {
  Snapshot s;
  s.metadata.index = index;
  s.metadata.term = term;
  s.metadata.conf_state = std::move(cs);
  s.data = std::move(data);
  return s;
}

// The store under test and the reference, written in lockstep.
struct Pair {
  explicit Pair(std::optional<ConfState> cs = ConfState{{1, 2, 3}, {}},
                std::uint64_t cache = 4u << 20)
      : mem(cs ? MemoryStorage(*cs) : MemoryStorage()) {
    options.bootstrap = cs;
    options.entry_cache_bytes = cache;
    db = RocksDbStorage::open(tmp.store(), options);
    REQUIRE(db->created());
    check();
  }

  void save(const HardState* hs, const std::vector<Entry>& e, const Snapshot* s, bool sync = true) {
    mem.save(hs, e, s, sync);
    db->save(hs, e, s, sync);
    check();
  }
  void save_hs(const HardState& hs) { save(&hs, {}, nullptr); }
  void append(const std::vector<Entry>& e) { save(nullptr, e, nullptr); }
  void compact(const Snapshot& s) {
    mem.compact(s);
    db->compact(s);
    check();
  }
  void check() const {
    INFO("dir " << tmp.store());
    REQUIRE(diff_stores(mem, *db) == "");
  }
  void reopen() {
    db.reset();
    db = RocksDbStorage::open(tmp.store(), options);
    REQUIRE_FALSE(db->created());
    check();
  }

  TempDir tmp;
  RocksDbStorage::OpenOptions options;
  MemoryStorage mem;
  std::unique_ptr<RocksDbStorage> db;
};

TEST_CASE("storage: a new store is empty with the bootstrap configuration", "[storage]") {
  Pair p(ConfState{{1, 2, 3}, {4}});
  CHECK(p.db->first_index() == 1);
  CHECK(p.db->last_index() == 0);
  CHECK(p.db->term(0) == 0);
  CHECK(p.db->initial_state().hard_state.empty());
  CHECK(p.db->initial_state().conf_state == ConfState{{1, 2, 3}, {4}});
  CHECK(p.db->snapshot().empty());
  CHECK(p.db->store_id().size() == 32);
  std::string id = p.db->store_id();
  p.reopen();
  CHECK(p.db->store_id() == id);
  CHECK(p.db->initial_state().conf_state == ConfState{{1, 2, 3}, {4}});
}

TEST_CASE("storage: a store without a bootstrap configuration has an empty one", "[storage]") {
  Pair p(std::nullopt);
  CHECK(p.db->initial_state().conf_state == ConfState{});
  p.append(ents(1, 3, 1));
  p.reopen();
}

TEST_CASE("storage: append, overwrite a conflicting suffix, hard state", "[storage]") {
  for (std::uint64_t cache : {std::uint64_t{0}, std::uint64_t{64}, std::uint64_t{4u << 20}}) {
    INFO("entry cache " << cache << " bytes");
    Pair p(ConfState{{1, 2, 3}, {}}, cache);
    p.append(ents(1, 10, 1));
    CHECK(p.db->last_index() == 10);
    CHECK(p.db->term(10) == 1);
    // A new leader of term 2 replaces 6..10 with a shorter suffix 6..8.
    p.append(ents(6, 8, 2));
    CHECK(p.db->last_index() == 8);
    CHECK(p.db->term(5) == 1);
    CHECK(p.db->term(6) == 2);
    CHECK(p.db->entries(6, 9, UINT64_MAX)[0].data == "e6t2");
    // Overwrite with a longer suffix, then append at the end.
    p.append(ents(8, 15, 3));
    p.append(ents(16, 16, 3));
    // Overwrite exactly the last entry.
    p.append(ents(16, 16, 4));
    CHECK(p.db->term(16) == 4);
    HardState hs{4, 2, 12};
    p.save_hs(hs);
    CHECK(p.db->initial_state().hard_state == hs);
    // Entries and hard state in one save.
    HardState hs2{5, 3, 14};
    p.save(&hs2, ents(17, 20, 5), nullptr);
    p.reopen();
    CHECK(p.db->initial_state().hard_state == hs2);
    CHECK(p.db->term(16) == 4);
    CHECK(p.db->entries(1, 21, UINT64_MAX).size() == 20);
  }
}

TEST_CASE("storage: conf change entries keep their type", "[storage]") {
  Pair p;
  std::vector<Entry> e = ents(1, 3, 1);
  e[1].type = EntryType::kConfChange;
  p.append(e);
  p.reopen();
  CHECK(p.db->entries(2, 3, UINT64_MAX)[0].type == EntryType::kConfChange);
}

TEST_CASE("storage: installing a snapshot replaces the log", "[storage]") {
  Pair p;
  p.append(ents(1, 10, 1));
  HardState hs{2, 1, 5};
  p.save_hs(hs);

  SECTION("a snapshot beyond the log drops every entry") {
    Snapshot s = snap(20, 2, "image-20");
    HardState hs20{2, 1, 20};
    p.save(&hs20, {}, &s);
    CHECK(p.db->first_index() == 21);
    CHECK(p.db->last_index() == 20);
    CHECK(p.db->term(20) == 2);
    CHECK(p.db->snapshot() == s);
    p.append(ents(21, 25, 2));
    p.reopen();
    CHECK(p.db->snapshot().data == "image-20");
  }
  SECTION("a snapshot inside the log with another term drops every entry") {
    Snapshot s = snap(7, 2);
    HardState hs7{2, 1, 7};
    p.save(&hs7, {}, &s);
    CHECK(p.db->first_index() == 8);
    CHECK(p.db->last_index() == 7);
    p.reopen();
  }
  SECTION("a snapshot inside the log with the same term keeps the suffix") {
    Snapshot s = snap(7, 1);
    HardState hs7{2, 1, 7};
    p.save(&hs7, {}, &s);
    CHECK(p.db->first_index() == 8);
    CHECK(p.db->last_index() == 10);
    CHECK(p.db->term(7) == 1);
    p.reopen();
  }
  SECTION("a snapshot and entries after it in one save") {
    Snapshot s = snap(30, 3);
    HardState hs30{3, 2, 30};
    p.save(&hs30, ents(31, 35, 3), &s);
    CHECK(p.db->first_index() == 31);
    CHECK(p.db->last_index() == 35);
    p.reopen();
  }
}

TEST_CASE("storage: compact stores the snapshot and drops entries up to it", "[storage]") {
  for (std::uint64_t cache : {std::uint64_t{0}, std::uint64_t{4u << 20}}) {
    INFO("entry cache " << cache << " bytes");
    Pair p(ConfState{{1}, {}}, cache);
    p.append(ents(1, 5, 1));
    p.append(ents(6, 10, 2));
    HardState hs{2, 1, 9};
    p.save_hs(hs);
    p.compact(snap(4, 1, "s4"));
    CHECK(p.db->first_index() == 5);
    CHECK(p.db->term(4) == 1);
    p.compact(snap(7, 2, "s7", ConfState{{1, 2}, {3}}));
    CHECK(p.db->first_index() == 8);
    CHECK(p.db->term(7) == 2);
    CHECK(p.db->initial_state().conf_state == ConfState{{1, 2}, {3}});
    // An older snapshot is ignored.
    p.compact(snap(6, 2, "old"));
    CHECK(p.db->snapshot().data == "s7");
    p.reopen();
    // Compacting everything leaves an empty log that still answers term(last).
    p.compact(snap(9, 2, "s9"));
    p.append(ents(10, 12, 2));
    HardState hs12{2, 1, 12};
    p.save_hs(hs12);
    p.compact(snap(12, 2, "s12"));
    CHECK(p.db->first_index() == 13);
    CHECK(p.db->last_index() == 12);
    CHECK(p.db->term(12) == 2);
    p.reopen();
    p.append(ents(13, 14, 3));
    p.reopen();
  }
}

TEST_CASE("storage: entries() honours max_bytes and always returns at least one entry",
          "[storage]") {
  for (std::uint64_t cache : {std::uint64_t{0}, std::uint64_t{4u << 20}}) {
    INFO("entry cache " << cache << " bytes");
    Pair p(ConfState{{1}, {}}, cache);
    std::vector<Entry> e;
    for (Index i = 1; i <= 10; ++i)
      e.push_back(ent(i, 1, std::string(100, 'a')));  // 124 bytes each
    p.append(e);
    for (bool reopened : {false, true}) {
      if (reopened) p.reopen();
      CHECK(p.db->entries(1, 11, 0).size() == 1);
      CHECK(p.db->entries(1, 11, 123).size() == 1);
      CHECK(p.db->entries(1, 11, 124).size() == 1);
      CHECK(p.db->entries(1, 11, 248).size() == 2);
      CHECK(p.db->entries(1, 11, 371).size() == 2);
      CHECK(p.db->entries(3, 11, 372).size() == 3);
      CHECK(p.db->entries(3, 5, UINT64_MAX).size() == 2);
      CHECK(p.db->entries(10, 11, 0).size() == 1);
      std::vector<Entry> all = p.db->entries(1, 11, UINT64_MAX);
      REQUIRE(all.size() == 10);
      CHECK(all.front().index == 1);
      CHECK(all.back().index == 10);
    }
  }
}

TEST_CASE("storage: term() at the snapshot index is the snapshot's term", "[storage]") {
  Pair p;
  Snapshot s = snap(100, 7);
  HardState hs{7, 0, 100};
  p.save(&hs, {}, &s);
  CHECK(p.db->term(100) == 7);
  p.append(ents(101, 103, 8));
  p.reopen();
  CHECK(p.db->term(100) == 7);
  CHECK(p.db->term(101) == 8);
}

TEST_CASE("storage: a snapshot larger than one chunk round-trips", "[storage]") {
  Pair p;
  p.append(ents(1, 3, 1));
  HardState hs{1, 1, 3};
  p.save_hs(hs);
  std::string big(2500000, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 7919) >> 3);
  p.compact(snap(3, 1, big));
  p.reopen();
  CHECK(p.db->snapshot().data == big);
  // A smaller snapshot replaces every old chunk.
  p.append(ents(4, 5, 1));
  HardState hs5{1, 1, 5};
  p.save_hs(hs5);
  p.compact(snap(5, 1, "small"));
  p.reopen();
  CHECK(p.db->snapshot().data == "small");
}

TEST_CASE("storage: unsynced saves, then an empty synced save", "[storage]") {
  Pair p;
  p.save(nullptr, ents(1, 5, 1), nullptr, false);
  HardState hs{1, 1, 2};
  p.save(&hs, {}, nullptr, false);
  CHECK(p.db->sync_count() == 0);
  p.save(nullptr, {}, nullptr, true);
  CHECK(p.db->sync_count() == 1);
  CHECK(p.db->sync_count() == p.mem.sync_count());
  p.reopen();
}

TEST_CASE("storage: sync_count counts synced saves and bytes_on_disk grows", "[storage]") {
  Pair p;
  std::uint64_t before = p.db->bytes_on_disk();
  CHECK(before > 0);
  for (Index i = 1; i <= 50; ++i) p.append({ent(i, 1, std::string(1000, 'z'))});
  CHECK(p.db->sync_count() == 50);
  CHECK(p.db->bytes_on_disk() >= before + 50000);
}

TEST_CASE("storage: random workloads read the same as MemoryStorage, across reopens", "[storage]") {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    for (std::uint64_t cache : {std::uint64_t{0}, std::uint64_t{2000}, std::uint64_t{4u << 20}}) {
      INFO("seed " << seed << ", entry cache " << cache << " bytes");
      TempDir tmp;
      RocksDbStorage::OpenOptions options;
      options.bootstrap = Workload::bootstrap_conf();
      options.entry_cache_bytes = cache;
      // Without the cache, also read from table files: flush the memtable every few ops.
      if (cache == 0) options.write_buffer_bytes = 64u << 10;  // RocksDB's minimum
      auto db = RocksDbStorage::open(tmp.store(), options);
      WorkloadOptions wo;
      wo.allow_unsynced = true;
      Workload w(seed * 1000 + cache, wo);
      std::mt19937_64 rng(seed);
      for (int step = 0; step < 150; ++step) {
        StorageOp op = w.next();
        INFO("op " << w.ops_done() << " " << to_string(op.kind));
        Workload::apply(*db, op);
        REQUIRE(diff_stores(w.model(), *db) == "");
        if (rng() % 25 == 0) {
          db.reset();
          db = RocksDbStorage::open(tmp.store(), options);
          REQUIRE(diff_stores(w.model(), *db) == "");
        }
      }
      CHECK(db->sync_count() <= w.ops_done());
      if (cache == 0) {
        int tables = 0;
        for (const auto& f : std::filesystem::directory_iterator(tmp.store())) {
          tables += f.path().extension() == ".sst" ? 1 : 0;
        }
        CHECK(tables > 0);
      }
    }
  }
}

// ---- Open options and refusals ------------------------------------------------------------

TEST_CASE("storage: open() refuses what it must not create or reuse", "[storage]") {
  TempDir tmp;
  RocksDbStorage::OpenOptions no_create;
  no_create.create_if_missing = false;

  SECTION("a missing store when creating is not allowed") {
    CHECK_THROWS_WITH(RocksDbStorage::open(tmp.store(), no_create),
                      Catch::Contains(tmp.store()) && Catch::Contains("no raft log"));
  }
  SECTION("an existing store when it must be new") {
    RocksDbStorage::open(tmp.store());
    RocksDbStorage::OpenOptions must_be_new;
    must_be_new.error_if_exists = true;
    CHECK_THROWS_WITH(RocksDbStorage::open(tmp.store(), must_be_new),
                      Catch::Contains(tmp.store()) && Catch::Contains("already exists"));
  }
  SECTION("a non-empty directory that holds no store") {
    std::filesystem::create_directories(tmp.store());
    std::ofstream(tmp.store() + "/notes.txt") << "not a raft log";
    CHECK_THROWS_WITH(RocksDbStorage::open(tmp.store()),
                      Catch::Contains(tmp.store()) && Catch::Contains("CURRENT"));
  }
  SECTION("a path that is a file") {
    std::ofstream(tmp.store()) << "x";
    CHECK_THROWS_WITH(RocksDbStorage::open(tmp.store()), Catch::Contains(tmp.store()));
  }
  SECTION("a store already open (by this or another process)") {
    auto first = RocksDbStorage::open(tmp.store());
    CHECK_THROWS_WITH(RocksDbStorage::open(tmp.store()),
                      Catch::Contains(tmp.store()) && Catch::Contains("in use"));
    CHECK(first->last_index() == 0);
  }
}

TEST_CASE("storage: a chosen store id is kept", "[storage]") {
  TempDir tmp;
  RocksDbStorage::OpenOptions options;
  options.store_id = std::array<std::uint8_t, 16>{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
                                                  0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};
  RocksDbStorage::open(tmp.store(), options);
  CHECK(RocksDbStorage::open(tmp.store())->store_id() == "0123456789abcdeffedcba9876543210");
}

TEST_CASE("storage: open() creates a store in an existing empty directory", "[storage]") {
  TempDir tmp;
  std::filesystem::create_directories(tmp.store());
  auto db = RocksDbStorage::open(tmp.store());
  CHECK(db->created());
}

TEST_CASE("storage: an interrupted creation is started again", "[storage]") {
  TempDir tmp;
  // What a crash inside open() leaves: the marker and some of RocksDB's files.
  std::filesystem::create_directories(tmp.store());
  std::ofstream(tmp.store() + "/RAFT_STORE_CREATING").flush();
  std::ofstream(tmp.store() + "/MANIFEST-000001") << "partial";
  RocksDbStorage::OpenOptions no_create;
  no_create.create_if_missing = false;
  CHECK_THROWS_WITH(RocksDbStorage::open(tmp.store(), no_create),
                    Catch::Contains(tmp.store()) && Catch::Contains("interrupted"));
  RocksDbStorage::OpenOptions options;
  options.bootstrap = ConfState{{7}, {}};
  auto db = RocksDbStorage::open(tmp.store(), options);
  CHECK(db->created());
  CHECK(db->initial_state().conf_state == ConfState{{7}, {}});
  CHECK_FALSE(std::filesystem::exists(tmp.store() + "/RAFT_STORE_CREATING"));
  db.reset();
  db = RocksDbStorage::open(tmp.store(), no_create);
  CHECK_FALSE(db->created());
}

TEST_CASE("storage: a write that fails (file size limit, like a full disk) throws StorageError",
          "[storage]") {
  TempDir tmp;
  RocksDbStorage::open(tmp.store());  // created here, written by the helper
  std::vector<std::string> args{HA_STORAGE_HELPER, "diskfull", tmp.store()};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) == 0);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  // The failed batches left nothing behind; the synced one is intact.
  auto db = RocksDbStorage::open(tmp.store());
  CHECK(db->last_index() == 10);
  CHECK(db->initial_state().hard_state == HardState{1, 1, 10});
}

}  // namespace
}  // namespace ha::raft::test
