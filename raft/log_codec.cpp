#include "raft/log_codec.hpp"

#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace ha::raft::codec {

namespace {

// ---- CRC32C ----------------------------------------------------------------------------

constexpr std::uint32_t kCastagnoliReflected = 0x82F63B78u;

// tables[k][b]: the CRC contribution of byte b followed by k zero bytes ("slicing by 8").
constexpr std::array<std::array<std::uint32_t, 256>, 8> make_tables() {
  std::array<std::array<std::uint32_t, 256>, 8> t{};
  for (std::uint32_t b = 0; b < 256; ++b) {
    std::uint32_t c = b;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1u) != 0 ? (c >> 1) ^ kCastagnoliReflected : c >> 1;
    t[0][b] = c;
  }
  for (std::size_t k = 1; k < 8; ++k) {
    for (std::size_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFFu];
  }
  return t;
}

constexpr auto kTables = make_tables();

std::uint32_t load_le32(const unsigned char* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

std::uint32_t crc_portable_raw(const unsigned char* p, std::size_t n, std::uint32_t c) {
  while (n >= 8) {
    std::uint32_t lo = load_le32(p) ^ c;
    std::uint32_t hi = load_le32(p + 4);
    c = kTables[7][lo & 0xFFu] ^ kTables[6][(lo >> 8) & 0xFFu] ^ kTables[5][(lo >> 16) & 0xFFu] ^
        kTables[4][lo >> 24] ^ kTables[3][hi & 0xFFu] ^ kTables[2][(hi >> 8) & 0xFFu] ^
        kTables[1][(hi >> 16) & 0xFFu] ^ kTables[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c = (c >> 8) ^ kTables[0][(c ^ *p++) & 0xFFu];
  return c;
}

#if defined(__x86_64__)
[[gnu::target("sse4.2")]] std::uint32_t crc_hw_raw(const unsigned char* p, std::size_t n,
                                                   std::uint32_t c) {
  std::uint64_t c64 = c;
  while (n >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    c64 = _mm_crc32_u64(c64, word);
    p += 8;
    n -= 8;
  }
  c = static_cast<std::uint32_t>(c64);
  while (n-- > 0) c = _mm_crc32_u8(c, *p++);
  return c;
}

bool have_sse42() {
  static const bool has = __builtin_cpu_supports("sse4.2") != 0;
  return has;
}
#endif

// ---- Fixed-width little-endian fields --------------------------------------------------

void put_u8(std::string& s, std::uint8_t v) { s.push_back(static_cast<char>(v)); }

void put_u32(std::string& s, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
}

void put_u64(std::string& s, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
}

// Reads fields front to back; any read past the end sets `ok` to false and returns 0.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  std::uint8_t u8() { return static_cast<std::uint8_t>(take(1)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(take(4)); }
  std::uint64_t u64() { return take(8); }
  std::string_view rest() {
    std::string_view r = s_.substr(pos_);
    pos_ = s_.size();
    return r;
  }
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == s_.size(); }
  std::size_t remaining() const { return s_.size() - pos_; }

 private:
  std::uint64_t take(std::size_t n) {
    if (!ok_ || s_.size() - pos_ < n) {
      ok_ = false;
      return 0;
    }
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) {
      v |= static_cast<std::uint64_t>(static_cast<unsigned char>(s_[pos_ + i])) << (8 * i);
    }
    pos_ += n;
    return v;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

// Record kinds: the byte after the CRC, so that a record in the wrong place is recognised.
enum class Kind : std::uint8_t { kEntry = 1, kHardState = 2, kSnapshot = 3, kFormat = 4 };

constexpr std::size_t kHeader = 5;  // crc u32 + kind u8

void begin_record(std::string& out, Kind kind) {
  out.clear();
  put_u32(out, 0);  // crc, filled by seal()
  put_u8(out, static_cast<std::uint8_t>(kind));
}

void seal(std::string& out) {
  std::uint32_t c = crc32c(out.data() + 4, out.size() - 4);
  for (int i = 0; i < 4; ++i)
    out[static_cast<std::size_t>(i)] = static_cast<char>((c >> (8 * i)) & 0xFFu);
}

// Checks length, CRC and kind; on success `body` is the bytes after the header.
DecodeStatus open_record(std::string_view value, Kind kind, std::string_view& body) {
  if (value.size() < kHeader) return DecodeStatus::kTruncated;
  std::uint32_t stored = load_le32(reinterpret_cast<const unsigned char*>(value.data()));
  if (crc32c(value.data() + 4, value.size() - 4) != stored) return DecodeStatus::kChecksum;
  if (static_cast<std::uint8_t>(value[4]) != static_cast<std::uint8_t>(kind)) {
    return DecodeStatus::kWrongKind;
  }
  body = value.substr(kHeader);
  return DecodeStatus::kOk;
}

void put_ids(std::string& out, const std::vector<NodeId>& ids) {
  put_u32(out, static_cast<std::uint32_t>(ids.size()));
  for (NodeId id : ids) put_u64(out, id);
}

bool get_ids(Reader& r, std::vector<NodeId>& ids) {
  std::uint32_t n = r.u32();
  if (!r.ok() || r.remaining() / 8 < n) return false;
  ids.clear();
  ids.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) ids.push_back(r.u64());
  return r.ok();
}

// ---- Snapshot file names ---------------------------------------------------------------

constexpr std::string_view kSnapshotFilePrefix = "snapshot-";
constexpr std::string_view kSnapshotFileSuffix = ".snap";
constexpr std::size_t kHexDigits = 16;

std::string hex(std::uint64_t v) {
  std::string s(kHexDigits, '0');
  for (std::size_t i = kHexDigits; i-- > 0; v >>= 4) s[i] = "0123456789abcdef"[v & 0xFu];
  return s;
}

bool parse_hex(std::string_view s, std::uint64_t& out) {
  if (s.size() != kHexDigits) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  out = v;
  return true;
}

}  // namespace

