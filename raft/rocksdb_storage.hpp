// RocksDbStorage: the production DurableStorage, a Raft log in RocksDB (column families
// "entries" and "meta") with the snapshot data in a file beside it, one WriteBatch per save(),
// verified when opened. Not thread-safe (one driver thread owns it), like MemoryStorage, except
// that prepare_snapshot() may run on any other thread, and write_staged() on one other thread (a
// persist thread), both concurrently with the owning thread's calls.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "raft/log_codec.hpp"
#include "raft/storage.hpp"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatch;
}  // namespace rocksdb

namespace ha::raft {

class RocksDbStorage : public DurableStorage {
 public:
  struct OpenOptions {
    // Create a new store when `dir` is missing or empty. An existing, non-empty directory
    // without a store in it is always refused (it may be a store whose files were lost).
    bool create_if_missing = true;
    // Refuse to open a store that already exists (for "initialise a new member" commands).
    bool error_if_exists = false;
    // The configuration of a new cluster, written only when the store is created
    // (like MemoryStorage(const ConfState&)); ignored when the store already exists.
    std::optional<ConfState> bootstrap;
    // Most recent entries kept in memory so that a leader sending them to followers does not
    // read RocksDB; 0 disables the cache.
    std::uint64_t entry_cache_bytes = 4u << 20;
    // Memtable size of the entries column family.
    std::uint64_t write_buffer_bytes = 32u << 20;
    // Also check the block checksums of every RocksDB file at open (on top of the record
    // checks, which always run).
    bool verify_file_checksums = true;
    // Where RocksDB's own warnings and errors go (one line each); default: stderr. RocksDB
    // writes no LOG file of its own, so a full disk cannot fail it there.
    std::function<void(const std::string&)> log;
    // The identity recorded in a new store; default: 16 bytes from std::random_device.
    std::optional<std::array<std::uint8_t, 16>> store_id;
  };

  // Opens (or creates) the store in `dir` and verifies it: known format version, every record's
  // checksum, the snapshot data file's size and checksum, entries contiguous from snapshot
  // index + 1 with non-decreasing terms, hard state commit within [snapshot index, last index].
  // Throws StorageError naming the directory and saying what to do on any problem. Removes
  // snapshot data files that were prepared but never committed, and moves the snapshot data of
  // a format version 1 store (chunks in the "snapshot" column family) into a file.
  static std::unique_ptr<RocksDbStorage> open(const std::string& dir, const OpenOptions& options);
  static std::unique_ptr<RocksDbStorage> open(const std::string& dir);

  ~RocksDbStorage() override;
  RocksDbStorage(const RocksDbStorage&) = delete;
  RocksDbStorage& operator=(const RocksDbStorage&) = delete;

  InitialState initial_state() const override;
  std::vector<Entry> entries(Index lo, Index hi, std::uint64_t max_bytes) const override;
  Term term(Index i) const override;
  Index first_index() const override;
  Index last_index() const override;
  // Reads the snapshot data from its file (it is not kept in memory) and checks its checksum.
  Snapshot snapshot() const override;

  // One WriteBatch; with `sync` one fsync of the write-ahead log (group commit per Ready). An
  // incoming snapshot's data file is written and synced first, on the calling thread.
  void save(const HardState* hard_state, const std::vector<Entry>& entries,
            const Snapshot* snapshot, bool sync) override;
  // Writes the data to a new file, snapshot-<index>-<file id>.snap, and syncs it and the
  // directory. Touches only the file and an atomic counter: safe on any thread beside the others.
  std::unique_ptr<PreparedSnapshot> prepare_snapshot(const Snapshot& snapshot) const override;
  // One small WriteBatch (snapshot record, range deletion of the entries), not synced: if it is
  // lost in a crash the store still holds the older snapshot and the whole log, which is equally
  // valid; the next synced save() makes it durable and only then has the older data file
  // removed (by RocksDB's background threads: removing a large file takes milliseconds).
  void commit_snapshot(std::unique_ptr<PreparedSnapshot> prepared) override;

  // stage() builds the WriteBatch save() would write (without a snapshot) and updates the
  // in-memory state at once; the staged entries stay in the cache, whatever its limit, until
  // staged_written(), and entries() reads them from there. write_staged() only writes the batch
  // and, when synced, counts the sync and schedules the removal of the snapshot data files that
  // writes made before its stage() replaced.
  std::unique_ptr<StagedSave> stage(const HardState* hard_state, const std::vector<Entry>& entries,
                                    bool sync) override;
  void write_staged(StagedSave& staged) override;
  // One fsync for the group (the last save that asks for one), not one per save.
  void write_staged_group(const std::vector<StagedSave*>& saves) override;
  void staged_written(StagedSave& staged) override;
  // The minimum over the outstanding stages, not the oldest one's: a later stage may have
  // overwritten from a lower index.
  Index first_unwritten_index() const override;

