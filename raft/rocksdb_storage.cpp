#include "raft/rocksdb_storage.hpp"

#include <fcntl.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <random>
#include <set>
#include <thread>

#include "raft/assert.hpp"

namespace ha::raft {

namespace {

namespace fs = std::filesystem;

constexpr const char* kEntriesCf = "entries";
constexpr const char* kMetaCf = "meta";
// Format version 1 kept the snapshot data here in chunks; version 2 leaves it empty.
constexpr const char* kSnapshotCf = "snapshot";

constexpr const char* kRecoverAdvice =
    "restore this member from a snapshot or remove its data directory and re-add it to the "
    "cluster";
constexpr const char* kRuntimeAdvice =
    "the member cannot continue safely and must stop; fix the disk (free space, I/O errors, "
    "permissions) and restart it";

rocksdb::Slice slice(const std::string& s) { return rocksdb::Slice(s.data(), s.size()); }
std::string_view view(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

std::string range_text(Index lo, Index hi) {
  return "[" + std::to_string(lo) + ", " + std::to_string(hi) + ")";
}

std::string entry_problem(Index i, codec::DecodeStatus st) {
  if (st == codec::DecodeStatus::kChecksum)
    return "entry " + std::to_string(i) + " fails its checksum";
  return "entry " + std::to_string(i) + ": " + codec::to_string(st);
}

// A snapshot data file written by prepare_snapshot() and not yet committed; removed with this
// object unless released (path cleared) to the store.
class PreparedFile : public PreparedSnapshot {
 public:
  PreparedFile(const RocksDbStorage* by, codec::SnapshotRecord rec, fs::path file)
      : owner(by), record(std::move(rec)), path(std::move(file)) {}
  ~PreparedFile() override {
    std::error_code ec;
    if (!path.empty()) fs::remove(path, ec);  // a failure leaves a stray that open() removes
  }
  const SnapshotMetadata& metadata() const override { return record.metadata; }
  std::uint64_t data_size() const override { return record.data_size; }

  const RocksDbStorage* owner;
  codec::SnapshotRecord record;
  fs::path path;
};

// A save stage() made visible and write_staged() has yet to write: everything that write needs,
// so that the persist thread touches no member of the store but db_.
class StagedBatch : public StagedSave {
 public:
  StagedBatch(const RocksDbStorage* by, bool s) : owner(by), sync(s) {}

  const RocksDbStorage* owner;
  rocksdb::WriteBatch batch;
  bool sync;
  Index first = std::numeric_limits<Index>::max();  // of its entries; max when none
  // Snapshot data files replaced by writes made before this one: removable once it has synced.
  std::vector<fs::path> replaced;
  bool written = false;  // set by write_staged(), checked by staged_written()
};

// RocksDB's info log, forwarded to the caller's sink instead of a LOG file in the directory.
class ForwardingLogger : public rocksdb::Logger {
 public:
  explicit ForwardingLogger(std::function<void(const std::string&)> sink)
      : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL), sink_(std::move(sink)) {}

  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char buf[2048];
    std::vsnprintf(buf, sizeof buf, format, ap);
    try {  // RocksDB is not exception-safe
      sink_(std::string("rocksdb: ") + buf);
    } catch (...) {
    }
  }

 private:
  std::function<void(const std::string&)> sink_;
};

// Present in the data directory only while open() creates a store.
constexpr const char* kCreatingMarker = "RAFT_STORE_CREATING";

// fsync of a directory, so that a file created or removed in it stays so after a power loss.
std::string sync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return std::strerror(errno);
  std::string err;
  if (::fsync(fd) != 0) err = std::strerror(errno);
  ::close(fd);
  return err;
}

// Creates `path` (which must not exist) holding `data`, synced; an error's text, or empty.
std::string write_new_file(const fs::path& path, std::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return std::strerror(errno);
  std::string err;
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? std::strerror(errno) : "write made no progress";
      break;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  if (err.empty() && ::fdatasync(fd) != 0) err = std::strerror(errno);
  if (::close(fd) != 0 && err.empty()) err = std::strerror(errno);
  return err;
}

// Reads all of `path` into `out`; 0 or an errno value.
int read_whole_file(const fs::path& path, std::string& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  int err = 0;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    err = errno;
  } else {
    out.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    for (;;) {
      if (got == out.size()) out.resize(got + (got >> 2) + 4096);  // grew meanwhile
      ssize_t n = ::read(fd, out.data() + got, out.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) err = errno;
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    out.resize(got);
  }
  ::close(fd);
  return err;
}