std::uint32_t crc32c_portable(const void* data, std::size_t size, std::uint32_t crc) {
  return ~crc_portable_raw(static_cast<const unsigned char*>(data), size, ~crc);
}

std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc) {
#if defined(__x86_64__)
  if (have_sse42()) return ~crc_hw_raw(static_cast<const unsigned char*>(data), size, ~crc);
#endif
  return crc32c_portable(data, size, crc);
}

const char* to_string(DecodeStatus s) {
  switch (s) {
    case DecodeStatus::kOk: return "ok";
    case DecodeStatus::kTruncated: return "record is truncated";
    case DecodeStatus::kChecksum: return "record fails its checksum";
    case DecodeStatus::kWrongKind: return "record is of the wrong kind";
    case DecodeStatus::kBadField: return "record holds an invalid field";
  }
  return "unknown decode status";
}

std::string index_key(Index i) {
  std::string k(8, '\0');
  for (int b = 0; b < 8; ++b)
    k[static_cast<std::size_t>(b)] = static_cast<char>((i >> (56 - 8 * b)) & 0xFFu);
  return k;
}

bool decode_index_key(std::string_view key, Index& out) {
  if (key.size() != 8) return false;
  Index v = 0;
  for (char c : key) v = (v << 8) | static_cast<unsigned char>(c);
  out = v;
  return true;
}

void encode_entry(const Entry& e, std::string& out) {
  begin_record(out, Kind::kEntry);
  out.reserve(encoded_entry_size(e));
  put_u64(out, e.index);
  put_u64(out, e.term);
  put_u8(out, static_cast<std::uint8_t>(e.type));
  out.append(e.data);
  seal(out);
}

DecodeStatus decode_entry(std::string_view value, Entry& out) {
  std::string_view body;
  if (DecodeStatus s = open_record(value, Kind::kEntry, body); s != DecodeStatus::kOk) return s;
  Reader r(body);
  out.index = r.u64();
  out.term = r.u64();
  std::uint8_t type = r.u8();
  if (!r.ok()) return DecodeStatus::kTruncated;
  if (type > static_cast<std::uint8_t>(EntryType::kConfChange)) return DecodeStatus::kBadField;
  out.type = static_cast<EntryType>(type);
  out.data.assign(r.rest());
  return DecodeStatus::kOk;
}

