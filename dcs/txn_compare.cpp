#include "dcs/txn_compare.hpp"

#include <cstdint>

namespace ha::dcs {

namespace {

int cmp_int(std::int64_t a, std::int64_t b) { return a < b ? -1 : (a > b ? 1 : 0); }

}  // namespace

bool compare_holds(const etcdserverpb::Compare& c, const mvccpb::KeyValue& kv) {
  int r = 0;
  switch (c.target()) {
    case etcdserverpb::Compare::VERSION: r = cmp_int(kv.version(), c.version()); break;
    case etcdserverpb::Compare::CREATE:
      r = cmp_int(kv.create_revision(), c.create_revision());
      break;
    case etcdserverpb::Compare::MOD: r = cmp_int(kv.mod_revision(), c.mod_revision()); break;
    case etcdserverpb::Compare::VALUE: {
      const int x = kv.value().compare(c.value());
      r = x < 0 ? -1 : (x > 0 ? 1 : 0);
      break;
    }
    case etcdserverpb::Compare::LEASE: r = cmp_int(kv.lease(), c.lease()); break;
    default: return false;
  }
  switch (c.result()) {
    case etcdserverpb::Compare::EQUAL: return r == 0;
    case etcdserverpb::Compare::NOT_EQUAL: return r != 0;
    case etcdserverpb::Compare::GREATER: return r > 0;
    case etcdserverpb::Compare::LESS: return r < 0;
    default: return false;
  }
}

}  // namespace ha::dcs