// Removes a file that may be large, for a background thread: freeing many blocks at once
// (with their discards, on a file system mounted with "discard") holds up the next journal
// commit, so the next fsync of the log waits milliseconds; a few MiB at a time, with pauses,
// spreads that over several commits (as RocksDB's DeleteScheduler does). Errors are ignored.
void remove_gradually(const fs::path& path) {
  constexpr std::uintmax_t kStep = 4u << 20;
  std::error_code ec;
  std::uintmax_t size = fs::file_size(path, ec);
  while (!ec && size > kStep) {
    size -= kStep;
    fs::resize_file(path, size, ec);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  fs::remove(path, ec);
}

// Has `files` removed by RocksDB's background threads (removing a large file takes
// milliseconds). One that is never removed (a crash first) is a stray that open() removes.
void schedule_removal(rocksdb::Env* env, std::vector<fs::path> files) {
  if (files.empty()) return;
  using Files = std::vector<fs::path>;
  env->Schedule(
      [](void* arg) {
        std::unique_ptr<Files> owned(static_cast<Files*>(arg));
        for (const fs::path& path : *owned) remove_gradually(path);
      },
      new Files(std::move(files)), rocksdb::Env::Priority::LOW, nullptr,
      [](void* arg) { delete static_cast<Files*>(arg); });
}

rocksdb::ColumnFamilyOptions cf_options(std::uint64_t write_buffer) {
  rocksdb::ColumnFamilyOptions o;
  o.write_buffer_size = write_buffer;
  o.level_compaction_dynamic_level_bytes = true;
  return o;
}

}  // namespace

// ---- Opening -----------------------------------------------------------------------------

std::unique_ptr<RocksDbStorage> RocksDbStorage::open(const std::string& dir) {
  return open(dir, OpenOptions{});
}

std::unique_ptr<RocksDbStorage> RocksDbStorage::open(const std::string& dir,
                                                     const OpenOptions& options) {
  // The constructor is private; make_unique cannot reach it.
  return std::unique_ptr<RocksDbStorage>(new RocksDbStorage(dir, options));
}

RocksDbStorage::RocksDbStorage(std::string dir, const OpenOptions& options)
    : dir_(std::move(dir)), cache_limit_(options.entry_cache_bytes) {
  std::error_code ec;
  const fs::path path(dir_);
  const bool exists = fs::exists(path, ec);
  if (ec) fail_io("cannot examine the data directory", ec.message());
  if (exists && !fs::is_directory(path, ec)) {
    throw StorageError("raft log path " + dir_ +
                       " exists but is not a directory; point the "
                       "data directory at a directory");
  }
  bool create = false;
  if (exists && fs::exists(path / kCreatingMarker, ec)) {
    // open() was interrupted while creating this store, so it never returned and nothing in
    // it was ever acknowledged: start the creation again from an empty directory.
    if (!options.create_if_missing) {
      throw StorageError("raft log in " + dir_ +
                         " was never finished (its creation was "
                         "interrupted); open it with creation allowed, or remove the directory");
    }
    for (const fs::directory_entry& f : fs::directory_iterator(path, ec))
      fs::remove_all(f.path(), ec);
    if (ec) fail_io("cannot clear the unfinished store", ec.message());
    create = true;
  } else if (!exists || !fs::exists(path / "CURRENT", ec)) {
    if (exists && !fs::is_empty(path, ec)) {
      throw StorageError("raft log in " + dir_ +
                         " is missing: the directory is not empty but has "
                         "no RocksDB CURRENT file, so it is not a store or the store lost files; "
                         "if it was this member's data directory, " +
                         kRecoverAdvice + "; otherwise use an empty or new directory");
    }
    if (!options.create_if_missing) {
      throw StorageError("no raft log in " + dir_ +
                         " (and creating one was not requested); "
                         "initialise this member first or fix the data directory setting");
    }
    create = true;
  } else if (options.error_if_exists) {
    throw StorageError("raft log in " + dir_ +
                       " already exists; a new member needs an empty data "
                       "directory (remove it only if this member's data is no longer needed)");
  }
  if (create) {
    fs::create_directories(path, ec);
    if (ec) fail_io("cannot create the data directory", ec.message());
    write_marker(path / kCreatingMarker);
  }

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = create;
  db_options.create_missing_column_families = create;
  db_options.error_if_exists = create;
  db_options.paranoid_checks = true;
  // A torn last record (a crash mid-write) is normal and only ever holds an unsynced write;
  // corruption anywhere else would lose acknowledged writes, so it must stop the open.
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  db_options.track_and_verify_wals_in_manifest = true;
  db_options.max_open_files = -1;  // opens (and size-checks) every table file at open
  db_options.skip_checking_sst_file_sizes_on_db_open = false;
  db_options.max_total_wal_size = 128u << 20;
  db_options.max_background_jobs = 2;
  std::function<void(const std::string&)> sink = options.log;
  if (!sink) sink = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  db_options.info_log = std::make_shared<ForwardingLogger>(std::move(sink));

  if (!create) {
    std::vector<std::string> names;
    rocksdb::Status s = rocksdb::DB::ListColumnFamilies(db_options, dir_, &names);
    if (!s.ok()) {
      if (s.IsCorruption() || s.IsPathNotFound() || s.IsNotFound()) {
        fail_corrupt("RocksDB cannot read its manifest: " + s.ToString());
      }
      fail_io("cannot open the store", s.ToString());
    }
    const std::set<std::string> have(names.begin(), names.end());
    const std::set<std::string> want{rocksdb::kDefaultColumnFamilyName, kEntriesCf, kMetaCf,
                                     kSnapshotCf};
    if (have != want) {
      std::string list;
      for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
      fail_corrupt("its RocksDB column families are {" + list +
                   "}, not {default, entries, meta, "
                   "snapshot} (a damaged manifest, or not a raft log store)");
    }
  }

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors{
      {rocksdb::kDefaultColumnFamilyName, cf_options(1u << 20)},
      {kEntriesCf, cf_options(options.write_buffer_bytes)},
      {kMetaCf, cf_options(1u << 20)},
      {kSnapshotCf, cf_options(1u << 20)},
  };
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, dir_, descriptors, &handles, &raw);
  if (!s.ok()) {
    if (s.IsCorruption() || s.IsPathNotFound() || s.IsNotFound()) {
      fail_corrupt("RocksDB refuses to open it: " + s.ToString());
    }
    if (s.ToString().find("lock") != std::string::npos) {
      throw StorageError("raft log in " + dir_ + " is in use by another process or store object (" +
                         s.ToString() +
                         "); stop the other one, or give each member its own data "
                         "directory");
    }
    fail_io("cannot open the store", s.ToString());
  }
  db_.reset(raw);
  default_cf_ = handles[0];
  entries_cf_ = handles[1];
  meta_cf_ = handles[2];
  snapshot_cf_ = handles[3];

  try {
    if (create) {
      create_new(options);
      created_ = true;
      remove_marker(path / kCreatingMarker);
    }
    load_and_verify(options);
  } catch (...) {
    for (rocksdb::ColumnFamilyHandle* h : handles) db_->DestroyColumnFamilyHandle(h);
    db_->Close();
    db_.reset();
    throw;
  }
}

