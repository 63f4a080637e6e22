#include "dcs/state_machine.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

namespace ha::dcs {

namespace {

template <class Resp>
Resp with_members(const MemberTable& members, std::int64_t revision) {
  Resp r;
  r.mutable_header()->set_revision(revision);
  members.to_etcd(r.mutable_members());
  return r;
}

}  // namespace

StateMachine::StateMachine() : kv_(&leases_) {}

ApplyResult StateMachine::apply_entry(const raft::Entry& entry) {
  if (entry.type == raft::EntryType::kConfChange) {
    auto cc = raft::decode_conf_change(entry.data);
    if (!cc) {
      ApplyResult out;
      if (entry.index <= applied_index_) return out;
      out.applied = true;
      applied_index_ = entry.index;
      out.status = errors::malformed("membership change entry does not decode");
      out.revision = kv_.revision();
      return out;
    }
    return apply_conf_change(entry.index, *cc);
  }
  dcspb::InternalRequest req;
  if (!entry.data.empty() && !req.ParseFromString(entry.data)) {
    ApplyResult out;
    if (entry.index <= applied_index_) return out;
    out.applied = true;
    applied_index_ = entry.index;
    out.status = errors::malformed("log entry does not decode");
    out.revision = kv_.revision();
    return out;
  }
  return apply(entry.index, req);  // an empty entry decodes to a request with nothing set
}

ApplyResult StateMachine::apply(std::uint64_t index, const dcspb::InternalRequest& req) {
  ApplyResult out;
  if (index <= applied_index_) return out;
  out.applied = true;
  out.request_id = req.id();
  out.proposer = req.proposer();
  apply_request(index, req, out);
  applied_index_ = index;
  out.revision = kv_.revision();
  return out;
}

void StateMachine::apply_request(std::uint64_t index, const dcspb::InternalRequest& req,
                                 ApplyResult& out) {
  using R = dcspb::InternalRequest;
  switch (req.request_case()) {
    case R::kPut: {
      auto r = kv_.put(req.put(), out.events);
      if (r)
        out.response = std::move(r).value();
      else
        out.status = r.error();
      break;
    }
    case R::kDeleteRange: {
      auto r = kv_.delete_range(req.delete_range(), out.events);
      if (r)
        out.response = std::move(r).value();
      else
        out.status = r.error();
      break;
    }
    case R::kTxn: {
      auto r = kv_.txn(req.txn(), out.events);
      if (r)
        out.response = std::move(r).value();
      else
        out.status = r.error();
      break;
    }
    case R::kCompaction: {
      auto r = kv_.compact(req.compaction().revision());
      if (r)
        out.response = std::move(r).value();
      else
        out.status = r.error();
      break;
    }
    case R::kLeaseGrant: {
      const auto& g = req.lease_grant();
      const std::int64_t id = g.id() != 0 ? g.id() : leases_.choose_id(index);
      auto r = leases_.grant(id, g.ttl());
      if (!r) {
        out.status = r.error();
        break;
      }
      etcdserverpb::LeaseGrantResponse resp;
      resp.mutable_header()->set_revision(kv_.revision());
      resp.set_id(id);
      resp.set_ttl(g.ttl());
      out.response = std::move(resp);
      out.granted_lease = id;
      out.granted_ttl = g.ttl();
      break;
    }
    case R::kLeaseRevoke: revoke_lease(req.lease_revoke().id(), false, out); break;
    case R::kLeaseExpire: revoke_lease(req.lease_expire().id(), true, out); break;
    case R::kMemberAttributes:
      members_.set_attributes(req.member_attributes());
      out.response = with_members<etcdserverpb::MemberUpdateResponse>(members_, kv_.revision());
      break;
    case R::kMemberUpdate: {
      const auto& u = req.member_update();
      const std::vector<std::string> urls(u.peerurls().begin(), u.peerurls().end());
      if (auto s = members_.check_update(u.id(), urls); !s) {
        out.status = s;
        break;
      }
      members_.set_peer_urls(u.id(), urls);
      out.response = with_members<etcdserverpb::MemberUpdateResponse>(members_, kv_.revision());
      break;
    }
    case R::REQUEST_NOT_SET: break;  // a new leader's empty entry
  }
}

void StateMachine::revoke_lease(std::int64_t id, bool expiry, ApplyResult& out) {
  auto keys = leases_.revoke(id);
  if (!keys) {
    // An expiry can race with a client's revoke of the same lease: then it has nothing to do.
    if (!expiry)
      out.status = keys.error();
    else
      out.response = etcdserverpb::LeaseRevokeResponse{};
  } else {
    kv_.delete_keys(keys.value(), out.events);
    out.removed_lease = id;
    out.response = etcdserverpb::LeaseRevokeResponse{};
  }
  if (auto* r = std::get_if<etcdserverpb::LeaseRevokeResponse>(&out.response))
    r->mutable_header()->set_revision(kv_.revision());
}

ApplyResult StateMachine::apply_conf_change(std::uint64_t index, const raft::ConfChange& cc) {
  ApplyResult out;
  if (index <= applied_index_) return out;
  out.applied = true;
  applied_index_ = index;

  dcspb::MemberRecord m;
  if (!cc.context.empty() && !m.ParseFromString(cc.context)) m.Clear();
  m.set_id(cc.node);
  const std::int64_t rev = kv_.revision();
  switch (cc.type) {
    case raft::ConfChangeType::kAddVoter:
      if (const auto* existing = members_.find(cc.node);
          existing != nullptr && existing->is_learner()) {
        members_.promote(cc.node);
        out.response = with_members<etcdserverpb::MemberPromoteResponse>(members_, rev);
        break;
      }
      m.set_is_learner(false);
      [[fallthrough]];
    case raft::ConfChangeType::kAddLearner: {
      if (cc.type == raft::ConfChangeType::kAddLearner) m.set_is_learner(true);
      members_.add(m);
      auto resp = with_members<etcdserverpb::MemberAddResponse>(members_, rev);
      *resp.mutable_member() = MemberTable::to_etcd(m);
      out.response = std::move(resp);
      break;
    }
    case raft::ConfChangeType::kRemoveNode:
      members_.remove(cc.node);
      out.response = with_members<etcdserverpb::MemberRemoveResponse>(members_, rev);
      break;
  }
  out.revision = rev;
  return out;
}

Result<etcdserverpb::LeaseTimeToLiveResponse> StateMachine::lease_time_to_live(std::int64_t id,
                                                                               bool keys) const {
  const Lease* l = leases_.find(id);
  if (l == nullptr) return errors::lease_not_found();
  etcdserverpb::LeaseTimeToLiveResponse r;
  r.mutable_header()->set_revision(kv_.revision());
  r.set_id(id);
  r.set_ttl(l->ttl);
  r.set_grantedttl(l->ttl);
  if (keys)
    for (const auto& k : l->keys) r.add_keys(k);
  return r;
}

etcdserverpb::LeaseLeasesResponse StateMachine::leases() const {
  etcdserverpb::LeaseLeasesResponse r;
  r.mutable_header()->set_revision(kv_.revision());
  for (auto id : leases_.ids()) r.add_leases()->set_id(id);
  return r;
}

std::vector<std::pair<std::int64_t, std::int64_t>> StateMachine::lease_ttls() const {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  for (auto id : leases_.ids()) out.emplace_back(id, leases_.find(id)->ttl);
  return out;
}

etcdserverpb::MemberListResponse StateMachine::member_list() const {
  return with_members<etcdserverpb::MemberListResponse>(members_, kv_.revision());
}

Result<etcdserverpb::HashKVResponse> StateMachine::hash_kv(std::int64_t revision) const {
  auto h = kv_.hash(revision);
  if (!h) return h.error();
  etcdserverpb::HashKVResponse r;
  r.mutable_header()->set_revision(kv_.revision());
  r.set_hash(h.value());
  r.set_compact_revision(kv_.compact_revision());
  r.set_hash_revision(revision > 0 ? revision : kv_.revision());
  return r;
}

std::string StateMachine::snapshot() const {
  dcspb::StateMachineSnapshot snap;
  snap.set_format(1);
  snap.set_applied_index(applied_index_);
  kv_.save(snap);
  leases_.save(snap);
  members_.save(snap);
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream raw(&bytes);
    google::protobuf::io::CodedOutputStream out(&raw);
    out.SetSerializationDeterministic(true);
    snap.SerializeToCodedStream(&out);
  }
  return bytes;
}

