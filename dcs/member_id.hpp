// Member and cluster identities: stable 64-bit IDs computed from a member's name and peer URLs
// and the cluster token, the same on every member, so a new cluster needs no coordination.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ha::dcs {

struct MemberIdentity {
  std::string name;
  std::vector<std::string> peer_urls;  // as advertised, e.g. "http://10.0.0.1:2380"
};

// Never 0.
std::uint64_t member_id(const MemberIdentity& m, const std::string& cluster_token);
// From the sorted member IDs and the token.
std::uint64_t cluster_id(std::vector<std::uint64_t> member_ids, const std::string& cluster_token);

}  // namespace ha::dcs
