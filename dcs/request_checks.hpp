// Checks of client requests that do not depend on the store's state: required fields, sizes,
// txn op counts and duplicate keys, lease TTL bounds. The member that receives a request runs
// them with its configured Limits before proposing it; apply runs them again with
// Limits::structural_only(), so that a member's local configuration never changes what the
// replicated state machine does.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dcs/errors.hpp"
#include "proto/etcd/rpc.pb.h"

namespace ha::dcs {

struct Limits {
  std::size_t max_key_bytes = 64 * 1024;
  std::size_t max_value_bytes = 1536 * 1024;
  std::size_t max_request_bytes = 1536 * 1024 + 512;  // etcd's default, whole encoded request
  int max_txn_ops = 128;                              // per compare/success/failure list
  std::int64_t min_lease_ttl = 2;                     // seconds
  std::int64_t max_lease_ttl = 9'000'000'000;         // seconds (etcd's bound)

  // No size, count or TTL limits: only what every member agrees on regardless of its config.
  static Limits structural_only();
};

// The smallest TTL (seconds) that cannot expire because of an election alone: 1.5 election
// timeouts, rounded up, at least 1 s.
std::int64_t min_lease_ttl_for(std::int64_t election_timeout_ms);

Status check_request_size(std::size_t encoded_bytes, const Limits& limits);
Status check_range(const etcdserverpb::RangeRequest& r, const Limits& limits);
Status check_put(const etcdserverpb::PutRequest& r, const Limits& limits);
Status check_delete_range(const etcdserverpb::DeleteRangeRequest& r, const Limits& limits);
// Every op of every branch (recursively), op counts, and duplicate keys (txn_conflicts.hpp).
Status check_txn(const etcdserverpb::TxnRequest& r, const Limits& limits);
Status check_lease_grant(const etcdserverpb::LeaseGrantRequest& r, const Limits& limits);

}  // namespace ha::dcs