namespace {
std::string serialize_deterministic(const dcspb::StateMachineSnapshot& snap) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream raw(&bytes);
    google::protobuf::io::CodedOutputStream out(&raw);
    out.SetSerializationDeterministic(true);
    snap.SerializeToCodedStream(&out);
  }
  return bytes;
}
}  // namespace

StateMachine::SnapshotJob StateMachine::begin_snapshot() const {
  // Deterministic serialization writes fields in number order, so the encoding is the
  // concatenation of fields 1-4, the keys (5), then leases (6) and members (7).
  SnapshotJob job;
  dcspb::StateMachineSnapshot head;
  head.set_format(1);
  head.set_applied_index(applied_index_);
  head.set_revision(kv_.revision());
  head.set_compact_revision(kv_.compact_revision());
  job.data = serialize_deterministic(head);
  dcspb::StateMachineSnapshot tail;
  leases_.save(tail);
  members_.save(tail);
  job.tail = serialize_deterministic(tail);
  job.cursor = kv_.snapshot_cursor();
  return job;
}

bool StateMachine::continue_snapshot(SnapshotJob& job, std::size_t max_keys) const {
  if (job.done) return true;
  if (!kv_.save_chunk(job.cursor, max_keys, job.data)) return false;
  if (job.cursor.done) {
    job.data += job.tail;
    job.tail.clear();
    job.done = true;
  }
  return true;
}

Status StateMachine::restore(std::string_view bytes) {
  dcspb::StateMachineSnapshot snap;
  if (!snap.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return errors::malformed("snapshot does not decode");
  if (snap.format() != 1)
    return errors::malformed("unknown snapshot format " + std::to_string(snap.format()));
  // Load into fresh parts first so that a bad snapshot changes nothing.
  LeaseStore leases;
  if (auto s = leases.load(snap); !s) return s;
  KvStore kv(&leases);
  if (auto s = kv.load(snap); !s) return s;
  MemberTable members;
  if (auto s = members.load(snap); !s) return s;
  // Second pass on the real parts (cannot fail now: the same input loaded above).
  (void)leases_.load(snap);
  (void)kv_.load(snap);
  (void)members_.load(snap);
  applied_index_ = snap.applied_index();
  return {};
}

}  // namespace ha::dcs
