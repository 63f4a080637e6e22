#include "dcs/client/kv_options.hpp"

#include "dcs/client/prefix.hpp"

namespace ha::dcs {

std::string range_end_for(std::string_view key, bool prefix, bool from_key, const std::string& range_end) {
  if (prefix) return prefix_range_end(key);
  if (from_key) return from_key_range_end();
  return range_end;
}

etcdserverpb::RangeRequest make_range_request(std::string_view key, const GetOptions& o) {
  etcdserverpb::RangeRequest r;
  r.set_key(std::string(key));
  r.set_range_end(range_end_for(key, o.prefix, o.from_key, o.range_end));
  r.set_limit(o.limit);
  r.set_revision(o.revision);
  r.set_serializable(o.serializable);
  r.set_keys_only(o.keys_only);
  r.set_count_only(o.count_only);
  r.set_sort_order(o.sort_order);
  r.set_sort_target(o.sort_target);
  return r;
}

etcdserverpb::PutRequest make_put_request(std::string_view key, std::string_view value, const PutOptions& o) {
  etcdserverpb::PutRequest r;
  r.set_key(std::string(key));
  r.set_value(std::string(value));
  r.set_lease(o.lease);
  r.set_prev_kv(o.prev_kv);
  r.set_ignore_value(o.ignore_value);
  r.set_ignore_lease(o.ignore_lease);
  return r;
}

etcdserverpb::DeleteRangeRequest make_delete_request(std::string_view key, const DeleteOptions& o) {
  etcdserverpb::DeleteRangeRequest r;
  r.set_key(std::string(key));
  r.set_range_end(range_end_for(key, o.prefix, o.from_key, o.range_end));
  r.set_prev_kv(o.prev_kv);
  return r;
}

}  // namespace ha::dcs
