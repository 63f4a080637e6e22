#include "dcs/errors.hpp"

#include <string>

namespace ha::dcs::errors {

namespace {
Error make(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }
}  // namespace

Error empty_key() { return make(ErrorCode::kInvalidArgument, "etcdserver: key is not provided"); }
Error key_not_found() { return make(ErrorCode::kInvalidArgument, "etcdserver: key not found"); }
Error value_provided() {
  return make(ErrorCode::kInvalidArgument, "etcdserver: value is provided");
}
Error lease_provided() {
  return make(ErrorCode::kInvalidArgument, "etcdserver: lease is provided");
}
Error too_many_ops() {
  return make(ErrorCode::kInvalidArgument, "etcdserver: too many operations in txn request");
}
Error duplicate_key() {
  return make(ErrorCode::kInvalidArgument, "etcdserver: duplicate key given in txn request");
}
Error compacted() {
  return make(ErrorCode::kOutOfRange, "etcdserver: mvcc: required revision has been compacted");
}
Error future_revision() {
  return make(ErrorCode::kOutOfRange, "etcdserver: mvcc: required revision is a future revision");
}
Error request_too_large() {
  return make(ErrorCode::kInvalidArgument, "etcdserver: request is too large");
}
Error lease_not_found() {
  return make(ErrorCode::kNotFound, "etcdserver: requested lease not found");
}
Error lease_exists() {
  return make(ErrorCode::kFailedPrecondition, "etcdserver: lease already exists");
}
Error lease_ttl_too_large() {
  return make(ErrorCode::kOutOfRange, "etcdserver: too large lease TTL");
}
Error member_exists() {
  return make(ErrorCode::kFailedPrecondition, "etcdserver: member ID already exist");
}
Error peer_url_exists() {
  return make(ErrorCode::kFailedPrecondition, "etcdserver: Peer URLs already exists");
}
Error member_not_found() { return make(ErrorCode::kNotFound, "etcdserver: member not found"); }
Error member_not_learner() {
  return make(ErrorCode::kFailedPrecondition, "etcdserver: can only promote a learner member");
}

Error key_too_large(std::size_t size, std::size_t limit) {
  return make(ErrorCode::kInvalidArgument, "hadcs: key is too large: " + std::to_string(size) +
                                               " bytes, the limit is " + std::to_string(limit) +
                                               " (max key bytes)");
}
Error value_too_large(std::size_t size, std::size_t limit) {
  return make(ErrorCode::kInvalidArgument, "hadcs: value is too large: " + std::to_string(size) +
                                               " bytes, the limit is " + std::to_string(limit) +
                                               " (max value bytes)");
}
Error lease_ttl_too_small(std::int64_t ttl, std::int64_t min_ttl) {
  return make(ErrorCode::kOutOfRange,
              "hadcs: lease TTL " + std::to_string(ttl) + "s is below the minimum of " +
                  std::to_string(min_ttl) +
                  "s (the minimum follows the election timeout; ask for a longer TTL)");
}
Error invalid_range(const std::string& what) {
  return make(ErrorCode::kInvalidArgument, "hadcs: invalid key range: " + what);
}
Error malformed(const std::string& what) {
  return make(ErrorCode::kInvalidArgument, "hadcs: malformed request: " + what);
}

}  // namespace ha::dcs::errors
