// Wire facts of our etcd v3 .proto files, checked through the generated descriptors: package,
// service and method names, streaming, and the number and type of every field clients send or
// read. These values come from etcd's published API; a change here breaks etcdctl.
#include <google/protobuf/descriptor.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "proto/etcd/kv.pb.h"
#include "proto/etcd/rpc.grpc.pb.h"
#include "proto/etcd/rpc.pb.h"

namespace {

using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;
using google::protobuf::FieldDescriptor;

struct F {
  const char* name;
  int number;
  FieldDescriptor::Type type;
  bool repeated = false;
};

constexpr auto kBytes = FieldDescriptor::TYPE_BYTES;
constexpr auto kI64 = FieldDescriptor::TYPE_INT64;
constexpr auto kU64 = FieldDescriptor::TYPE_UINT64;
constexpr auto kU32 = FieldDescriptor::TYPE_UINT32;
constexpr auto kBool = FieldDescriptor::TYPE_BOOL;
constexpr auto kStr = FieldDescriptor::TYPE_STRING;
constexpr auto kMsg = FieldDescriptor::TYPE_MESSAGE;
constexpr auto kEnum = FieldDescriptor::TYPE_ENUM;

void check_message(const std::string& full_name, const std::vector<F>& fields) {
  INFO(full_name);
  const Descriptor* d = DescriptorPool::generated_pool()->FindMessageTypeByName(full_name);
  REQUIRE(d != nullptr);
  CHECK(d->field_count() == static_cast<int>(fields.size()));
  for (const auto& f : fields) {
    INFO(f.name);
    const FieldDescriptor* fd = d->FindFieldByName(f.name);
    REQUIRE(fd != nullptr);
    CHECK(fd->number() == f.number);
    CHECK(fd->type() == f.type);
    CHECK(fd->is_repeated() == f.repeated);
  }
}

void check_enum(const std::string& full_name,
                const std::vector<std::pair<const char*, int>>& values) {
  INFO(full_name);
  const auto* e = DescriptorPool::generated_pool()->FindEnumTypeByName(full_name);
  REQUIRE(e != nullptr);
  CHECK(e->value_count() == static_cast<int>(values.size()));
  for (const auto& [name, number] : values) {
    INFO(name);
    const auto* v = e->FindValueByName(name);
    REQUIRE(v != nullptr);
    CHECK(v->number() == number);
  }
}

void check_service(const std::string& full_name,
                   const std::vector<std::tuple<const char*, bool, bool>>& methods) {
  INFO(full_name);
  const auto* s = DescriptorPool::generated_pool()->FindServiceByName(full_name);
  REQUIRE(s != nullptr);
  CHECK(s->method_count() == static_cast<int>(methods.size()));
  for (const auto& [name, client_streaming, server_streaming] : methods) {
    INFO(name);
    const auto* m = s->FindMethodByName(name);
    REQUIRE(m != nullptr);
    CHECK(m->client_streaming() == client_streaming);
    CHECK(m->server_streaming() == server_streaming);
  }
}

}  // namespace

TEST_CASE("mvccpb messages") {
  check_message("mvccpb.KeyValue", {{"key", 1, kBytes},
                                    {"create_revision", 2, kI64},
                                    {"mod_revision", 3, kI64},
                                    {"version", 4, kI64},
                                    {"value", 5, kBytes},
                                    {"lease", 6, kI64}});
  check_message("mvccpb.Event", {{"type", 1, kEnum}, {"kv", 2, kMsg}, {"prev_kv", 3, kMsg}});
  check_enum("mvccpb.Event.EventType", {{"PUT", 0}, {"DELETE", 1}});
}

