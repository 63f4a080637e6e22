// One Txn compare against one key's state, with etcd's semantics: a missing key compares as
// an all-zero KeyValue (version 0, create/mod revision 0, lease 0, empty value); the `target`
// field decides which value of target_union is read (an unset one reads as zero/empty).
#pragma once

#include "proto/etcd/kv.pb.h"
#include "proto/etcd/rpc.pb.h"

namespace ha::dcs {

bool compare_holds(const etcdserverpb::Compare& c, const mvccpb::KeyValue& kv);

}  // namespace ha::dcs
