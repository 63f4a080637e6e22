#include "dcs/server_errors.hpp"

namespace ha::dcs {

namespace errors {

Error no_leader() { return {ErrorCode::kUnavailable, "etcdserver: no leader"}; }
Error request_timed_out() { return {ErrorCode::kUnavailable, "etcdserver: request timed out"}; }
Error leader_changed() { return {ErrorCode::kUnavailable, "etcdserver: leader changed"}; }
Error not_leader() { return {ErrorCode::kFailedPrecondition, "etcdserver: not leader"}; }
Error stopping() { return {ErrorCode::kUnavailable, "etcdserver: server stopped"}; }
Error not_enough_started() {
  return {ErrorCode::kFailedPrecondition,
          "etcdserver: re-configuration failed due to not enough started members"};
}

Error from_propose(raft::ProposeResult r) {
  switch (r) {
    case raft::ProposeResult::kOk: return {ErrorCode::kOk, ""};
    case raft::ProposeResult::kNoLeader: return no_leader();
    case raft::ProposeResult::kNotLeader: return not_leader();
    case raft::ProposeResult::kTransferInProgress:
      return {ErrorCode::kUnavailable, "etcdserver: leadership transfer in progress; retry"};
    case raft::ProposeResult::kConfChangePending:
      return {ErrorCode::kFailedPrecondition,
              "etcdserver: another membership change is in progress; retry when it has finished"};
    case raft::ProposeResult::kTooLarge:
      return {ErrorCode::kResourceExhausted, "etcdserver: too many requests; retry later"};
    case raft::ProposeResult::kInvalid:
      return {ErrorCode::kInvalidArgument, "etcdserver: invalid membership change"};
  }
  return {ErrorCode::kUnknown, "etcdserver: unknown proposal result"};
}

}  // namespace errors

grpc::Status to_grpc(const Error& e) {
  return grpc::Status(static_cast<grpc::StatusCode>(e.code), e.message);
}

}  // namespace ha::dcs
