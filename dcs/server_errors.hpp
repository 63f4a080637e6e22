// Errors of the server layer (not of the state machine): no leader, timeouts, leadership
// changes. etcd's texts, which clientv3 matches on, where etcd has one.
#pragma once

#include <grpcpp/support/status.h>

#include "dcs/errors.hpp"
#include "raft/node.hpp"

namespace ha::dcs::errors {

Error no_leader();           // etcd: "etcdserver: no leader"
Error request_timed_out();   // etcd: "etcdserver: request timed out"
Error leader_changed();      // etcd: "etcdserver: leader changed"
Error not_leader();          // etcd: "etcdserver: not leader"
Error stopping();            // etcd: "etcdserver: server stopped"
Error not_enough_started();  // etcd: "etcdserver: re-configuration failed due to not enough started members"
// A proposal the Raft core refused.
Error from_propose(raft::ProposeResult r);

}  // namespace ha::dcs::errors

namespace ha::dcs {
grpc::Status to_grpc(const Error& e);
}
