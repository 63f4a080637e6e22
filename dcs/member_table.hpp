// The cluster's members as clients see them (MemberList): id, name, peer and client URLs,
// learner or voter. Changed by applied Raft membership changes (whose context carries a
// MemberRecord) and by attribute updates in normal entries. Checks meant for the proposer
// (check_*) are separate from the apply functions, which always succeed, so that the table
// follows exactly what Raft applied.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dcs/errors.hpp"
#include "proto/dcs_internal.pb.h"
#include "proto/etcd/rpc.pb.h"

namespace ha::dcs {

class MemberTable {
 public:
  // Before proposing: errors::member_exists() / errors::peer_url_exists().
  Status check_add(const dcspb::MemberRecord& m) const;
  // errors::member_not_found() / errors::member_not_learner().
  Status check_promote(std::uint64_t id) const;
  Status check_remove(std::uint64_t id) const;
  Status check_update(std::uint64_t id, const std::vector<std::string>& peer_urls) const;

  // Apply (always succeeds).
  void add(const dcspb::MemberRecord& m);  // replaces a member with the same id
  void promote(std::uint64_t id);          // no-op when unknown
  void remove(std::uint64_t id);
  // Name and client URLs published by a started member; unknown ids are ignored.
  void set_attributes(const dcspb::MemberRecord& m);
  void set_peer_urls(std::uint64_t id, const std::vector<std::string>& peer_urls);

  const dcspb::MemberRecord* find(std::uint64_t id) const;
  std::vector<dcspb::MemberRecord> all() const;  // by id
  std::size_t size() const { return members_.size(); }

  // etcd's Member message for one record.
  static etcdserverpb::Member to_etcd(const dcspb::MemberRecord& m);
  void to_etcd(google::protobuf::RepeatedPtrField<etcdserverpb::Member>* out) const;

  void save(dcspb::StateMachineSnapshot& out) const;
  Status load(const dcspb::StateMachineSnapshot& in);

 private:
  bool peer_url_taken(const std::string& url, std::uint64_t except_id) const;

  std::map<std::uint64_t, dcspb::MemberRecord> members_;
};

}  // namespace ha::dcs