TEST_CASE("services, methods and streaming") {
  check_service("etcdserverpb.KV", {{"Range", false, false},
                                    {"Put", false, false},
                                    {"DeleteRange", false, false},
                                    {"Txn", false, false},
                                    {"Compact", false, false}});
  check_service("etcdserverpb.Watch", {{"Watch", true, true}});
  check_service("etcdserverpb.Lease", {{"LeaseGrant", false, false},
                                       {"LeaseRevoke", false, false},
                                       {"LeaseKeepAlive", true, true},
                                       {"LeaseTimeToLive", false, false},
                                       {"LeaseLeases", false, false}});
  check_service("etcdserverpb.Cluster", {{"MemberAdd", false, false},
                                         {"MemberRemove", false, false},
                                         {"MemberUpdate", false, false},
                                         {"MemberList", false, false},
                                         {"MemberPromote", false, false}});
  check_service("etcdserverpb.Maintenance", {{"Alarm", false, false},
                                             {"Status", false, false},
                                             {"Defragment", false, false},
                                             {"Hash", false, false},
                                             {"HashKV", false, false},
                                             {"Snapshot", false, true},
                                             {"MoveLeader", false, false},
                                             {"Downgrade", false, false}});
  const auto* auth = DescriptorPool::generated_pool()->FindServiceByName("etcdserverpb.Auth");
  REQUIRE(auth != nullptr);
  CHECK(auth->FindMethodByName("Authenticate") != nullptr);
  CHECK(auth->FindMethodByName("AuthStatus") != nullptr);
  // The gRPC paths clients call.
  CHECK(std::string(etcdserverpb::KV::service_full_name()) == "etcdserverpb.KV");
  CHECK(std::string(etcdserverpb::Watch::service_full_name()) == "etcdserverpb.Watch");
}

TEST_CASE("KV messages") {
  check_message("etcdserverpb.ResponseHeader", {{"cluster_id", 1, kU64},
                                                {"member_id", 2, kU64},
                                                {"revision", 3, kI64},
                                                {"raft_term", 4, kU64}});
  check_message("etcdserverpb.RangeRequest", {{"key", 1, kBytes},
                                              {"range_end", 2, kBytes},
                                              {"limit", 3, kI64},
                                              {"revision", 4, kI64},
                                              {"sort_order", 5, kEnum},
                                              {"sort_target", 6, kEnum},
                                              {"serializable", 7, kBool},
                                              {"keys_only", 8, kBool},
                                              {"count_only", 9, kBool},
                                              {"min_mod_revision", 10, kI64},
                                              {"max_mod_revision", 11, kI64},
                                              {"min_create_revision", 12, kI64},
                                              {"max_create_revision", 13, kI64}});
  check_enum("etcdserverpb.RangeRequest.SortOrder", {{"NONE", 0}, {"ASCEND", 1}, {"DESCEND", 2}});
  check_enum("etcdserverpb.RangeRequest.SortTarget",
             {{"KEY", 0}, {"VERSION", 1}, {"CREATE", 2}, {"MOD", 3}, {"VALUE", 4}});
  check_message(
      "etcdserverpb.RangeResponse",
      {{"header", 1, kMsg}, {"kvs", 2, kMsg, true}, {"more", 3, kBool}, {"count", 4, kI64}});
  check_message("etcdserverpb.PutRequest", {{"key", 1, kBytes},
                                            {"value", 2, kBytes},
                                            {"lease", 3, kI64},
                                            {"prev_kv", 4, kBool},
                                            {"ignore_value", 5, kBool},
                                            {"ignore_lease", 6, kBool}});
  check_message("etcdserverpb.PutResponse", {{"header", 1, kMsg}, {"prev_kv", 2, kMsg}});
  check_message("etcdserverpb.DeleteRangeRequest",
                {{"key", 1, kBytes}, {"range_end", 2, kBytes}, {"prev_kv", 3, kBool}});
  check_message("etcdserverpb.DeleteRangeResponse",
                {{"header", 1, kMsg}, {"deleted", 2, kI64}, {"prev_kvs", 3, kMsg, true}});
  check_message("etcdserverpb.RequestOp", {{"request_range", 1, kMsg},
                                           {"request_put", 2, kMsg},
                                           {"request_delete_range", 3, kMsg},
                                           {"request_txn", 4, kMsg}});
  check_message("etcdserverpb.ResponseOp", {{"response_range", 1, kMsg},
                                            {"response_put", 2, kMsg},
                                            {"response_delete_range", 3, kMsg},
                                            {"response_txn", 4, kMsg}});
  check_message("etcdserverpb.Compare", {{"result", 1, kEnum},
                                         {"target", 2, kEnum},
                                         {"key", 3, kBytes},
                                         {"version", 4, kI64},
                                         {"create_revision", 5, kI64},
                                         {"mod_revision", 6, kI64},
                                         {"value", 7, kBytes},
                                         {"lease", 8, kI64},
                                         {"range_end", 64, kBytes}});
  check_enum("etcdserverpb.Compare.CompareResult",
             {{"EQUAL", 0}, {"GREATER", 1}, {"LESS", 2}, {"NOT_EQUAL", 3}});
  check_enum("etcdserverpb.Compare.CompareTarget",
             {{"VERSION", 0}, {"CREATE", 1}, {"MOD", 2}, {"VALUE", 3}, {"LEASE", 4}});
  check_message(
      "etcdserverpb.TxnRequest",
      {{"compare", 1, kMsg, true}, {"success", 2, kMsg, true}, {"failure", 3, kMsg, true}});
  check_message("etcdserverpb.TxnResponse",
                {{"header", 1, kMsg}, {"succeeded", 2, kBool}, {"responses", 3, kMsg, true}});
  check_message("etcdserverpb.CompactionRequest", {{"revision", 1, kI64}, {"physical", 2, kBool}});
  check_message("etcdserverpb.CompactionResponse", {{"header", 1, kMsg}});
}

