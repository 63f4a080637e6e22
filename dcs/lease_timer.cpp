#include "dcs/lease_timer.hpp"

namespace ha::dcs {

void LeaseTimer::set_deadline(std::int64_t id, Entry& e, TimePoint deadline) {
  by_deadline_.erase({e.deadline, id});
  e.deadline = deadline;
  by_deadline_.insert({deadline, id});
}

void LeaseTimer::add(std::int64_t id, std::int64_t ttl_seconds, TimePoint now) {
  auto [it, inserted] = leases_.try_emplace(id);
  Entry& e = it->second;
  if (!inserted) by_deadline_.erase({e.deadline, id});
  e.ttl = ttl_seconds;
  e.expiring = false;
  e.deadline = now + std::chrono::seconds(ttl_seconds);
  by_deadline_.insert({e.deadline, id});
}

void LeaseTimer::remove(std::int64_t id) {
  auto it = leases_.find(id);
  if (it == leases_.end()) return;
  by_deadline_.erase({it->second.deadline, id});
  leases_.erase(it);
}

std::optional<std::int64_t> LeaseTimer::renew(std::int64_t id, TimePoint now) {
  auto it = leases_.find(id);
  if (it == leases_.end()) return std::nullopt;
  Entry& e = it->second;
  if (e.expiring || e.deadline <= now) return std::nullopt;
  set_deadline(id, e, now + std::chrono::seconds(e.ttl));
  return e.ttl;
}

void LeaseTimer::promote(const std::vector<std::pair<std::int64_t, std::int64_t>>& leases,
                         TimePoint now) {
  clear();
  for (const auto& [id, ttl] : leases) add(id, ttl, now);
}

void LeaseTimer::clear() {
  leases_.clear();
  by_deadline_.clear();
}

std::vector<std::int64_t> LeaseTimer::expired(TimePoint now, std::chrono::milliseconds retry) {
  if (retry < std::chrono::milliseconds(1)) retry = std::chrono::milliseconds(1);
  std::vector<std::int64_t> out;
  while (!by_deadline_.empty() && by_deadline_.begin()->first <= now) {
    const std::int64_t id = by_deadline_.begin()->second;
    out.push_back(id);
    Entry& e = leases_.at(id);
    e.expiring = true;
    set_deadline(id, e, now + retry);
  }
  return out;
}

std::int64_t LeaseTimer::remaining_seconds(std::int64_t id, TimePoint now) const {
  auto it = leases_.find(id);
  if (it == leases_.end() || it->second.expiring || it->second.deadline <= now) return -1;
  const auto left = it->second.deadline - now;
  const auto secs = std::chrono::ceil<std::chrono::seconds>(left).count();
  return secs;
}

std::optional<LeaseTimer::TimePoint> LeaseTimer::next_deadline() const {
  if (by_deadline_.empty()) return std::nullopt;
  return by_deadline_.begin()->first;
}

}  // namespace ha::dcs