RocksDbStorage::~RocksDbStorage() {
  if (!db_) return;
  for (rocksdb::ColumnFamilyHandle* h : {default_cf_, entries_cf_, meta_cf_, snapshot_cf_}) {
    db_->DestroyColumnFamilyHandle(h);
  }
  db_->Close();  // a failure here cannot be reported; synced writes are already durable
}

void RocksDbStorage::create_new(const OpenOptions& options) {
  if (options.store_id) {
    format_.store_id = *options.store_id;
  } else {
    std::random_device rd;
    for (std::uint8_t& b : format_.store_id) b = static_cast<std::uint8_t>(rd());
  }
  format_.version = codec::kFormatVersion;
  codec::SnapshotRecord initial;  // no data, so no data file
  if (options.bootstrap) initial.metadata.conf_state = *options.bootstrap;

  rocksdb::WriteBatch batch;
  batch.Put(meta_cf_, slice(std::string(codec::kFormatKey)),
            slice(codec::encode_format_record(format_)));
  batch.Put(meta_cf_, slice(std::string(codec::kHardStateKey)),
            slice(codec::encode_hard_state(HardState{})));
  batch.Put(meta_cf_, slice(std::string(codec::kSnapshotMetaKey)),
            slice(codec::encode_snapshot_record(initial)));
  write(batch, true, "creating the store");
}