TEST_CASE("Watch messages") {
  check_message(
      "etcdserverpb.WatchRequest",
      {{"create_request", 1, kMsg}, {"cancel_request", 2, kMsg}, {"progress_request", 3, kMsg}});
  check_message("etcdserverpb.WatchCreateRequest", {{"key", 1, kBytes},
                                                    {"range_end", 2, kBytes},
                                                    {"start_revision", 3, kI64},
                                                    {"progress_notify", 4, kBool},
                                                    {"filters", 5, kEnum, true},
                                                    {"prev_kv", 6, kBool},
                                                    {"watch_id", 7, kI64},
                                                    {"fragment", 8, kBool}});
  check_enum("etcdserverpb.WatchCreateRequest.FilterType", {{"NOPUT", 0}, {"NODELETE", 1}});
  check_message("etcdserverpb.WatchCancelRequest", {{"watch_id", 1, kI64}});
  check_message("etcdserverpb.WatchProgressRequest", {});
  check_message("etcdserverpb.WatchResponse", {{"header", 1, kMsg},
                                               {"watch_id", 2, kI64},
                                               {"created", 3, kBool},
                                               {"canceled", 4, kBool},
                                               {"compact_revision", 5, kI64},
                                               {"cancel_reason", 6, kStr},
                                               {"fragment", 7, kBool},
                                               {"events", 11, kMsg, true}});
}

TEST_CASE("Lease messages") {
  check_message("etcdserverpb.LeaseGrantRequest", {{"TTL", 1, kI64}, {"ID", 2, kI64}});
  check_message("etcdserverpb.LeaseGrantResponse",
                {{"header", 1, kMsg}, {"ID", 2, kI64}, {"TTL", 3, kI64}, {"error", 4, kStr}});
  check_message("etcdserverpb.LeaseRevokeRequest", {{"ID", 1, kI64}});
  check_message("etcdserverpb.LeaseRevokeResponse", {{"header", 1, kMsg}});
  check_message("etcdserverpb.LeaseKeepAliveRequest", {{"ID", 1, kI64}});
  check_message("etcdserverpb.LeaseKeepAliveResponse",
                {{"header", 1, kMsg}, {"ID", 2, kI64}, {"TTL", 3, kI64}});
  check_message("etcdserverpb.LeaseTimeToLiveRequest", {{"ID", 1, kI64}, {"keys", 2, kBool}});
  check_message("etcdserverpb.LeaseTimeToLiveResponse", {{"header", 1, kMsg},
                                                         {"ID", 2, kI64},
                                                         {"TTL", 3, kI64},
                                                         {"grantedTTL", 4, kI64},
                                                         {"keys", 5, kBytes, true}});
  check_message("etcdserverpb.LeaseLeasesRequest", {});
  check_message("etcdserverpb.LeaseStatus", {{"ID", 1, kI64}});
  check_message("etcdserverpb.LeaseLeasesResponse",
                {{"header", 1, kMsg}, {"leases", 2, kMsg, true}});
}

