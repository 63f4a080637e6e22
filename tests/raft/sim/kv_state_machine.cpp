#include "tests/raft/sim/kv_state_machine.hpp"

#include "tests/raft/sim/kv_command.hpp"

namespace ha::raft::sim {

namespace {

std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

void put_u64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

bool get_u64(std::string_view& in, std::uint64_t& v) {
  if (in.size() < 8) return false;
  v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  in.remove_prefix(8);
  return true;
}

}  // namespace

std::uint64_t entry_hash(const Entry& e) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : e.data) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return mix(h ^ mix(e.term * 0x9e3779b97f4a7c15ULL + e.index) ^ static_cast<std::uint64_t>(e.type));
}

std::uint64_t chain_hash(std::uint64_t previous, std::uint64_t entry) {
  return mix(previous * 0x9e3779b97f4a7c15ULL ^ entry);
}

std::optional<std::uint64_t> KvStateMachine::apply(const Entry& e) {
  applied_ = e.index;
  chain_ = chain_hash(chain_, entry_hash(e));
  if (e.type != EntryType::kNormal) return std::nullopt;
  auto put = decode_put(e.data);
  if (!put) return std::nullopt;
  if (!seen_.insert(put->value).second) return std::nullopt;
  kv_[put->key] = put->value;
  return put->value;
}

std::uint64_t KvStateMachine::get(const std::string& key) const {
  auto it = kv_.find(key);
  return it == kv_.end() ? 0 : it->second;
}

// Layout: applied, chain, #keys, (key length, key, value)*, #seen, seen*.
std::string KvStateMachine::snapshot() const {
  std::string out;
  put_u64(out, applied_);
  put_u64(out, chain_);
  put_u64(out, kv_.size());
  for (const auto& [k, v] : kv_) {
    put_u64(out, k.size());
    out.append(k);
    put_u64(out, v);
  }
  put_u64(out, seen_.size());
  for (std::uint64_t id : seen_) put_u64(out, id);
  return out;
}

bool KvStateMachine::restore(std::string_view data) {
  KvStateMachine next;
  std::uint64_t n = 0;
  if (!get_u64(data, next.applied_) || !get_u64(data, next.chain_) || !get_u64(data, n)) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::uint64_t len = 0;
    std::uint64_t v = 0;
    if (!get_u64(data, len) || data.size() < len) return false;
    std::string key(data.substr(0, len));
    data.remove_prefix(len);
    if (!get_u64(data, v)) return false;
    next.kv_[key] = v;
  }
  if (!get_u64(data, n)) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::uint64_t id = 0;
    if (!get_u64(data, id)) return false;
    next.seen_.insert(id);
  }
  if (!data.empty()) return false;
  *this = std::move(next);
  return true;
}

void KvStateMachine::reset(Index applied) {
  kv_.clear();
  seen_.clear();
  applied_ = applied;
  chain_ = 0;
}

}  // namespace ha::raft::sim
