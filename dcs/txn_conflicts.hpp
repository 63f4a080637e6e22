// etcd's rule that one Txn may not write a key twice: along any path through a txn (its ops
// and the chosen branch of each nested txn) no key is put twice and no put key lies in a
// deleted range. Deletes may overlap each other. A nested txn's success and failure branches
// are alternatives, so they may write the same keys.
#pragma once

#include "dcs/errors.hpp"
#include "proto/etcd/rpc.pb.h"

namespace ha::dcs {

// errors::duplicate_key() when the rule is broken.
Status check_txn_conflicts(const etcdserverpb::TxnRequest& txn);

}  // namespace ha::dcs