void RocksDbStorage::load_and_verify(const OpenOptions& options) {
  if (options.verify_file_checksums) {
    rocksdb::Status s = db_->VerifyChecksum();
    if (!s.ok()) {
      if (s.IsCorruption()) fail_corrupt("a RocksDB file fails its checksum: " + s.ToString());
      fail_io("cannot read the store's files", s.ToString());
    }
  }

  auto get_meta = [&](std::string_view key, const char* name) {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), meta_cf_, slice(std::string(key)), &value);
    if (s.IsNotFound()) fail_corrupt(std::string("the ") + name + " record is missing");
    if (s.IsCorruption())
      fail_corrupt(std::string("reading the ") + name + " record: " + s.ToString());
    if (!s.ok()) fail_io(std::string("cannot read the ") + name + " record", s.ToString());
    return value;
  };

  // Format and identity first: a store of another version must be refused before its other
  // records are interpreted.
  if (auto st = codec::decode_format_record(get_meta(codec::kFormatKey, "format"), format_);
      st != codec::DecodeStatus::kOk) {
    fail_corrupt(std::string("the format record: ") + codec::to_string(st));
  }
  const bool chunked = format_.version == codec::kFormatVersionChunkedSnapshot;
  if (format_.version != codec::kFormatVersion && !chunked) {
    throw StorageError("raft log in " + dir_ + " was written in format version " +
                       std::to_string(format_.version) +
                       ", which this build does not know (it reads version " +
                       std::to_string(codec::kFormatVersion) + " and converts version " +
                       std::to_string(codec::kFormatVersionChunkedSnapshot) +
                       "); run a build that supports that version");
  }
  if (auto st = codec::decode_hard_state(get_meta(codec::kHardStateKey, "hard state"), hard_state_);
      st != codec::DecodeStatus::kOk) {
    fail_corrupt(std::string("the hard state record: ") + codec::to_string(st));
  }
  if (auto st = codec::decode_snapshot_record(
          get_meta(codec::kSnapshotMetaKey, "snapshot metadata"), snapshot_);
      st != codec::DecodeStatus::kOk) {
    fail_corrupt(std::string("the snapshot metadata record: ") + codec::to_string(st));
  }
  std::string chunked_data;
  if (chunked) {
    if (snapshot_.file_id != 0) {
      fail_corrupt(
          "the snapshot metadata names a data file, which a format version 1 store "
          "does not have");
    }
    chunked_data = read_chunked_snapshot();
  } else {
    if (snapshot_.chunk_count != 0) {
      fail_corrupt("the snapshot metadata counts data chunks, which a format version " +
                   std::to_string(codec::kFormatVersion) + " store does not have");
    }
    read_snapshot_data(snapshot_);
  }

  // Every entry: checksum, key = stored index, contiguous from snapshot index + 1, terms never
  // decrease and never fall below the snapshot's term.
  const Index snap_index = snapshot_.metadata.index;
  const Term snap_term = snapshot_.metadata.term;
  Index expected = snap_index + 1;
  Term prev_term = snap_term;
  term_runs_.clear();
  cache_.clear();
  cache_bytes_ = 0;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), entries_cf_));
  Entry e;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    Index key_index = 0;
    if (!codec::decode_index_key(view(it->key()), key_index)) {
      fail_corrupt("the entries column family holds a key of " + std::to_string(it->key().size()) +
                   " bytes, which is not an entry index");
    }
    if (key_index <= snap_index) {
      fail_corrupt("entry " + std::to_string(key_index) +
                   " is still stored but the snapshot covers entries up to " +
                   std::to_string(snap_index));
    }
    if (key_index != expected) {
      if (expected == snap_index + 1) {
        fail_corrupt("the log should start at entry " + std::to_string(expected) +
                     " (after the snapshot at " + std::to_string(snap_index) +
                     ") but starts at entry " + std::to_string(key_index));
      }
      fail_corrupt("entries " + std::to_string(expected) + " to " + std::to_string(key_index - 1) +
                   " are missing (a gap in the log)");
    }
    if (auto st = codec::decode_entry(view(it->value()), e); st != codec::DecodeStatus::kOk) {
      fail_corrupt(entry_problem(key_index, st));
    }
    if (e.index != key_index) {
      fail_corrupt("the record stored as entry " + std::to_string(key_index) + " holds entry " +
                   std::to_string(e.index));
    }
    if (e.term < prev_term) {
      fail_corrupt("entry " + std::to_string(key_index) + " has term " + std::to_string(e.term) +
                   ", lower than the term " + std::to_string(prev_term) + " of " +
                   (key_index == snap_index + 1 ? std::string("the snapshot")
                                                : "entry " + std::to_string(key_index - 1)));
    }
    if (term_runs_.empty() || term_runs_.back().second != e.term)
      term_runs_.emplace_back(e.index, e.term);
    prev_term = e.term;
    ++expected;
    if (cache_limit_ > 0) {
      cache_bytes_ += entry_size(e);
      cache_.push_back(std::move(e));
      e = Entry{};
      while (!cache_.empty() && cache_bytes_ > cache_limit_) {
        cache_bytes_ -= entry_size(cache_.front());
        cache_.pop_front();
      }
    }
  }
  if (!it->status().ok()) {
    if (it->status().IsCorruption())
      fail_corrupt("reading the entries: " + it->status().ToString());
    fail_io("cannot read the entries", it->status().ToString());
  }
  last_index_ = expected - 1;

  if (hard_state_.commit > last_index_) {
    fail_corrupt("the hard state's commit index " + std::to_string(hard_state_.commit) +
                 " is beyond the last entry " + std::to_string(last_index_) +
                 " (committed entries were lost)");
  }
  if (hard_state_.commit < snap_index) {
    fail_corrupt("the hard state's commit index " + std::to_string(hard_state_.commit) +
                 " is below the snapshot index " + std::to_string(snap_index));
  }

  remove_stray_snapshot_files();
  if (chunked) migrate_chunked_snapshot(chunked_data);
}

std::string RocksDbStorage::read_chunked_snapshot() const {
  std::string data;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), snapshot_cf_));
  std::uint64_t chunks = 0;
  std::uint64_t size = 0;
  std::uint32_t crc = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    Index chunk = 0;
    if (!codec::decode_index_key(view(it->key()), chunk) || chunk != chunks) {
      fail_corrupt("snapshot data chunk " + std::to_string(chunks) + " is missing or misplaced");
    }
    crc = codec::crc32c(it->value().data(), it->value().size(), crc);
    size += it->value().size();
    data.append(it->value().data(), it->value().size());
    ++chunks;
  }
  if (!it->status().ok()) {
    if (it->status().IsCorruption())
      fail_corrupt("reading the snapshot data: " + it->status().ToString());
    fail_io("cannot read the snapshot data", it->status().ToString());
  }
  if (chunks != snapshot_.chunk_count || size != snapshot_.data_size || crc != snapshot_.data_crc) {
    fail_corrupt("the data of the snapshot at index " + std::to_string(snapshot_.metadata.index) +
                 " does not match its metadata (" + std::to_string(chunks) + " chunks, " +
                 std::to_string(size) + " bytes, expected " +
                 std::to_string(snapshot_.chunk_count) + " chunks, " +
                 std::to_string(snapshot_.data_size) + " bytes, or a checksum mismatch)");
  }
  return data;
}