  // Number of synced writes: save() calls and staged saves with sync = true (same meaning as
  // MemoryStorage::sync_count()).
  std::uint64_t sync_count() const { return syncs_; }
  // Size of the files in the data directory (write-ahead log, tables, manifest), in bytes.
  std::uint64_t bytes_on_disk() const;
  const std::string& dir() const { return dir_; }
  // True when open() created this store (a new member), false when it reopened one.
  bool created() const { return created_; }
  // The random identity chosen when the store was created, as 32 hex digits.
  std::string store_id() const;
  HardState hard_state() const { return hard_state_; }

 private:
  RocksDbStorage(std::string dir, const OpenOptions& options);

  void create_new(const OpenOptions& options);
  void load_and_verify(const OpenOptions& options);
  std::string read_chunked_snapshot() const;  // format version 1
  void migrate_chunked_snapshot(const std::string& data);
  void remove_stray_snapshot_files();
  void write_marker(const std::filesystem::path& marker) const;
  void remove_marker(const std::filesystem::path& marker) const;

  std::filesystem::path snapshot_path(const codec::SnapshotRecord& record) const;
  // The data of the snapshot `record` describes, checked against its size and checksum.
  std::string read_snapshot_data(const codec::SnapshotRecord& record) const;
  void write(rocksdb::WriteBatch& batch, bool sync, const char* what);
  // The puts of `entries` (and the deletion of a longer old suffix) into a log whose entries are
  // [first, last], then of the hard state: shared by save() and stage().
  void batch_log(rocksdb::WriteBatch& batch, const HardState* hard_state,
                 const std::vector<Entry>& entries, Index first, Index last) const;
  void check_writable() const;
  // The part of check_writable() that write_staged() may run: it reads only atomics.
  void check_staged_writable() const;
  void remove_replaced_snapshot_files();

  // In-memory state updates, made only after the write that they describe succeeded.
  void note_snapshot(const codec::SnapshotRecord& record, bool keep_suffix);
  void note_append(const std::vector<Entry>& entries);
  void drop_cached_prefix(Index upto);  // entries <= upto leave the term runs and the cache
  // Drops the oldest cached entries over cache_limit_, below first_unwritten_index() (from there
  // on entries exist only in memory).
  void trim_cache();

  std::vector<Entry> read_entries(Index lo, Index hi, std::uint64_t max_bytes) const;

  [[noreturn]] void fail_corrupt(const std::string& what) const;
  [[noreturn]] void fail_io(const std::string& what, const std::string& status) const;

  std::string dir_;
  std::uint64_t cache_limit_ = 0;
  bool created_ = false;

  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* default_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* entries_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* snapshot_cf_ = nullptr;

  // Cached copies of what is on disk.
  codec::FormatRecord format_;
  HardState hard_state_;
  codec::SnapshotRecord snapshot_;  // metadata.index is the index before the first entry
  // Data files of snapshots replaced by a write not yet synced: removed after the next sync, so
  // that a crash which loses that write finds the older snapshot complete.
  std::vector<std::filesystem::path> replaced_files_;
  // The file id the next prepare_snapshot() takes (the only member it changes).
  mutable std::atomic<std::uint64_t> next_file_id_{1};
  Index last_index_ = 0;
  // (first index, term) of each run of equal terms in the log, ascending; makes term() cheap.
  std::vector<std::pair<Index, Term>> term_runs_;
  // A contiguous suffix of the log ending at last_index_ (or empty), at most cache_limit_ bytes
  // plus the entries from first_unwritten_index() on, which it always holds.
  std::deque<Entry> cache_;
  std::uint64_t cache_bytes_ = 0;
  // The first entry index of each staged save not yet confirmed written, in staging order (max
  // for one without entries); only the owning thread uses it.
  std::deque<Index> staged_firsts_;

  // Atomic: write_staged() counts its syncs on the persist thread.
  std::atomic<std::uint64_t> syncs_{0};
  // Set by the first failed write: RocksDB and this cache may disagree from then on, so every
  // later write is refused with this message.
  std::string failed_;
  // The same for a failed write_staged(), which cannot touch failed_ (the owning thread's).
  std::atomic<bool> staged_failed_{false};
};

}  // namespace ha::raft
