// The on-disk binary encoding of RocksDbStorage's records (entries, hard state, snapshot
// metadata, format identity), each guarded by a CRC32C. Pure functions; no RocksDB, no I/O.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "raft/types.hpp"

namespace ha::raft::codec {

// CRC32C (Castagnoli), as used by iSCSI/ext4; `crc` continues an earlier value.
std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc = 0);
// The table-driven implementation, always available (tests compare it with crc32c()).
std::uint32_t crc32c_portable(const void* data, std::size_t size, std::uint32_t crc = 0);

// The current layout of every record below. A store records it once (FormatRecord) and a
// build refuses a store with a version it does not know. Version 1 kept the snapshot data in
// chunks in RocksDB; version 2 keeps it in a file (SnapshotRecord::file_id); open() migrates.
inline constexpr std::uint32_t kFormatVersion = 2;
inline constexpr std::uint32_t kFormatVersionChunkedSnapshot = 1;
inline constexpr std::string_view kFormatMagic = "ha-raft-log";

// Keys. Entry keys (and version 1 snapshot chunk keys) are 8-byte big-endian numbers so that
// RocksDB's bytewise order is numeric order.
std::string index_key(Index i);
bool decode_index_key(std::string_view key, Index& out);
inline constexpr std::string_view kFormatKey = "format";
inline constexpr std::string_view kHardStateKey = "hard_state";
inline constexpr std::string_view kSnapshotMetaKey = "snapshot";

enum class DecodeStatus : std::uint8_t {
  kOk,
  kTruncated,  // shorter than its fixed fields
  kChecksum,   // the CRC32C does not match the bytes
  kWrongKind,  // a record of another kind (e.g. hard state bytes where an entry belongs)
  kBadField,   // checksum fine but a field holds an impossible value (a bug or another format)
};
const char* to_string(DecodeStatus s);

// Entry record: crc32c u32 | kind u8 | index u64 | term u64 | type u8 | data (the rest).
// All integers little-endian. The index is stored in the value too, so a value under the
// wrong key is detected.
void encode_entry(const Entry& e, std::string& out);  // replaces out's contents
DecodeStatus decode_entry(std::string_view value, Entry& out);
// Bytes an encoded entry takes (for sizing buffers and estimates).
inline std::size_t encoded_entry_size(const Entry& e) { return 22 + e.data.size(); }

std::string encode_hard_state(const HardState& hs);
DecodeStatus decode_hard_state(std::string_view value, HardState& out);

// Snapshot metadata plus a description of where the data is, so that missing or damaged data
// is detected.
struct SnapshotRecord {
  SnapshotMetadata metadata;
  std::uint64_t data_size = 0;
  // Version 1 only: the data is in this many chunks in the snapshot column family (0 in version 2).
  std::uint64_t chunk_count = 0;
  std::uint32_t data_crc = 0;  // crc32c of the whole data
  // Version 2: the data is in the file snapshot_file_name(metadata.index, file_id) beside the
  // RocksDB files; 0 when there is no data (and no file).
  std::uint64_t file_id = 0;

  bool operator==(const SnapshotRecord&) const = default;
};
// Layout: crc u32 | kind u8 | index u64 | term u64 | voters | learners | data_size u64 |
// chunk_count u64 | data_crc u32 | file_id u64. Version 1 records end before file_id; they
// decode with file_id 0.
std::string encode_snapshot_record(const SnapshotRecord& r);
DecodeStatus decode_snapshot_record(std::string_view value, SnapshotRecord& out);

// The name of a snapshot data file, e.g. "snapshot-0000000000001234-0000000000000007.snap"
// (index and file id in hex), and its inverse (false for any other name).
std::string snapshot_file_name(Index index, std::uint64_t file_id);
bool parse_snapshot_file_name(std::string_view name, Index& index, std::uint64_t& file_id);

// Identity of a store: the format version it was written with and a random id chosen when it
// was created (lets an operator tell two data directories apart).
struct FormatRecord {
  std::uint32_t version = kFormatVersion;
  std::array<std::uint8_t, 16> store_id{};

  bool operator==(const FormatRecord&) const = default;
};
std::string encode_format_record(const FormatRecord& r);
// kBadField when the magic is not ours; the version is returned as found (the caller decides).
DecodeStatus decode_format_record(std::string_view value, FormatRecord& out);

}  // namespace ha::raft::codec