void RocksDbStorage::migrate_chunked_snapshot(const std::string& data) {
  // The data moves to a file; one synced batch then switches the format and the snapshot record
  // and drops the chunks. A crash before it leaves the version 1 store whole (the file is a
  // stray the next open() removes before migrating again).
  Snapshot s;
  s.metadata = snapshot_.metadata;
  s.data = data;
  std::unique_ptr<PreparedSnapshot> prepared = prepare_snapshot(s);
  auto& file = static_cast<PreparedFile&>(*prepared);
  codec::FormatRecord format = format_;
  format.version = codec::kFormatVersion;
  rocksdb::WriteBatch batch;
  batch.Put(meta_cf_, slice(std::string(codec::kFormatKey)),
            slice(codec::encode_format_record(format)));
  batch.Put(meta_cf_, slice(std::string(codec::kSnapshotMetaKey)),
            slice(codec::encode_snapshot_record(file.record)));
  batch.DeleteRange(snapshot_cf_, slice(codec::index_key(0)),
                    slice(codec::index_key(std::numeric_limits<Index>::max())));
  file.path.clear();  // from here on the batch may reference it, even if the write fails
  write(batch, true, "moving the snapshot data to a file (format version 1 to 2)");
  format_ = format;
  snapshot_ = file.record;
}

void RocksDbStorage::remove_stray_snapshot_files() {
  // Files of snapshots prepared but never committed (or replaced before a crash).
  const std::string keep =
      snapshot_.file_id == 0 ? std::string() : snapshot_path(snapshot_).filename().string();
  std::uint64_t max_id = snapshot_.file_id;
  bool removed = false;
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    Index index = 0;
    std::uint64_t id = 0;
    const std::string name = it->path().filename().string();
    if (!codec::parse_snapshot_file_name(name, index, id)) continue;
    max_id = std::max(max_id, id);
    if (name == keep) continue;
    std::error_code rm;
    fs::remove(it->path(), rm);
    if (rm)
      fail_io("cannot remove the unused snapshot data file " + it->path().string(), rm.message());
    removed = true;
  }
  if (ec) fail_io("cannot list the data directory", ec.message());
  if (removed) {
    if (std::string err = sync_dir(dir_); !err.empty())
      fail_io("cannot sync the data directory", err);
  }
  next_file_id_ = max_id + 1;
}

void RocksDbStorage::write_marker(const std::filesystem::path& marker) const {
  int fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail_io("cannot create " + marker.string(), std::strerror(errno));
  ::close(fd);
  if (std::string err = sync_dir(marker.parent_path()); !err.empty()) {
    fail_io("cannot sync the data directory", err);
  }
}

void RocksDbStorage::remove_marker(const std::filesystem::path& marker) const {
  std::error_code ec;
  fs::remove(marker, ec);
  if (ec) fail_io("cannot remove " + marker.string(), ec.message());
  if (std::string err = sync_dir(marker.parent_path()); !err.empty()) {
    fail_io("cannot sync the data directory", err);
  }
}

// ---- Errors ------------------------------------------------------------------------------

void RocksDbStorage::fail_corrupt(const std::string& what) const {
  throw StorageError("raft log in " + dir_ + " is corrupt: " + what + "; " + kRecoverAdvice);
}

void RocksDbStorage::fail_io(const std::string& what, const std::string& status) const {
  throw StorageError("raft log in " + dir_ + ": " + what + ": " + status + "; " + kRuntimeAdvice);
}

// ---- Reads -------------------------------------------------------------------------------

InitialState RocksDbStorage::initial_state() const {
  return InitialState{hard_state_, snapshot_.metadata.conf_state};
}

Index RocksDbStorage::first_index() const { return snapshot_.metadata.index + 1; }

Index RocksDbStorage::last_index() const { return last_index_; }

Term RocksDbStorage::term(Index i) const {
  HA_ASSERT(i + 1 >= first_index() && i <= last_index(), "term out of range");
  if (i == snapshot_.metadata.index) return snapshot_.metadata.term;
  auto run = std::upper_bound(term_runs_.begin(), term_runs_.end(), i,
                              [](Index v, const std::pair<Index, Term>& r) { return v < r.first; });
  HA_ASSERT(run != term_runs_.begin(), "term runs do not cover the log");
  return std::prev(run)->second;
}

std::vector<Entry> RocksDbStorage::entries(Index lo, Index hi, std::uint64_t max_bytes) const {
  HA_ASSERT(lo >= first_index() && lo < hi && hi <= last_index() + 1, "entries out of range");
  const Index cached = cache_.empty() ? last_index_ + 1 : cache_.front().index;
  std::vector<Entry> out;
  std::uint64_t bytes = 0;
  if (lo < cached) {
    // Below the cache every entry is written (it holds all the unwritten ones); the rest of the
    // range, if any, comes from the cache.
    const Index end = std::min(hi, cached);
    out = read_entries(lo, end, max_bytes);
    if (out.back().index + 1 < end) return out;  // max_bytes reached
    for (const Entry& e : out) bytes += entry_size(e);
    lo = end;
  }
  for (Index i = lo; i < hi; ++i) {
    const Entry& e = cache_[static_cast<std::size_t>(i - cached)];
    bytes += entry_size(e);
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(e);
  }
  return out;
}

