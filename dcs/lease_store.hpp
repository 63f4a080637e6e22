// The replicated part of leases: which leases exist, their granted TTL and attached keys.
// Deterministic and clock-free: when a lease expires is decided by the leader (lease_timer.hpp),
// which proposes a revoke; every member then applies the same revoke at the same log index.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "dcs/errors.hpp"
#include "dcs/lease_attachments.hpp"
#include "proto/dcs_internal.pb.h"

namespace ha::dcs {

struct Lease {
  std::int64_t id = 0;
  std::int64_t ttl = 0;  // granted TTL, seconds
  std::set<std::string> keys;
};

class LeaseStore final : public LeaseAttachments {
 public:
  // Creates lease `id` (non-zero). errors::lease_exists() when it already exists. TTL bounds
  // are checked before proposing (request_checks.hpp), not here.
  Result<const Lease*> grant(std::int64_t id, std::int64_t ttl);
  // A free lease id derived from `seed` (e.g. the log index of the grant): positive, non-zero,
  // the same on every member.
  std::int64_t choose_id(std::uint64_t seed) const;
  // Removes the lease and returns the keys that were attached (sorted); the caller deletes them.
  Result<std::vector<std::string>> revoke(std::int64_t id);

  const Lease* find(std::int64_t id) const;
  std::vector<std::int64_t> ids() const;  // ascending
  std::size_t size() const { return leases_.size(); }

  // LeaseAttachments
  bool lease_exists(std::int64_t id) const override { return leases_.count(id) != 0; }
  void attach(std::int64_t id, const std::string& key) override;
  void detach(std::int64_t id, const std::string& key) override;

  // Snapshot: leases sorted by id, without keys (they come back from the KV store's load).
  void save(dcspb::StateMachineSnapshot& out) const;
  Status load(const dcspb::StateMachineSnapshot& in);

 private:
  std::map<std::int64_t, Lease> leases_;
};

}  // namespace ha::dcs
