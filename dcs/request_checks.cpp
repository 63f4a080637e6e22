#include "dcs/request_checks.hpp"

#include <limits>

#include "dcs/key_range.hpp"
#include "dcs/txn_conflicts.hpp"

namespace ha::dcs {

Limits Limits::structural_only() {
  Limits l;
  l.max_key_bytes = std::numeric_limits<std::size_t>::max();
  l.max_value_bytes = std::numeric_limits<std::size_t>::max();
  l.max_request_bytes = std::numeric_limits<std::size_t>::max();
  l.max_txn_ops = std::numeric_limits<int>::max();
  l.min_lease_ttl = std::numeric_limits<std::int64_t>::min();
  l.max_lease_ttl = std::numeric_limits<std::int64_t>::max();
  return l;
}

std::int64_t min_lease_ttl_for(std::int64_t election_timeout_ms) {
  const std::int64_t ms = election_timeout_ms * 3 / 2;
  const std::int64_t s = (ms + 999) / 1000;
  return s < 1 ? 1 : s;
}

Status check_request_size(std::size_t encoded_bytes, const Limits& limits) {
  if (encoded_bytes > limits.max_request_bytes) return errors::request_too_large();
  return {};
}

namespace {

Status check_key(const std::string& key, const Limits& limits) {
  if (key.empty()) return errors::empty_key();
  if (key.size() > limits.max_key_bytes)
    return errors::key_too_large(key.size(), limits.max_key_bytes);
  return {};
}

Status check_range_end(const std::string& range_end, const Limits& limits) {
  if (range_end.size() > limits.max_key_bytes)
    return errors::key_too_large(range_end.size(), limits.max_key_bytes);
  return {};
}

Status check_ops(const google::protobuf::RepeatedPtrField<etcdserverpb::RequestOp>& ops,
                 const Limits& limits);

Status check_txn_body(const etcdserverpb::TxnRequest& r, const Limits& limits) {
  if (r.compare_size() > limits.max_txn_ops || r.success_size() > limits.max_txn_ops ||
      r.failure_size() > limits.max_txn_ops)
    return errors::too_many_ops();
  for (const auto& c : r.compare()) {
    if (auto s = check_key(c.key(), limits); !s) return s;
    if (auto s = check_range_end(c.range_end(), limits); !s) return s;
    if (c.value().size() > limits.max_value_bytes)
      return errors::value_too_large(c.value().size(), limits.max_value_bytes);
  }
  if (auto s = check_ops(r.success(), limits); !s) return s;
  return check_ops(r.failure(), limits);
}

Status check_ops(const google::protobuf::RepeatedPtrField<etcdserverpb::RequestOp>& ops,
                 const Limits& limits) {
  for (const auto& op : ops) {
    Status s;
    switch (op.request_case()) {
      case etcdserverpb::RequestOp::kRequestRange:
        s = check_range(op.request_range(), limits);
        break;
      case etcdserverpb::RequestOp::kRequestPut: s = check_put(op.request_put(), limits); break;
      case etcdserverpb::RequestOp::kRequestDeleteRange:
        s = check_delete_range(op.request_delete_range(), limits);
        break;
      case etcdserverpb::RequestOp::kRequestTxn:
        s = check_txn_body(op.request_txn(), limits);
        break;
      default: s = errors::malformed("a txn operation is empty"); break;
    }
    if (!s) return s;
  }
  return {};
}

}  // namespace

Status check_range(const etcdserverpb::RangeRequest& r, const Limits& limits) {
  if (auto s = check_key(r.key(), limits); !s) return s;
  if (auto s = check_range_end(r.range_end(), limits); !s) return s;
  if (r.limit() < 0) return errors::malformed("range limit is negative");
  return {};
}

Status check_put(const etcdserverpb::PutRequest& r, const Limits& limits) {
  if (auto s = check_key(r.key(), limits); !s) return s;
  if (r.ignore_value() && !r.value().empty()) return errors::value_provided();
  if (r.ignore_lease() && r.lease() != 0) return errors::lease_provided();
  if (r.value().size() > limits.max_value_bytes)
    return errors::value_too_large(r.value().size(), limits.max_value_bytes);
  return {};
}

Status check_delete_range(const etcdserverpb::DeleteRangeRequest& r, const Limits& limits) {
  if (auto s = check_key(r.key(), limits); !s) return s;
  return check_range_end(r.range_end(), limits);
}

Status check_txn(const etcdserverpb::TxnRequest& r, const Limits& limits) {
  if (auto s = check_txn_body(r, limits); !s) return s;
  return check_txn_conflicts(r);
}

Status check_lease_grant(const etcdserverpb::LeaseGrantRequest& r, const Limits& limits) {
  if (r.ttl() > limits.max_lease_ttl) return errors::lease_ttl_too_large();
  if (r.ttl() < limits.min_lease_ttl)
    return errors::lease_ttl_too_small(r.ttl(), limits.min_lease_ttl);
  return {};
}

}  // namespace ha::dcs