std::vector<Entry> RocksDbStorage::read_entries(Index lo, Index hi, std::uint64_t max_bytes) const {
  const std::string upper = codec::index_key(hi);
  rocksdb::Slice upper_slice = slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, entries_cf_));
  std::vector<Entry> out;
  std::uint64_t bytes = 0;
  Index expected = lo;
  bool full = false;
  for (it->Seek(slice(codec::index_key(lo))); it->Valid() && expected < hi; it->Next()) {
    Index key_index = 0;
    if (!codec::decode_index_key(view(it->key()), key_index) || key_index != expected) {
      fail_corrupt("entry " + std::to_string(expected) + " is missing while reading entries " +
                   range_text(lo, hi));
    }
    Entry e;
    if (auto st = codec::decode_entry(view(it->value()), e); st != codec::DecodeStatus::kOk) {
      fail_corrupt(entry_problem(expected, st));
    }
    if (e.index != expected) {
      fail_corrupt("the record stored as entry " + std::to_string(expected) + " holds entry " +
                   std::to_string(e.index));
    }
    bytes += entry_size(e);
    if (!out.empty() && bytes > max_bytes) {
      full = true;
      break;
    }
    out.push_back(std::move(e));
    ++expected;
  }
  if (!it->status().ok()) {
    if (it->status().IsCorruption()) {
      fail_corrupt("reading entries " + range_text(lo, hi) + ": " + it->status().ToString());
    }
    fail_io("cannot read entries " + range_text(lo, hi), it->status().ToString());
  }
  if (!full && expected < hi) {
    fail_corrupt("entry " + std::to_string(expected) + " is missing while reading entries " +
                 range_text(lo, hi));
  }
  return out;
}

Snapshot RocksDbStorage::snapshot() const {
  Snapshot out;
  out.metadata = snapshot_.metadata;
  out.data = read_snapshot_data(snapshot_);
  return out;
}

fs::path RocksDbStorage::snapshot_path(const codec::SnapshotRecord& record) const {
  if (record.file_id == 0) return {};
  return fs::path(dir_) / codec::snapshot_file_name(record.metadata.index, record.file_id);
}

std::string RocksDbStorage::read_snapshot_data(const codec::SnapshotRecord& record) const {
  const std::string what = "the snapshot at index " + std::to_string(record.metadata.index);
  std::string data;
  if (record.file_id == 0) {
    if (record.data_size != 0) {
      fail_corrupt(what + " has " + std::to_string(record.data_size) +
                   " bytes of data but its metadata names no data file");
    }
    return data;
  }
  const fs::path path = snapshot_path(record);
  if (int err = read_whole_file(path, data); err != 0) {
    if (err == ENOENT)
      fail_corrupt("the data file of " + what + ", " + path.string() + ", is missing");
    fail_io("cannot read the snapshot data file " + path.string(), std::strerror(err));
  }
  if (data.size() != record.data_size) {
    fail_corrupt("the data file of " + what + ", " + path.string() + ", holds " +
                 std::to_string(data.size()) + " bytes instead of " +
                 std::to_string(record.data_size) + " (truncated or overwritten)");
  }
  if (codec::crc32c(data.data(), data.size()) != record.data_crc) {
    fail_corrupt("the data file of " + what + ", " + path.string() + ", fails its checksum");
  }
  return data;
}

std::uint64_t RocksDbStorage::bytes_on_disk() const {
  std::uint64_t total = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code size_ec;
    // Files may vanish under us (RocksDB deletes obsolete ones); skip those.
    std::uintmax_t size = it->is_regular_file(size_ec) ? it->file_size(size_ec) : 0;
    if (!size_ec) total += size;
  }
  return total;
}

std::string RocksDbStorage::store_id() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : format_.store_id) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xF]);
  }
  return out;
}

// ---- Writes ------------------------------------------------------------------------------

std::unique_ptr<PreparedSnapshot> RocksDbStorage::prepare_snapshot(const Snapshot& snapshot) const {
  // Reads only dir_ (fixed at open) and takes an id from next_file_id_ (atomic), so that it can
  // run on another thread than the store's other calls.
  codec::SnapshotRecord record;
  record.metadata = snapshot.metadata;
  record.data_size = snapshot.data.size();
  record.data_crc = codec::crc32c(snapshot.data.data(), snapshot.data.size());
  if (snapshot.data.empty())
    return std::make_unique<PreparedFile>(this, std::move(record), fs::path());
  record.file_id = next_file_id_.fetch_add(1);
  fs::path path = snapshot_path(record);
  if (std::string err = write_new_file(path, snapshot.data); !err.empty()) {
    std::error_code ec;
    fs::remove(path, ec);
    fail_io("cannot write the snapshot data file " + path.string(), err);
  }
  auto prepared = std::make_unique<PreparedFile>(this, std::move(record), std::move(path));
  // The file's name must survive a power loss before a record may refer to it.
  if (std::string err = sync_dir(dir_); !err.empty())
    fail_io("cannot sync the data directory", err);
  return prepared;
}

void RocksDbStorage::check_writable() const {
  if (!failed_.empty()) {
    throw StorageError("raft log in " + dir_ + " refuses writes after an earlier failure (" +
                       failed_ + "); " + kRuntimeAdvice);
  }
  check_staged_writable();
}

void RocksDbStorage::check_staged_writable() const {
  if (staged_failed_) {
    throw StorageError("raft log in " + dir_ +
                       " refuses writes after an earlier failure (writing a staged save); " +
                       kRuntimeAdvice);
  }
}

void RocksDbStorage::write(rocksdb::WriteBatch& batch, bool sync, const char* what) {
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  rocksdb::Status s = db_->Write(wo, &batch);
  if (!s.ok()) {
    failed_ = std::string(what) + ": " + s.ToString();
    fail_io(std::string("writing failed while ") + what, s.ToString());
  }
}

