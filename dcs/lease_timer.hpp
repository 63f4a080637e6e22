// The leader's lease clock: when each lease expires, given the current time from an injected
// steady clock. Not replicated and not part of the state machine: only the leader keeps one,
// renews leases on keep-alive and proposes a revoke for each lease that expired. promote() on
// becoming leader gives every lease a full TTL again, so a leader change never expires a lease
// early.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

namespace ha::dcs {

class LeaseTimer {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  // A lease now exists (granted, or known from the state machine): it expires at now + ttl.
  void add(std::int64_t id, std::int64_t ttl_seconds, TimePoint now);
  // The lease is gone (revoked or expired and applied).
  void remove(std::int64_t id);
  // Keep-alive: the new TTL in seconds, or nothing when the lease is unknown or already
  // expired (its revoke is pending) — a keep-alive never resurrects an expired lease.
  std::optional<std::int64_t> renew(std::int64_t id, TimePoint now);
  // On becoming leader: `leases` (id, ttl) is the full set from the state machine; every one
  // expires at now + its TTL; leases not in the set are forgotten.
  void promote(const std::vector<std::pair<std::int64_t, std::int64_t>>& leases, TimePoint now);
  // On losing leadership.
  void clear();

  // Leases whose deadline has passed, earliest deadline first (ties by id). Each is reported
  // once; if its revoke has not been applied `retry` later, it is reported again.
  std::vector<std::int64_t> expired(TimePoint now, std::chrono::milliseconds retry);
  // Whole seconds left (rounded up), -1 when unknown or expired.
  std::int64_t remaining_seconds(std::int64_t id, TimePoint now) const;
  std::optional<TimePoint> next_deadline() const;
  std::size_t size() const { return leases_.size(); }

 private:
  struct Entry {
    std::int64_t ttl = 0;
    TimePoint deadline;
    bool expiring = false;  // reported by expired(); waiting for the revoke to apply
  };
  void set_deadline(std::int64_t id, Entry& e, TimePoint deadline);

  std::map<std::int64_t, Entry> leases_;
  std::set<std::pair<TimePoint, std::int64_t>> by_deadline_;
};

}  // namespace ha::dcs
