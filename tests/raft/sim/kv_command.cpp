#include "tests/raft/sim/kv_command.hpp"

namespace ha::raft::sim {

namespace {
constexpr char kPutTag = 'P';
}

// Layout: 'P', value (8 bytes little-endian), key (rest).
std::string encode_put(const KvPut& put) {
  std::string out;
  out.reserve(9 + put.key.size());
  out.push_back(kPutTag);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((put.value >> (8 * i)) & 0xff));
  out.append(put.key);
  return out;
}

std::optional<KvPut> decode_put(std::string_view data) {
  if (data.size() < 9 || data[0] != kPutTag) return std::nullopt;
  KvPut put;
  for (int i = 0; i < 8; ++i)
    put.value |= static_cast<std::uint64_t>(static_cast<unsigned char>(data[1 + i])) << (8 * i);
  put.key = std::string(data.substr(9));
  if (put.value == 0) return std::nullopt;
  return put;
}

}  // namespace ha::raft::sim