void RocksDbStorage::batch_log(rocksdb::WriteBatch& batch, const HardState* hard_state,
                               const std::vector<Entry>& entries, Index first, Index last) const {
  if (!entries.empty()) {
    const Index from = entries.front().index;
    HA_ASSERT(from >= first, "append below the snapshot");
    HA_ASSERT(from <= last + 1, "append leaves a gap");
    for (std::size_t k = 1; k < entries.size(); ++k) {
      HA_ASSERT(entries[k].index == entries[k - 1].index + 1,
                "appended entries are not contiguous");
    }
    const Index to = entries.back().index;
    // Entries at from..to are overwritten by the puts; a longer old suffix must go.
    if (last > to) {
      batch.DeleteRange(entries_cf_, slice(codec::index_key(to + 1)),
                        slice(codec::index_key(last + 1)));
    }
    std::string value;
    for (const Entry& e : entries) {
      codec::encode_entry(e, value);
      batch.Put(entries_cf_, slice(codec::index_key(e.index)), slice(value));
    }
  }
  if (hard_state != nullptr) {
    batch.Put(meta_cf_, slice(std::string(codec::kHardStateKey)),
              slice(codec::encode_hard_state(*hard_state)));
  }
}

void RocksDbStorage::save(const HardState* hard_state, const std::vector<Entry>& entries,
                          const Snapshot* snapshot, bool sync) {
  HA_ASSERT(staged_firsts_.empty(), "save() while a staged save is outstanding");
  check_writable();
  rocksdb::WriteBatch batch;
  // The log's bounds as they will be after the snapshot part of this call.
  Index first = first_index();
  Index last = last_index();
  bool keep_suffix = false;
  codec::SnapshotRecord snapshot_record;
  std::unique_ptr<PreparedFile> installing;
  const bool with_snapshot = snapshot != nullptr && !snapshot->empty();
  if (with_snapshot) {
    const Index idx = snapshot->metadata.index;
    // Keep the entries after the snapshot only if they continue it (same term at idx).
    keep_suffix = idx >= first && idx <= last && term(idx) == snapshot->metadata.term;
    const Index drop_end = keep_suffix ? idx + 1 : last + 1;
    if (drop_end > first) {
      batch.DeleteRange(entries_cf_, slice(codec::index_key(first)),
                        slice(codec::index_key(drop_end)));
    }
    // The data file is written and synced here, on this thread: installs are rare.
    std::unique_ptr<PreparedSnapshot> prepared = prepare_snapshot(*snapshot);
    installing.reset(static_cast<PreparedFile*>(prepared.release()));
    snapshot_record = installing->record;
    batch.Put(meta_cf_, slice(std::string(codec::kSnapshotMetaKey)),
              slice(codec::encode_snapshot_record(snapshot_record)));
    first = idx + 1;
    last = keep_suffix ? last : idx;
  }
  batch_log(batch, hard_state, entries, first, last);

  if (installing) installing->path.clear();  // the batch may reference it even if it fails
  if (batch.Count() > 0) {
    write(batch, sync, "saving a Ready");
  } else if (sync) {
    // Nothing new, but earlier unsynced saves must now become durable.
    rocksdb::Status s = db_->FlushWAL(true);
    if (!s.ok()) {
      failed_ = "syncing the write-ahead log: " + s.ToString();
      fail_io("syncing the write-ahead log failed", s.ToString());
    }
  }
  if (sync) ++syncs_;

  if (with_snapshot) note_snapshot(snapshot_record, keep_suffix);
  if (!entries.empty()) note_append(entries);
  if (hard_state != nullptr) hard_state_ = *hard_state;
  if (sync) remove_replaced_snapshot_files();
}

void RocksDbStorage::commit_snapshot(std::unique_ptr<PreparedSnapshot> prepared) {
  auto* file = dynamic_cast<PreparedFile*>(prepared.get());
  HA_ASSERT(file != nullptr && file->owner == this,
            "commit_snapshot with a snapshot another store prepared");
  const codec::SnapshotRecord& record = file->record;
  const Index idx = record.metadata.index;
  if (idx <= snapshot_.metadata.index) return;  // `prepared` removes its file
  check_writable();
  HA_ASSERT(idx < first_unwritten_index(), "compact over an entry whose staged write has not returned");
  HA_ASSERT(idx <= last_index(), "compact beyond the log");
  HA_ASSERT(term(idx) == record.metadata.term, "compact with a snapshot of another history");
  rocksdb::WriteBatch batch;
  batch.DeleteRange(entries_cf_, slice(codec::index_key(first_index())),
                    slice(codec::index_key(idx + 1)));
  batch.Put(meta_cf_, slice(std::string(codec::kSnapshotMetaKey)),
            slice(codec::encode_snapshot_record(record)));
  file->path.clear();  // the batch may reference it even if the write fails
  write(batch, false, "compacting the log");
  note_snapshot(record, true);
}

void RocksDbStorage::remove_replaced_snapshot_files() {
  // Called after a sync: the records that replaced these files are durable.
  schedule_removal(db_->GetEnv(), std::move(replaced_files_));
  replaced_files_.clear();
}

