#include "dcs/member_id.hpp"

#include <algorithm>

namespace ha::dcs {

namespace {

// FNV-1a over the bytes, then a final mix: stable across builds and machines.
std::uint64_t fnv1a(std::uint64_t h, const std::string& s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  h ^= 0xff;  // separator, so ("ab","c") and ("a","bc") differ
  h *= 0x100000001b3ULL;
  return h;
}

std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x == 0 ? 1 : x;
}

constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ULL;

}  // namespace

std::uint64_t member_id(const MemberIdentity& m, const std::string& cluster_token) {
  std::vector<std::string> urls = m.peer_urls;
  std::sort(urls.begin(), urls.end());
  std::uint64_t h = fnv1a(kFnvOffset, cluster_token);
  h = fnv1a(h, m.name);
  for (const auto& u : urls) h = fnv1a(h, u);
  return mix(h);
}

std::uint64_t cluster_id(std::vector<std::uint64_t> member_ids, const std::string& cluster_token) {
  std::sort(member_ids.begin(), member_ids.end());
  std::uint64_t h = fnv1a(kFnvOffset, cluster_token);
  for (std::uint64_t id : member_ids) h = fnv1a(h, std::to_string(id));
  return mix(h);
}

}  // namespace ha::dcs
