// Storing a snapshot in two steps (prepare_snapshot() writes the data file, commit_snapshot()
// makes it current): a crash between them keeps the older snapshot, the log is compacted only by
// the commit, readers see only committed snapshots, and format version 1 stores are migrated.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "raft/log_codec.hpp"
#include "raft/rocksdb_storage.hpp"
#include "tests/raft/storage/raw_db.hpp"
#include "tests/raft/storage/temp_dir.hpp"
#include "tests/raft/storage/workload.hpp"

namespace ha::raft::test {
namespace {

namespace fs = std::filesystem;

std::vector<Entry> ents(Index from, Index to, Term term) {
  std::vector<Entry> out;
  for (Index i = from; i <= to; ++i)
    out.push_back(Entry{term, i, EntryType::kNormal, "e" + std::to_string(i)});
  return out;
}

std::string pattern(std::size_t size, unsigned seed) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>((i * 7919 + seed) >> 3);
  return out;
}

// Names of the snapshot data files in `dir`, sorted.
std::vector<std::string> snapshot_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& f : fs::directory_iterator(dir)) {
    Index index = 0;
    std::uint64_t id = 0;
    std::string name = f.path().filename().string();
    if (codec::parse_snapshot_file_name(name, index, id)) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Waits (up to 10 s) until `dir` holds `count` snapshot data files: replaced ones are removed in
// the background.
bool wait_for_files(const std::string& dir, std::size_t count) {
  for (int i = 0; i < 1000 && snapshot_files(dir).size() != count; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return snapshot_files(dir).size() == count;
}

// A store (and its MemoryStorage reference) with entries 1..20 of term 1, commit 20, and the
// snapshot at 5 committed.
struct Fixture {
  Fixture() : mem(ConfState{{1, 2, 3}, {}}) {
    options.bootstrap = ConfState{{1, 2, 3}, {}};
    db = RocksDbStorage::open(tmp.store(), options);
    HardState hs{1, 1, 20};
    for (DurableStorage* s :
         {static_cast<DurableStorage*>(&mem), static_cast<DurableStorage*>(db.get())}) {
      s->save(&hs, ents(1, 20, 1), nullptr, true);
      s->compact(snapshot_at(5, 1, "s5"));
    }
    REQUIRE(wait_for_files(tmp.store(), 1));
  }
  void reopen() {
    db.reset();
    db = RocksDbStorage::open(tmp.store(), options);
  }
  void same() const { REQUIRE(diff_stores(mem, *db) == ""); }

  TempDir tmp;
  RocksDbStorage::OpenOptions options;
  MemoryStorage mem;
  std::unique_ptr<RocksDbStorage> db;
};

TEST_CASE("storage snapshot: prepared data is not read, and the log is kept, until commit",
          "[storage][snapshot]") {
  Fixture f;
  auto prepared = f.db->prepare_snapshot(snapshot_at(12, 1, "s12"));
  CHECK(prepared->metadata().index == 12);
  CHECK(prepared->data_size() == 3);
  CHECK(snapshot_files(f.tmp.store()).size() == 2);
  f.same();  // snapshot 5, entries 6..20
  CHECK(f.db->snapshot().data == "s5");
  CHECK(f.db->first_index() == 6);

  f.db->commit_snapshot(std::move(prepared));
  f.mem.compact(snapshot_at(12, 1, "s12"));
  f.same();
  CHECK(f.db->first_index() == 13);
  CHECK(f.db->snapshot().data == "s12");
}

TEST_CASE("storage snapshot: a crash between prepare and commit keeps the older snapshot",
          "[storage][snapshot]") {
  Fixture f;
  const std::vector<std::string> before = snapshot_files(f.tmp.store());
  auto prepared = f.db->prepare_snapshot(snapshot_at(12, 1, pattern(1500000, 1)));
  // What a crash leaves: the new file written and synced, no record of it.
  f.reopen();
  f.same();
  CHECK(f.db->snapshot().data == "s5");
  CHECK(snapshot_files(f.tmp.store()) == before);
  prepared.reset();  // its file is already gone
  // The next snapshot does not collide with the leftover's name.
  f.db->compact(snapshot_at(14, 1, "s14"));
  f.mem.compact(snapshot_at(14, 1, "s14"));
  f.reopen();
  f.same();
}

TEST_CASE("storage snapshot: a crash after commit opens with the new snapshot",
          "[storage][snapshot]") {
  Fixture f;
  const std::string old_file = snapshot_files(f.tmp.store()).front();
  const std::string data = pattern(2500000, 2);
  f.db->commit_snapshot(f.db->prepare_snapshot(snapshot_at(12, 1, data)));
  f.mem.compact(snapshot_at(12, 1, data));
  // The commit is not synced yet, so the older data stays until a synced save.
  CHECK(snapshot_files(f.tmp.store()).size() == 2);
  f.reopen();  // RocksDB keeps the unsynced write (a process crash, not a power loss)
  f.same();
  CHECK(f.db->snapshot().data == data);
  const std::vector<std::string> files = snapshot_files(f.tmp.store());
  REQUIRE(files.size() == 1);
  CHECK(files.front() != old_file);
}

TEST_CASE("storage snapshot: the replaced data file goes only after a synced save",
          "[storage][snapshot]") {
  Fixture f;
  f.db->compact(snapshot_at(12, 1, "s12"));
  CHECK(snapshot_files(f.tmp.store()).size() == 2);
  HardState hs{1, 1, 21};
  f.db->save(&hs, ents(21, 21, 1), nullptr, false);
  CHECK(snapshot_files(f.tmp.store()).size() == 2);
  f.db->save(nullptr, {}, nullptr, true);
  CHECK(wait_for_files(f.tmp.store(), 1));
  CHECK(f.db->snapshot().data == "s12");
  // An installed snapshot saved with sync replaces the older data at once.
  Snapshot installed = snapshot_at(40, 2, "s40");
  HardState hs40{2, 1, 40};
  f.db->save(&hs40, {}, &installed, true);
  CHECK(wait_for_files(f.tmp.store(), 1));
  f.reopen();
  CHECK(f.db->snapshot() == installed);
  CHECK(f.db->first_index() == 41);
}

TEST_CASE("storage snapshot: a prepared snapshot discarded or overtaken removes its data",
          "[storage][snapshot]") {
  Fixture f;
  SECTION("destroyed without commit") {
    auto prepared = f.db->prepare_snapshot(snapshot_at(12, 1, "s12"));
    CHECK(snapshot_files(f.tmp.store()).size() == 2);
    prepared.reset();
    CHECK(snapshot_files(f.tmp.store()).size() == 1);
    f.same();
  }
  SECTION("a leader's snapshot installed meanwhile covers it") {
    auto prepared = f.db->prepare_snapshot(snapshot_at(12, 1, "s12"));
    Snapshot installed = snapshot_at(30, 2, "s30");
    HardState hs{2, 1, 30};
    f.db->save(&hs, {}, &installed, true);
    f.mem.save(&hs, {}, &installed, true);
    f.db->commit_snapshot(std::move(prepared));  // ignored
    f.same();
    CHECK(wait_for_files(f.tmp.store(), 1));
    f.reopen();
    f.same();
  }
  SECTION("an empty snapshot has no data file") {
    f.db->compact(snapshot_at(12, 1, ""));
    f.db->save(nullptr, {}, nullptr, true);
    CHECK(wait_for_files(f.tmp.store(), 0));
    f.reopen();
    CHECK(f.db->snapshot() == snapshot_at(12, 1, ""));
  }
}

TEST_CASE("storage snapshot: reads see the committed snapshot while another thread prepares one",
          "[storage][snapshot]") {
  Fixture f;
  const std::string big = pattern(24u << 20, 3);
  std::unique_ptr<PreparedSnapshot> prepared;
  std::atomic<bool> done{false};
  std::thread worker([&] {
    prepared = f.db->prepare_snapshot(snapshot_at(20, 1, big));
    done = true;
  });
  // Meanwhile the driver thread goes on: reads, appends, an earlier compaction.
  Index last = 20;
  int reads = 0;
  while (!done || reads == 0) {
    Snapshot s = f.db->snapshot();
    REQUIRE(s.metadata.index == 5);
    REQUIRE(s.data == "s5");
    ++last;
    HardState hs{1, 1, last};
    f.db->save(&hs, ents(last, last, 1), nullptr, true);
    f.mem.save(&hs, ents(last, last, 1), nullptr, true);
    ++reads;
  }
  worker.join();
  f.db->compact(snapshot_at(10, 1, "s10"));
  f.mem.compact(snapshot_at(10, 1, "s10"));
  f.same();
  f.db->commit_snapshot(std::move(prepared));
  f.mem.compact(snapshot_at(20, 1, big));
  f.same();
  f.reopen();
  f.same();
}

TEST_CASE("storage snapshot: damaged new snapshot data is refused at open", "[storage][snapshot]") {
  Fixture f;
  f.db->compact(snapshot_at(12, 1, pattern(100000, 4)));
  f.db->save(nullptr, {}, nullptr, true);
  f.db.reset();
  // The file of snapshot 12 (the one of snapshot 5 may still be there: it is removed in the
  // background).
  std::string file;
  for (const std::string& name : snapshot_files(f.tmp.store())) {
    Index index = 0;
    std::uint64_t id = 0;
    if (codec::parse_snapshot_file_name(name, index, id) && index == 12) file = f.tmp.store() + "/" + name;
  }
  REQUIRE(!file.empty());
  {
    std::fstream out(file, std::ios::in | std::ios::out | std::ios::binary);
    out.seekp(50000);
    out.put('\x5a');
  }
  CHECK_THROWS_WITH(RocksDbStorage::open(f.tmp.store()),
                    Catch::Contains(f.tmp.store()) && Catch::Contains("is corrupt") &&
                        Catch::Contains("the data file of the snapshot at index 12") &&
                        Catch::Contains("fails its checksum") &&
                        Catch::Contains("re-add it to the cluster"));
}

// ---- Format version 1 ---------------------------------------------------------------------

// The version 1 layout of a snapshot record: no file id.
std::string v1_record(const codec::SnapshotRecord& r) {
  std::string out = codec::encode_snapshot_record(r);
  out.resize(out.size() - 8);
  std::uint32_t crc = codec::crc32c(out.data() + 4, out.size() - 4);
  for (std::size_t i = 0; i < 4; ++i) out[i] = static_cast<char>((crc >> (8 * i)) & 0xFFu);
  return out;
}

// Turns the store in `dir` (snapshot 5, data "s5", closed) into what format version 1 wrote:
// `data` in 1 MiB chunks in the snapshot column family, no data file.
void make_version_1(const std::string& dir, const std::string& data) {
  for (const std::string& name : snapshot_files(dir)) fs::remove(dir + "/" + name);
  RawDb raw(dir);
  codec::FormatRecord format;
  REQUIRE(codec::decode_format_record(raw.get(raw.meta(), std::string(codec::kFormatKey)),
                                      format) == codec::DecodeStatus::kOk);
  format.version = 1;
  raw.put(raw.meta(), std::string(codec::kFormatKey), codec::encode_format_record(format));
  codec::SnapshotRecord r;
  r.metadata = snapshot_at(5, 1, "").metadata;
  r.data_size = data.size();
  r.data_crc = codec::crc32c(data.data(), data.size());
  for (std::size_t off = 0; off < data.size(); off += 1u << 20) {
    raw.put(raw.snapshot(), codec::index_key(r.chunk_count++), data.substr(off, 1u << 20));
  }
  raw.put(raw.meta(), std::string(codec::kSnapshotMetaKey), v1_record(r));
}

TEST_CASE("storage snapshot: a format version 1 store is migrated at open", "[storage][snapshot]") {
  Fixture f;
  f.db.reset();
  const std::string data = pattern(2500000, 5);
  make_version_1(f.tmp.store(), data);
  // A leftover of an earlier, interrupted migration is removed first.
  std::ofstream(f.tmp.store() + "/" + codec::snapshot_file_name(5, 1)) << "partial";

  f.reopen();
  CHECK(f.db->snapshot() == snapshot_at(5, 1, data));
  CHECK(f.db->first_index() == 6);
  CHECK(f.db->last_index() == 20);
  REQUIRE(snapshot_files(f.tmp.store()).size() == 1);
  f.db.reset();
  {
    RawDb raw(f.tmp.store());
    codec::FormatRecord format;
    REQUIRE(codec::decode_format_record(raw.get(raw.meta(), std::string(codec::kFormatKey)),
                                        format) == codec::DecodeStatus::kOk);
    CHECK(format.version == codec::kFormatVersion);
    std::unique_ptr<rocksdb::Iterator> it(
        raw.db()->NewIterator(rocksdb::ReadOptions(), raw.snapshot()));
    it->SeekToFirst();
    CHECK_FALSE(it->Valid());
  }
  f.reopen();
  CHECK(f.db->snapshot() == snapshot_at(5, 1, data));
  f.db->compact(snapshot_at(9, 1, "s9"));
  f.reopen();
  CHECK(f.db->snapshot() == snapshot_at(9, 1, "s9"));
}

TEST_CASE("storage snapshot: a format version 1 store with damaged chunks is refused",
          "[storage][snapshot]") {
  Fixture f;
  f.db.reset();
  make_version_1(f.tmp.store(), pattern(2500000, 6));
  {
    RawDb raw(f.tmp.store());
    raw.del(raw.snapshot(), codec::index_key(1));
  }
  CHECK_THROWS_WITH(RocksDbStorage::open(f.tmp.store()),
                    Catch::Contains(f.tmp.store()) && Catch::Contains("is corrupt") &&
                        Catch::Contains("snapshot data chunk 1 is missing"));
  // Nothing was migrated: the store is still version 1.
  RawDb raw(f.tmp.store());
  codec::FormatRecord format;
  REQUIRE(codec::decode_format_record(raw.get(raw.meta(), std::string(codec::kFormatKey)),
                                      format) == codec::DecodeStatus::kOk);
  CHECK(format.version == 1);
}

}  // namespace
}  // namespace ha::raft::test
