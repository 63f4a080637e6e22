// Corruption is detected at open: records damaged behind the store's back (through RocksDB
// directly, bypassing the codec) and damaged files are refused with a StorageError that names
// the data directory and says what to do.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>

#include "raft/log_codec.hpp"
#include "raft/rocksdb_storage.hpp"
#include "tests/raft/storage/raw_db.hpp"
#include "tests/raft/storage/temp_dir.hpp"
#include "tests/raft/storage/workload.hpp"

namespace ha::raft::test {
namespace {

namespace fs = std::filesystem;
using codec::index_key;

// A store with snapshot 3 (term 1), entries 4..10 of term 1 and 11..20 of term 2, commit 15.
void make_store(DurableStorage& db) {
  std::vector<Entry> e;
  for (Index i = 1; i <= 20; ++i)
    e.push_back(Entry{i <= 10 ? 1u : 2u, i, EntryType::kNormal, "data-" + std::to_string(i)});
  HardState hs{2, 1, 15};
  db.save(&hs, e, nullptr, true);
  Snapshot s;
  s.metadata = SnapshotMetadata{3, 1, ConfState{{1, 2, 3}, {}}};
  s.data = "snapshot-image";
  db.compact(s);
}

void make_store(const std::string& dir) {
  RocksDbStorage::OpenOptions options;
  options.bootstrap = ConfState{{1, 2, 3}, {}};
  make_store(*RocksDbStorage::open(dir, options));
}

// The snapshot data file in `dir` (there must be exactly one).
std::string snapshot_file(const std::string& dir) {
  std::vector<std::string> found;
  for (const auto& f : fs::directory_iterator(dir)) {
    Index index = 0;
    std::uint64_t id = 0;
    if (codec::parse_snapshot_file_name(f.path().filename().string(), index, id))
      found.push_back(f.path().string());
  }
  REQUIRE(found.size() == 1);
  return found.front();
}

std::string entry_record(Index index, Term term) {
  std::string rec;
  codec::encode_entry(Entry{term, index, EntryType::kNormal, "forged"}, rec);
  return rec;
}

// open() must throw a StorageError naming the directory, containing `what`, with advice.
void expect_refused(const std::string& dir, const std::string& what,
                    const RocksDbStorage::OpenOptions& options = {}) {
  try {
    RocksDbStorage::open(dir, options);
    FAIL("open() accepted a damaged store; expected: " << what);
  } catch (const StorageError& e) {
    std::string msg = e.what();
    INFO("message: " << msg);
    CHECK(msg.find(dir) != std::string::npos);
    CHECK(msg.find(what) != std::string::npos);
    CHECK((msg.find("re-add it to the cluster") != std::string::npos ||
           msg.find("restart it") != std::string::npos));
  }
}

TEST_CASE("storage: the undamaged store opens", "[storage][corruption]") {
  TempDir tmp;
  make_store(tmp.store());
  auto db = RocksDbStorage::open(tmp.store());
  CHECK(db->first_index() == 4);
  CHECK(db->last_index() == 20);
  CHECK(db->term(3) == 1);
  CHECK(db->term(11) == 2);
  CHECK(db->initial_state().hard_state.commit == 15);
}

// Rewrites the stored snapshot record after `edit` changed it.
void edit_snapshot_record(RawDb& raw, const std::function<void(codec::SnapshotRecord&)>& edit) {
  const std::string key(codec::kSnapshotMetaKey);
  codec::SnapshotRecord r;
  REQUIRE(codec::decode_snapshot_record(raw.get(raw.meta(), key), r) == codec::DecodeStatus::kOk);
  edit(r);
  raw.put(raw.meta(), key, codec::encode_snapshot_record(r));
}

// Damages the closed store through plain RocksDB, then expects open() to refuse it.
void damage(const std::string& dir, const std::function<void(RawDb&)>& how,
            const std::string& what) {
  {
    RawDb raw(dir);
    how(raw);
  }
  expect_refused(dir, what);
}

void flip(RawDb& raw, rocksdb::ColumnFamilyHandle* cf, const std::string& key, std::size_t at,
          int mask) {
  std::string v = raw.get(cf, key);
  REQUIRE(at < v.size());
  v[at] = static_cast<char>(v[at] ^ mask);
  raw.put(cf, key, v);
}

TEST_CASE("storage: damaged records are refused at open", "[storage][corruption]") {
  TempDir tmp;
  const std::string dir = tmp.store();
  make_store(dir);
  const std::string format_key(codec::kFormatKey);
  const std::string hs_key(codec::kHardStateKey);
  const std::string snap_key(codec::kSnapshotMetaKey);

  SECTION("a flipped byte in an entry's data, from a table file") {
    damage(
        dir,
        [](RawDb& raw) {
          flip(raw, raw.entries(), index_key(7), 24, 0x20);
          raw.flush();
        },
        "entry 7 fails its checksum");
  }
  SECTION("a flipped bit in an entry's term") {
    damage(
        dir, [](RawDb& raw) { flip(raw, raw.entries(), index_key(7), 13, 0x01); },
        "entry 7 fails its checksum");
  }
  SECTION("a flipped bit in an entry's checksum") {
    damage(
        dir, [](RawDb& raw) { flip(raw, raw.entries(), index_key(7), 0, 0x80); },
        "entry 7 fails its checksum");
  }
  SECTION("a truncated entry") {
    damage(
        dir,
        [](RawDb& raw) {
          raw.put(raw.entries(), index_key(7), raw.get(raw.entries(), index_key(7)).substr(0, 6));
        },
        "entry 7 fails its checksum");
  }
  SECTION("an entry under the wrong key") {
    damage(
        dir, [](RawDb& raw) { raw.put(raw.entries(), index_key(8), entry_record(9, 1)); },
        "the record stored as entry 8 holds entry 9");
  }
  SECTION("a gap in the middle") {
    damage(
        dir, [](RawDb& raw) { raw.del(raw.entries(), index_key(10)); },
        "entries 10 to 10 are missing");
  }
  SECTION("a gap of several entries") {
    damage(
        dir,
        [](RawDb& raw) {
          for (Index i = 11; i <= 13; ++i) raw.del(raw.entries(), index_key(i));
          raw.flush();
        },
        "entries 11 to 13 are missing");
  }
  SECTION("a missing first entry") {
    damage(
        dir, [](RawDb& raw) { raw.del(raw.entries(), index_key(4)); }, "should start at entry 4");
  }
  SECTION("a term that goes down") {
    damage(
        dir, [](RawDb& raw) { raw.put(raw.entries(), index_key(12), entry_record(12, 1)); },
        "entry 12 has term 1, lower than the term 2 of entry 11");
  }
  SECTION("a first entry below the snapshot's term") {
    damage(
        dir, [](RawDb& raw) { raw.put(raw.entries(), index_key(4), entry_record(4, 0)); },
        "entry 4 has term 0, lower than the term 1 of the snapshot");
  }
  SECTION("an entry the snapshot covers") {
    damage(
        dir, [](RawDb& raw) { raw.put(raw.entries(), index_key(2), entry_record(2, 1)); },
        "entry 2 is still stored");
  }
  SECTION("a key that is no index") {
    damage(
        dir, [](RawDb& raw) { raw.put(raw.entries(), "junk", entry_record(5, 1)); },
        "not an entry index");
  }
  SECTION("lost committed entries") {
    damage(
        dir,
        [](RawDb& raw) {
          for (Index i = 14; i <= 20; ++i) raw.del(raw.entries(), index_key(i));
        },
        "commit index 15 is beyond the last entry 13");
  }
  SECTION("a missing format record") {
    damage(
        dir, [&](RawDb& raw) { raw.del(raw.meta(), format_key); }, "format record is missing");
  }
  SECTION("a missing hard state") {
    damage(
        dir, [&](RawDb& raw) { raw.del(raw.meta(), hs_key); }, "hard state record is missing");
  }
  SECTION("a damaged hard state") {
    damage(
        dir, [&](RawDb& raw) { flip(raw, raw.meta(), hs_key, 8, 0x04); },
        "hard state record: record fails its checksum");
  }
  SECTION("a hard state commit below the snapshot") {
    damage(
        dir,
        [&](RawDb& raw) {
          raw.put(raw.meta(), hs_key, codec::encode_hard_state(HardState{2, 1, 2}));
        },
        "commit index 2 is below the snapshot index 3");
  }
  SECTION("damaged snapshot data") {
    const std::string file = snapshot_file(dir);
    std::ofstream(file, std::ios::binary | std::ios::trunc) << "snapshot-imagX";
    expect_refused(dir, "of the snapshot at index 3, " + file + ", fails its checksum");
  }
  SECTION("a truncated snapshot data file") {
    fs::resize_file(snapshot_file(dir), 8);
    expect_refused(dir, "holds 8 bytes instead of 14");
  }
  SECTION("a missing snapshot data file") {
    const std::string file = snapshot_file(dir);
    fs::remove(file);
    expect_refused(dir, "the data file of the snapshot at index 3, " + file + ", is missing");
  }
  SECTION("a snapshot record that names no data file") {
    damage(
        dir,
        [](RawDb& raw) {
          edit_snapshot_record(raw, [](codec::SnapshotRecord& r) { r.file_id = 0; });
        },
        "has 14 bytes of data but its metadata names no data file");
  }
  SECTION("a snapshot record with data chunks (format version 1) in a version 2 store") {
    damage(
        dir,
        [](RawDb& raw) {
          edit_snapshot_record(raw, [](codec::SnapshotRecord& r) { r.chunk_count = 1; });
        },
        "counts data chunks");
  }
  SECTION("a missing snapshot record") {
    damage(
        dir, [&](RawDb& raw) { raw.del(raw.meta(), snap_key); },
        "snapshot metadata record is missing");
  }
}

TEST_CASE("storage: a store of an unknown format version is refused", "[storage][corruption]") {
  TempDir tmp;
  const std::string dir = tmp.store();
  make_store(dir);
  {
    RawDb raw(dir);
    codec::FormatRecord f;
    f.version = 7;
    raw.put(raw.meta(), std::string(codec::kFormatKey), codec::encode_format_record(f));
  }
  CHECK_THROWS_WITH(RocksDbStorage::open(dir), Catch::Contains(dir) &&
                                                   Catch::Contains("format version 7") &&
                                                   Catch::Contains("run a build that supports"));
}

// ---- Damaged files -----------------------------------------------------------------------

void truncate_to(const std::string& path, double fraction) {
  std::uintmax_t size = fs::file_size(path);
  fs::resize_file(path, static_cast<std::uintmax_t>(static_cast<double>(size) * fraction));
}

void overwrite_middle(const std::string& path, std::size_t len) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(f);
  std::uintmax_t size = fs::file_size(path);
  REQUIRE(size > len);
  f.seekp(static_cast<std::streamoff>(size / 2 - len / 2));
  for (std::size_t i = 0; i < len; ++i) f.put(static_cast<char>(0xA5 ^ (i * 31)));
}

std::string newest(const std::string& dir, const std::string& prefix, const std::string& suffix) {
  std::string best;
  for (const auto& f : fs::directory_iterator(dir)) {
    std::string name = f.path().filename().string();
    if (name.starts_with(prefix) && name.ends_with(suffix) && name > best) best = name;
  }
  REQUIRE(!best.empty());
  return dir + "/" + best;
}

// The entries' table file, after everything was flushed out of the write-ahead log.
std::string entries_table(const std::string& dir) {
  RawDb raw(dir);
  raw.flush();
  std::vector<std::string> files = raw.sst_files("entries");
  REQUIRE(!files.empty());
  return files.back();
}

TEST_CASE("storage: damaged files are refused at open", "[storage][corruption]") {
  TempDir tmp;
  const std::string dir = tmp.store();
  make_store(dir);

  SECTION("a truncated table file (the newest .sst)") {
    std::string table = entries_table(dir);
    truncate_to(newest(dir, "", ".sst"), 0.5);
    (void)table;
    expect_refused(dir, "is corrupt");
  }
  SECTION("a truncated entries table file") {
    truncate_to(entries_table(dir), 0.5);
    expect_refused(dir, "is corrupt");
  }
  SECTION("garbage in the middle of the entries table file") {
    overwrite_middle(entries_table(dir), 16);
    expect_refused(dir, "is corrupt");
  }
  SECTION("garbage in the entries table file, found by the record scan alone") {
    overwrite_middle(entries_table(dir), 16);
    RocksDbStorage::OpenOptions no_deep;
    no_deep.verify_file_checksums = false;
    expect_refused(dir, "is corrupt", no_deep);
  }
  SECTION("garbage in the middle of the write-ahead log") {
    overwrite_middle(newest(dir, "", ".log"), 8);
    expect_refused(dir, "checksum mismatch");
  }
  SECTION("an empty CURRENT") {
    truncate_to(dir + "/CURRENT", 0.0);
    expect_refused(dir, "CURRENT");
  }
  SECTION("garbage in CURRENT") {
    std::ofstream(dir + "/CURRENT", std::ios::trunc) << "MANIFEST-999999\n";
    expect_refused(dir, "MANIFEST-999999");
  }
  SECTION("a deleted CURRENT") {
    fs::remove(dir + "/CURRENT");
    expect_refused(dir, "no RocksDB CURRENT file");
  }
  SECTION("a deleted table file") {
    fs::remove(entries_table(dir));
    expect_refused(dir, "No such file");
  }
}

// RocksDB reads a MANIFEST cut short as an older version of the store (it takes the cut for a
// torn last write); the record checks must then find what that older version lacks. A cut that
// loses only an edit without data in it (e.g. of the empty "snapshot" column family) leaves the
// store whole: it may open, but then with everything in it.
TEST_CASE("storage: a MANIFEST truncated anywhere is refused or loses nothing",
          "[storage][corruption]") {
  MemoryStorage expected(ConfState{{1, 2, 3}, {}});
  make_store(expected);
  for (bool flushed : {false, true}) {
    int refused = 0;
    for (double fraction : {0.0, 0.05, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99}) {
      INFO((flushed ? "tables flushed" : "data only in the write-ahead log")
           << ", MANIFEST cut to " << fraction);
      TempDir tmp;
      const std::string dir = tmp.store();
      make_store(dir);
      if (flushed) RawDb(dir).flush();
      truncate_to(newest(dir, "MANIFEST-", ""), fraction);
      try {
        auto db = RocksDbStorage::open(dir);
        CHECK(diff_stores(expected, *db) == "");
      } catch (const StorageError&) {
        expect_refused(dir, "is corrupt");
        ++refused;
      }
    }
    CHECK(refused >= 8);
  }
}

}  // namespace
}  // namespace ha::raft::test