std::string encode_hard_state(const HardState& hs) {
  std::string out;
  begin_record(out, Kind::kHardState);
  put_u64(out, hs.term);
  put_u64(out, hs.vote);
  put_u64(out, hs.commit);
  seal(out);
  return out;
}

DecodeStatus decode_hard_state(std::string_view value, HardState& out) {
  std::string_view body;
  if (DecodeStatus s = open_record(value, Kind::kHardState, body); s != DecodeStatus::kOk) return s;
  Reader r(body);
  out.term = r.u64();
  out.vote = r.u64();
  out.commit = r.u64();
  if (!r.ok()) return DecodeStatus::kTruncated;
  if (!r.at_end()) return DecodeStatus::kBadField;
  return DecodeStatus::kOk;
}

std::string encode_snapshot_record(const SnapshotRecord& rec) {
  std::string out;
  begin_record(out, Kind::kSnapshot);
  put_u64(out, rec.metadata.index);
  put_u64(out, rec.metadata.term);
  put_ids(out, rec.metadata.conf_state.voters);
  put_ids(out, rec.metadata.conf_state.learners);
  put_u64(out, rec.data_size);
  put_u64(out, rec.chunk_count);
  put_u32(out, rec.data_crc);
  put_u64(out, rec.file_id);
  seal(out);
  return out;
}

DecodeStatus decode_snapshot_record(std::string_view value, SnapshotRecord& out) {
  std::string_view body;
  if (DecodeStatus s = open_record(value, Kind::kSnapshot, body); s != DecodeStatus::kOk) return s;
  Reader r(body);
  out.metadata.index = r.u64();
  out.metadata.term = r.u64();
  if (!get_ids(r, out.metadata.conf_state.voters)) return DecodeStatus::kTruncated;
  if (!get_ids(r, out.metadata.conf_state.learners)) return DecodeStatus::kTruncated;
  out.data_size = r.u64();
  out.chunk_count = r.u64();
  out.data_crc = r.u32();
  out.file_id = 0;
  if (!r.ok()) return DecodeStatus::kTruncated;
  if (r.at_end()) return DecodeStatus::kOk;  // version 1
  out.file_id = r.u64();
  if (!r.ok()) return DecodeStatus::kTruncated;
  if (!r.at_end()) return DecodeStatus::kBadField;
  return DecodeStatus::kOk;
}

std::string snapshot_file_name(Index index, std::uint64_t file_id) {
  return std::string(kSnapshotFilePrefix) + hex(index) + "-" + hex(file_id) +
         std::string(kSnapshotFileSuffix);
}

bool parse_snapshot_file_name(std::string_view name, Index& index, std::uint64_t& file_id) {
  if (!name.starts_with(kSnapshotFilePrefix) || !name.ends_with(kSnapshotFileSuffix)) return false;
  name.remove_prefix(kSnapshotFilePrefix.size());
  name.remove_suffix(kSnapshotFileSuffix.size());
  if (name.size() != 2 * kHexDigits + 1 || name[kHexDigits] != '-') return false;
  return parse_hex(name.substr(0, kHexDigits), index) &&
         parse_hex(name.substr(kHexDigits + 1), file_id);
}

std::string encode_format_record(const FormatRecord& rec) {
  std::string out;
  begin_record(out, Kind::kFormat);
  out.append(kFormatMagic);
  put_u32(out, rec.version);
  for (std::uint8_t b : rec.store_id) put_u8(out, b);
  seal(out);
  return out;
}

DecodeStatus decode_format_record(std::string_view value, FormatRecord& out) {
  std::string_view body;
  if (DecodeStatus s = open_record(value, Kind::kFormat, body); s != DecodeStatus::kOk) return s;
  if (body.substr(0, kFormatMagic.size()) != kFormatMagic) return DecodeStatus::kBadField;
  Reader r(body.substr(kFormatMagic.size()));
  out.version = r.u32();
  for (std::uint8_t& b : out.store_id) b = r.u8();
  if (!r.ok()) return DecodeStatus::kTruncated;
  // Later versions may append fields; the caller rejects unknown versions anyway.
  return DecodeStatus::kOk;
}

}  // namespace ha::raft::codec
