// The simulated clients' commands as Raft entry payloads: a put of a unique value to a key.
// Only the encoding; applying it is kv_state_machine.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ha::raft::sim {

// A put writes `value` (the client operation's unique id, never 0) to `key`.
struct KvPut {
  std::string key;
  std::uint64_t value = 0;
};

std::string encode_put(const KvPut& put);
// Nothing when `data` is not an encoded put (for example a leader's empty no-op).
std::optional<KvPut> decode_put(std::string_view data);

}  // namespace ha::raft::sim