std::unique_ptr<StagedSave> RocksDbStorage::stage(const HardState* hard_state,
                                                  const std::vector<Entry>& entries, bool sync) {
  check_writable();
  auto staged = std::make_unique<StagedBatch>(this, sync);
  batch_log(staged->batch, hard_state, entries, first_index(), last_index());
  // The records that replaced these files were written before this batch will be.
  if (sync) staged->replaced = std::exchange(replaced_files_, {});
  if (!entries.empty()) staged->first = entries.front().index;
  staged_firsts_.push_back(staged->first);
  if (!entries.empty()) note_append(entries);
  if (hard_state != nullptr) hard_state_ = *hard_state;
  return staged;
}

void RocksDbStorage::write_staged(StagedSave& staged) {
  StagedSave* one = &staged;
  write_staged_group({one});
}

void RocksDbStorage::write_staged_group(const std::vector<StagedSave*>& saves) {
  // On the persist thread: touches only the batches, db_ (thread-safe), dir_ (fixed at open) and
  // the atomics. One fsync for the group: the last save that asks for one syncs, and so makes
  // the earlier ones durable too; the others are written unsynced.
  std::vector<StagedBatch*> batches;
  std::size_t last_sync = saves.size();
  for (StagedSave* staged : saves) {
    auto* save = dynamic_cast<StagedBatch*>(staged);
    HA_ASSERT(save != nullptr && save->owner == this, "write_staged of a save another store staged");
    HA_ASSERT(!save->written, "write_staged twice");
    if (save->sync) last_sync = batches.size();
    batches.push_back(save);
  }
  for (std::size_t i = 0; i < batches.size(); ++i) {
    StagedBatch& save = *batches[i];
    const bool sync = i == last_sync;
    check_staged_writable();
    rocksdb::Status s;
    if (save.batch.Count() > 0) {
      rocksdb::WriteOptions wo;
      wo.sync = sync;
      s = db_->Write(wo, &save.batch);
    } else if (sync) {
      s = db_->FlushWAL(true);  // nothing new, but earlier unsynced writes must become durable
    }
    if (!s.ok()) {
      staged_failed_ = true;
      fail_io("writing failed while saving a Ready", s.ToString());
    }
    save.written = true;
  }
  if (last_sync == batches.size()) return;
  for (std::size_t i = 0; i <= last_sync; ++i) {
    if (!batches[i]->sync) continue;
    ++syncs_;
    schedule_removal(db_->GetEnv(), std::move(batches[i]->replaced));
  }
}

void RocksDbStorage::staged_written(StagedSave& staged) {
  auto& save = static_cast<StagedBatch&>(staged);
  HA_ASSERT(save.written, "staged_written before write_staged returned");
  HA_ASSERT(!staged_firsts_.empty() && staged_firsts_.front() == save.first,
            "staged_written out of staging order");
  staged_firsts_.pop_front();
  trim_cache();
}

// ---- In-memory state ---------------------------------------------------------------------

void RocksDbStorage::note_snapshot(const codec::SnapshotRecord& record, bool keep_suffix) {
  const Index idx = record.metadata.index;
  if (keep_suffix) {
    drop_cached_prefix(idx);
  } else {
    term_runs_.clear();
    cache_.clear();
    cache_bytes_ = 0;
    last_index_ = idx;
  }
  if (snapshot_.file_id != 0) replaced_files_.push_back(snapshot_path(snapshot_));
  snapshot_ = record;
}

void RocksDbStorage::drop_cached_prefix(Index upto) {
  std::size_t drop = 0;
  while (drop + 1 < term_runs_.size() && term_runs_[drop + 1].first <= upto + 1) ++drop;
  term_runs_.erase(term_runs_.begin(), term_runs_.begin() + static_cast<std::ptrdiff_t>(drop));
  if (upto >= last_index_) {
    term_runs_.clear();
  } else if (!term_runs_.empty() && term_runs_.front().first <= upto) {
    term_runs_.front().first = upto + 1;
  }
  while (!cache_.empty() && cache_.front().index <= upto) {
    cache_bytes_ -= entry_size(cache_.front());
    cache_.pop_front();
  }
}

void RocksDbStorage::note_append(const std::vector<Entry>& entries) {
  const Index from = entries.front().index;
  while (!term_runs_.empty() && term_runs_.back().first >= from) term_runs_.pop_back();
  for (const Entry& e : entries) {
    if (term_runs_.empty() || term_runs_.back().second != e.term)
      term_runs_.emplace_back(e.index, e.term);
  }
  last_index_ = entries.back().index;

  while (!cache_.empty() && cache_.back().index >= from) {
    cache_bytes_ -= entry_size(cache_.back());
    cache_.pop_back();
  }
  if (!cache_.empty() && cache_.back().index + 1 != from) {
    cache_.clear();
    cache_bytes_ = 0;
  }
  for (const Entry& e : entries) {
    cache_.push_back(e);
    cache_bytes_ += entry_size(e);
  }
  trim_cache();
}

Index RocksDbStorage::first_unwritten_index() const {
  Index from = std::numeric_limits<Index>::max();
  for (Index first : staged_firsts_) from = std::min(from, first);
  return from;
}

void RocksDbStorage::trim_cache() {
  const Index pinned = first_unwritten_index();
  while (!cache_.empty() && cache_bytes_ > cache_limit_ && cache_.front().index < pinned) {
    cache_bytes_ -= entry_size(cache_.front());
    cache_.pop_front();
  }
}

}  // namespace ha::raft
