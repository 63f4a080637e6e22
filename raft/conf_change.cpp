#include "raft/conf_change.hpp"

#include <algorithm>

namespace ha::raft {

namespace {

void put_u64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t get_u64(std::string_view in) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  return v;
}

bool contains(const std::vector<NodeId>& v, NodeId id) {
  return std::find(v.begin(), v.end(), id) != v.end();
}

void erase(std::vector<NodeId>& v, NodeId id) { v.erase(std::remove(v.begin(), v.end(), id), v.end()); }

constexpr char kMagic = 'C';

}  // namespace

// Layout: 'C', type (1 byte), node (8 bytes little-endian), context (rest).
std::string encode_conf_change(const ConfChange& cc) {
  std::string out;
  out.reserve(10 + cc.context.size());
  out.push_back(kMagic);
  out.push_back(static_cast<char>(cc.type));
  put_u64(out, cc.node);
  out.append(cc.context);
  return out;
}

std::optional<ConfChange> decode_conf_change(std::string_view data) {
  if (data.size() < 10 || data[0] != kMagic) return std::nullopt;
  auto type = static_cast<std::uint8_t>(data[1]);
  if (type > static_cast<std::uint8_t>(ConfChangeType::kRemoveNode)) return std::nullopt;
  ConfChange cc;
  cc.type = static_cast<ConfChangeType>(type);
  cc.node = get_u64(data.substr(2, 8));
  if (cc.node == kNone) return std::nullopt;
  cc.context = std::string(data.substr(10));
  return cc;
}

bool apply_conf_change(ConfState& cs, const ConfChange& cc) {
  bool voter = contains(cs.voters, cc.node);
  bool learner = contains(cs.learners, cc.node);
  switch (cc.type) {
    case ConfChangeType::kAddVoter:
      if (voter) return false;
      erase(cs.learners, cc.node);
      cs.voters.push_back(cc.node);
      std::sort(cs.voters.begin(), cs.voters.end());
      return true;
    case ConfChangeType::kAddLearner:
      if (voter || learner) return false;  // demoting a voter is not supported
      cs.learners.push_back(cc.node);
      std::sort(cs.learners.begin(), cs.learners.end());
      return true;
    case ConfChangeType::kRemoveNode:
      if (!voter && !learner) return false;
      if (voter && cs.voters.size() == 1) return false;  // never remove the last voter
      erase(cs.voters, cc.node);
      erase(cs.learners, cc.node);
      return true;
  }
  return false;
}

}  // namespace ha::raft
