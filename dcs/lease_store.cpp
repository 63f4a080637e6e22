#include "dcs/lease_store.hpp"

#include <cassert>
#include <utility>

namespace ha::dcs {

Result<const Lease*> LeaseStore::grant(std::int64_t id, std::int64_t ttl) {
  assert(id != 0);
  auto [it, inserted] = leases_.try_emplace(id);
  if (!inserted) return errors::lease_exists();
  it->second.id = id;
  it->second.ttl = ttl;
  return static_cast<const Lease*>(&it->second);
}

std::int64_t LeaseStore::choose_id(std::uint64_t seed) const {
  // splitmix64 of the seed, kept positive; step on (deterministically) while taken.
  std::uint64_t z = seed;
  for (;;) {
    z += 0x9e3779b97f4a7c15ull;
    std::uint64_t x = z;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    x ^= x >> 31;
    const auto id = static_cast<std::int64_t>(x >> 1);
    if (id != 0 && leases_.count(id) == 0) return id;
  }
}

Result<std::vector<std::string>> LeaseStore::revoke(std::int64_t id) {
  auto it = leases_.find(id);
  if (it == leases_.end()) return errors::lease_not_found();
  std::vector<std::string> keys(it->second.keys.begin(), it->second.keys.end());
  leases_.erase(it);
  return keys;
}

const Lease* LeaseStore::find(std::int64_t id) const {
  auto it = leases_.find(id);
  return it == leases_.end() ? nullptr : &it->second;
}

std::vector<std::int64_t> LeaseStore::ids() const {
  std::vector<std::int64_t> out;
  out.reserve(leases_.size());
  for (const auto& [id, l] : leases_) out.push_back(id);
  return out;
}

void LeaseStore::attach(std::int64_t id, const std::string& key) {
  auto it = leases_.find(id);
  if (it != leases_.end()) it->second.keys.insert(key);
}

void LeaseStore::detach(std::int64_t id, const std::string& key) {
  auto it = leases_.find(id);
  if (it != leases_.end()) it->second.keys.erase(key);
}

void LeaseStore::save(dcspb::StateMachineSnapshot& out) const {
  out.clear_leases();
  for (const auto& [id, l] : leases_) {
    auto* r = out.add_leases();
    r->set_id(id);
    r->set_ttl(l.ttl);
  }
}

Status LeaseStore::load(const dcspb::StateMachineSnapshot& in) {
  std::map<std::int64_t, Lease> leases;
  for (const auto& r : in.leases()) {
    if (r.id() == 0) return errors::malformed("snapshot lease with id 0");
    auto [it, inserted] = leases.try_emplace(r.id());
    if (!inserted) return errors::malformed("snapshot lease listed twice");
    it->second.id = r.id();
    it->second.ttl = r.ttl();
  }
  leases_ = std::move(leases);
  return {};
}

}  // namespace ha::dcs
