// The record encoding of RocksDbStorage: CRC32C, round trips, and damaged records refused.
#include "raft/log_codec.hpp"

#include <catch2/catch.hpp>
#include <random>

namespace ha::raft::codec {
namespace {

TEST_CASE("storage codec: crc32c matches the published check values", "[storage][codec]") {
  const std::string check = "123456789";
  CHECK(crc32c(check.data(), check.size()) == 0xE3069283u);
  CHECK(crc32c_portable(check.data(), check.size()) == 0xE3069283u);
  // RFC 3720 (iSCSI) appendix B.4.
  std::string zeros(32, '\0');
  std::string ones(32, '\xff');
  CHECK(crc32c(zeros.data(), zeros.size()) == 0x8A9136AAu);
  CHECK(crc32c(ones.data(), ones.size()) == 0x62A8AB43u);
  std::string inc(32, '\0');
  for (std::size_t i = 0; i < inc.size(); ++i) inc[i] = static_cast<char>(i);
  CHECK(crc32c(inc.data(), inc.size()) == 0x46DD794Eu);
  CHECK(crc32c(nullptr, 0) == 0u);
}

TEST_CASE("storage codec: crc32c: hardware and portable agree, and a crc can be continued",
          "[storage][codec]") {
  std::mt19937_64 rng(42);
  std::string buf(5000, '\0');
  for (char& c : buf) c = static_cast<char>(rng());
  for (std::size_t off : {0u, 1u, 3u, 7u}) {
    for (std::size_t len : {0u, 1u, 7u, 8u, 9u, 63u, 64u, 1000u, 4093u}) {
      const char* p = buf.data() + off;
      std::uint32_t whole = crc32c(p, len);
      CHECK(whole == crc32c_portable(p, len));
      std::size_t half = len / 3;
      CHECK(crc32c(p + half, len - half, crc32c(p, half)) == whole);
    }
  }
}

TEST_CASE("storage codec: index keys sort numerically", "[storage][codec]") {
  CHECK(index_key(255) < index_key(256));
  CHECK(index_key(1) < index_key(0x0100000000000000ull));
  Index back = 0;
  REQUIRE(decode_index_key(index_key(0x0102030405060708ull), back));
  CHECK(back == 0x0102030405060708ull);
  CHECK_FALSE(decode_index_key("short", back));
}

TEST_CASE("storage codec: entry records round-trip and every damaged byte is detected",
          "[storage][codec]") {
  Entry e{7, 1234, EntryType::kConfChange, "some data"};
  std::string rec;
  encode_entry(e, rec);
  CHECK(rec.size() == encoded_entry_size(e));
  Entry back;
  REQUIRE(decode_entry(rec, back) == DecodeStatus::kOk);
  CHECK(back == e);

  for (std::size_t i = 0; i < rec.size(); ++i) {
    for (unsigned bit = 0; bit < 8; ++bit) {
      std::string bad = rec;
      bad[i] = static_cast<char>(bad[i] ^ (1u << bit));
      INFO("byte " << i << " bit " << bit);
      CHECK(decode_entry(bad, back) != DecodeStatus::kOk);
    }
  }
  for (std::size_t len = 0; len < rec.size(); ++len) {
    CHECK(decode_entry(rec.substr(0, len), back) != DecodeStatus::kOk);
  }
  Entry empty{1, 1, EntryType::kNormal, ""};
  encode_entry(empty, rec);
  REQUIRE(decode_entry(rec, back) == DecodeStatus::kOk);
  CHECK(back == empty);
}

TEST_CASE("storage codec: records of one kind are not accepted as another", "[storage][codec]") {
  std::string hs = encode_hard_state(HardState{3, 2, 1});
  Entry e;
  CHECK(decode_entry(hs, e) == DecodeStatus::kWrongKind);
  SnapshotRecord sr;
  CHECK(decode_snapshot_record(hs, sr) == DecodeStatus::kWrongKind);
  HardState back;
  REQUIRE(decode_hard_state(hs, back) == DecodeStatus::kOk);
  CHECK(back == HardState{3, 2, 1});
}

TEST_CASE("storage codec: snapshot and format records round-trip", "[storage][codec]") {
  SnapshotRecord sr;
  sr.metadata.index = 99;
  sr.metadata.term = 5;
  sr.metadata.conf_state = ConfState{{1, 2, 3}, {4}};
  sr.data_size = 3000000;
  sr.data_crc = 0xDEADBEEF;
  sr.file_id = 42;
  SnapshotRecord back;
  std::string rec = encode_snapshot_record(sr);
  REQUIRE(decode_snapshot_record(rec, back) == DecodeStatus::kOk);
  CHECK(back == sr);
  rec[10] = static_cast<char>(rec[10] ^ 1);
  CHECK(decode_snapshot_record(rec, back) == DecodeStatus::kChecksum);

  // Format version 1 wrote no file id (and counted chunks).
  sr.file_id = 0;
  sr.chunk_count = 3;
  std::string v1 = encode_snapshot_record(sr);
  v1.resize(v1.size() - 8);
  std::uint32_t c = crc32c(v1.data() + 4, v1.size() - 4);
  for (std::size_t i = 0; i < 4; ++i) v1[i] = static_cast<char>((c >> (8 * i)) & 0xFFu);
  back.file_id = 7;
  REQUIRE(decode_snapshot_record(v1, back) == DecodeStatus::kOk);
  CHECK(back == sr);
  v1.resize(v1.size() - 1);
  CHECK(decode_snapshot_record(v1, back) == DecodeStatus::kChecksum);

  FormatRecord fr;
  fr.store_id[0] = 0xAB;
  fr.store_id[15] = 0xCD;
  FormatRecord fback;
  REQUIRE(decode_format_record(encode_format_record(fr), fback) == DecodeStatus::kOk);
  CHECK(fback == fr);
}

TEST_CASE("storage codec: snapshot file names round-trip and nothing else parses",
          "[storage][codec]") {
  CHECK(snapshot_file_name(0x1234, 7) == "snapshot-0000000000001234-0000000000000007.snap");
  Index index = 0;
  std::uint64_t id = 0;
  REQUIRE(parse_snapshot_file_name(snapshot_file_name(UINT64_MAX, 1), index, id));
  CHECK(index == UINT64_MAX);
  CHECK(id == 1);
  for (const char* bad : {"snapshot-0000000000001234-0000000000000007.snap.tmp",
                          "snapshot-0000000000001234-000000000000007.snap",
                          "snapshot-000000000000123G-0000000000000007.snap",
                          "snapshot-0000000000001234_0000000000000007.snap", "000012.log",
                          "snapshot-.snap", "CURRENT"}) {
    INFO(bad);
    CHECK_FALSE(parse_snapshot_file_name(bad, index, id));
  }
}

}  // namespace
}  // namespace ha::raft::codec
