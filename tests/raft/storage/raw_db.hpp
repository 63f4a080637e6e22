// RawDb: opens a RocksDbStorage's directory with plain RocksDB, bypassing the store and its
// codec, so that corruption tests can damage records the way a bad disk or a bug would.
#pragma once

#include <rocksdb/db.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace ha::raft::test {

class RawDb {
 public:
  explicit RawDb(const std::string& dir) {
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const char* name : {"default", "entries", "meta", "snapshot"}) {
      cfs.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    rocksdb::DB* raw = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(rocksdb::DBOptions(), dir, cfs, &handles_, &raw);
    if (!s.ok()) throw std::runtime_error("raw open failed: " + s.ToString());
    db_.reset(raw);
  }
  ~RawDb() {
    for (rocksdb::ColumnFamilyHandle* h : handles_) db_->DestroyColumnFamilyHandle(h);
    db_->Close();
  }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  rocksdb::DB* db() { return db_.get(); }
  rocksdb::ColumnFamilyHandle* entries() { return handles_[1]; }
  rocksdb::ColumnFamilyHandle* meta() { return handles_[2]; }
  rocksdb::ColumnFamilyHandle* snapshot() { return handles_[3]; }

  std::string get(rocksdb::ColumnFamilyHandle* cf, const std::string& key) {
    std::string v;
    check(db_->Get(rocksdb::ReadOptions(), cf, key, &v));
    return v;
  }
  void put(rocksdb::ColumnFamilyHandle* cf, const std::string& key, const std::string& value) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    check(db_->Put(wo, cf, key, value));
  }
  void del(rocksdb::ColumnFamilyHandle* cf, const std::string& key) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    check(db_->Delete(wo, cf, key));
  }
  // Table files of one column family, newest (highest file number) last, as full paths.
  std::vector<std::string> sst_files(const std::string& cf) {
    std::vector<rocksdb::LiveFileMetaData> files;
    db_->GetLiveFilesMetaData(&files);
    std::vector<std::string> out;
    for (const auto& f : files) {
      if (f.column_family_name == cf) out.push_back(f.db_path + f.name);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  // Moves everything from the memtables into table (.sst) files.
  void flush() { check(db_->Flush(rocksdb::FlushOptions(), handles_)); }

 private:
  static void check(const rocksdb::Status& s) {
    if (!s.ok()) throw std::runtime_error("raw RocksDB operation failed: " + s.ToString());
  }

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

}  // namespace ha::raft::test
