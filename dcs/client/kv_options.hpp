// Options of the KV calls (get, put, delete) and the etcd requests they become. Shared by the
// Client's calls and the Txn builder's operations.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proto/etcd/rpc.pb.h"

namespace ha::dcs {

struct GetOptions {
  bool prefix = false;       // every key starting with `key`
  bool from_key = false;     // every key >= `key`
  std::string range_end;     // explicit end of [key, range_end) when neither of the above
  std::int64_t limit = 0;    // 0 = all
  std::int64_t revision = 0; // 0 = the newest; else a historic read
  bool serializable = false; // answer from the member's local state (may be stale)
  bool keys_only = false;
  bool count_only = false;
  etcdserverpb::RangeRequest::SortOrder sort_order = etcdserverpb::RangeRequest::NONE;
  etcdserverpb::RangeRequest::SortTarget sort_target = etcdserverpb::RangeRequest::KEY;
};

struct PutOptions {
  std::int64_t lease = 0;  // 0 = no lease
  bool prev_kv = false;
  bool ignore_value = false;
  bool ignore_lease = false;
};

struct DeleteOptions {
  bool prefix = false;
  bool from_key = false;
  std::string range_end;
  bool prev_kv = false;
};

// The range_end a key/options pair stands for ("" = the single key).
std::string range_end_for(std::string_view key, bool prefix, bool from_key, const std::string& range_end);

etcdserverpb::RangeRequest make_range_request(std::string_view key, const GetOptions& options);
etcdserverpb::PutRequest make_put_request(std::string_view key, std::string_view value, const PutOptions& options);
etcdserverpb::DeleteRangeRequest make_delete_request(std::string_view key, const DeleteOptions& options);

}  // namespace ha::dcs