TEST_CASE("Cluster messages") {
  check_message("etcdserverpb.Member", {{"ID", 1, kU64},
                                        {"name", 2, kStr},
                                        {"peerURLs", 3, kStr, true},
                                        {"clientURLs", 4, kStr, true},
                                        {"isLearner", 5, kBool}});
  check_message("etcdserverpb.MemberAddRequest",
                {{"peerURLs", 1, kStr, true}, {"isLearner", 2, kBool}});
  check_message("etcdserverpb.MemberAddResponse",
                {{"header", 1, kMsg}, {"member", 2, kMsg}, {"members", 3, kMsg, true}});
  check_message("etcdserverpb.MemberRemoveRequest", {{"ID", 1, kU64}});
  check_message("etcdserverpb.MemberRemoveResponse",
                {{"header", 1, kMsg}, {"members", 2, kMsg, true}});
  check_message("etcdserverpb.MemberUpdateRequest", {{"ID", 1, kU64}, {"peerURLs", 2, kStr, true}});
  check_message("etcdserverpb.MemberUpdateResponse",
                {{"header", 1, kMsg}, {"members", 2, kMsg, true}});
  check_message("etcdserverpb.MemberListRequest", {{"linearizable", 1, kBool}});
  check_message("etcdserverpb.MemberListResponse",
                {{"header", 1, kMsg}, {"members", 2, kMsg, true}});
  check_message("etcdserverpb.MemberPromoteRequest", {{"ID", 1, kU64}});
  check_message("etcdserverpb.MemberPromoteResponse",
                {{"header", 1, kMsg}, {"members", 2, kMsg, true}});
}

TEST_CASE("Maintenance messages") {
  check_enum("etcdserverpb.AlarmType", {{"NONE", 0}, {"NOSPACE", 1}, {"CORRUPT", 2}});
  check_message("etcdserverpb.AlarmRequest",
                {{"action", 1, kEnum}, {"memberID", 2, kU64}, {"alarm", 3, kEnum}});
  check_enum("etcdserverpb.AlarmRequest.AlarmAction",
             {{"GET", 0}, {"ACTIVATE", 1}, {"DEACTIVATE", 2}});
  check_message("etcdserverpb.AlarmMember", {{"memberID", 1, kU64}, {"alarm", 2, kEnum}});
  check_message("etcdserverpb.AlarmResponse", {{"header", 1, kMsg}, {"alarms", 2, kMsg, true}});
  check_message("etcdserverpb.StatusResponse", {{"header", 1, kMsg},
                                                {"version", 2, kStr},
                                                {"dbSize", 3, kI64},
                                                {"leader", 4, kU64},
                                                {"raftIndex", 5, kU64},
                                                {"raftTerm", 6, kU64},
                                                {"raftAppliedIndex", 7, kU64},
                                                {"errors", 8, kStr, true},
                                                {"dbSizeInUse", 9, kI64},
                                                {"isLearner", 10, kBool},
                                                {"storageVersion", 11, kStr},
                                                {"dbSizeQuota", 12, kI64},
                                                {"downgradeInfo", 13, kMsg}});
  check_message("etcdserverpb.HashResponse", {{"header", 1, kMsg}, {"hash", 2, kU32}});
  check_message("etcdserverpb.HashKVRequest", {{"revision", 1, kI64}});
  check_message("etcdserverpb.HashKVResponse", {{"header", 1, kMsg},
                                                {"hash", 2, kU32},
                                                {"compact_revision", 3, kI64},
                                                {"hash_revision", 4, kI64}});
  check_message("etcdserverpb.SnapshotResponse", {{"header", 1, kMsg},
                                                  {"remaining_bytes", 2, kU64},
                                                  {"blob", 3, kBytes},
                                                  {"version", 4, kStr}});
  check_message("etcdserverpb.MoveLeaderRequest", {{"targetID", 1, kU64}});
  check_message("etcdserverpb.DowngradeRequest", {{"action", 1, kEnum}, {"version", 2, kStr}});
  check_message("etcdserverpb.DowngradeResponse", {{"header", 1, kMsg}, {"version", 2, kStr}});
}

TEST_CASE("Auth messages used by etcdctl") {
  check_message("etcdserverpb.AuthenticateRequest", {{"name", 1, kStr}, {"password", 2, kStr}});
  check_message("etcdserverpb.AuthenticateResponse", {{"header", 1, kMsg}, {"token", 2, kStr}});
  check_message("etcdserverpb.AuthStatusResponse",
                {{"header", 1, kMsg}, {"enabled", 2, kBool}, {"authRevision", 3, kU64}});
}

TEST_CASE("a message encoded by hand decodes field by field") {
  // PutRequest{key="k" (1, bytes), lease=5 (3, varint), prev_kv=true (4, varint)}.
  const std::string wire = std::string("\x0a\x01k\x18\x05\x20\x01", 7);
  etcdserverpb::PutRequest p;
  REQUIRE(p.ParseFromString(wire));
  CHECK(p.key() == "k");
  CHECK(p.lease() == 5);
  CHECK(p.prev_kv());
  CHECK(p.SerializeAsString() == wire);
}
