// The replicated state machine of hadcs: applies committed Raft entries (InternalRequest in
// normal entries, MemberRecord in membership changes) to the KV store, the lease table and the
// member table, and turns the whole state into snapshot bytes and back. Deterministic: no
// clock, no randomness, no local configuration; members applying the same entries end in the
// same state and produce byte-identical snapshots. Not thread-safe; one owner serialises calls.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "dcs/errors.hpp"
#include "dcs/kv_store.hpp"
#include "dcs/lease_store.hpp"
#include "dcs/member_table.hpp"
#include "proto/dcs_internal.pb.h"
#include "proto/etcd/rpc.pb.h"
#include "raft/conf_change.hpp"
#include "raft/types.hpp"

namespace ha::dcs {

// What applying one entry produced, for the member that waits for it and for the watch hub.
struct ApplyResult {
  using Response =
      std::variant<std::monostate, etcdserverpb::PutResponse, etcdserverpb::DeleteRangeResponse,
                   etcdserverpb::TxnResponse, etcdserverpb::CompactionResponse,
                   etcdserverpb::LeaseGrantResponse, etcdserverpb::LeaseRevokeResponse,
                   etcdserverpb::MemberAddResponse, etcdserverpb::MemberRemoveResponse,
                   etcdserverpb::MemberPromoteResponse, etcdserverpb::MemberUpdateResponse>;

  bool applied = false;          // false: the entry was at or below the applied index; ignored
  std::uint64_t request_id = 0;  // InternalRequest.id (0 for no-ops and membership changes)
  std::uint64_t proposer = 0;    // InternalRequest.proposer
  Status status;                 // the request's error, if it failed (state unchanged then)
  Response response;             // header.revision set; other header fields are the server's
  std::int64_t revision = 0;     // the store's revision after this entry
  // The events this entry caused, all at `revision`; feed them to WatchHub::on_apply.
  std::vector<mvccpb::Event> events;
  // Lease bookkeeping for the leader's LeaseTimer.
  std::int64_t granted_lease = 0, granted_ttl = 0;  // a lease was granted
  std::int64_t removed_lease = 0;                   // a lease was revoked or expired
};

class StateMachine {
 public:
  StateMachine();
  StateMachine(const StateMachine&) = delete;
  StateMachine& operator=(const StateMachine&) = delete;

  // Applies one committed Raft entry: normal (empty = a leader's no-op; else an encoded
  // InternalRequest) or a membership change whose context is an encoded MemberRecord.
  ApplyResult apply_entry(const raft::Entry& entry);
  // The same for an already decoded request / membership change at log index `index`.
  ApplyResult apply(std::uint64_t index, const dcspb::InternalRequest& req);
  ApplyResult apply_conf_change(std::uint64_t index, const raft::ConfChange& cc);

  // ApplyResult::events are only filled while wanted (a member with no watcher needs none).
  void set_events_wanted(bool on) { kv_.set_events_wanted(on); }

  std::uint64_t applied_index() const { return applied_index_; }
  std::int64_t revision() const { return kv_.revision(); }

  // Reads at this member's applied state (linearizable once applied >= the read index).
  Result<etcdserverpb::RangeResponse> range(const etcdserverpb::RangeRequest& r) const {
    return kv_.range(r);
  }
  // grantedTTL and keys; TTL (time left) is only known to the leader's LeaseTimer and is left
  // at the granted TTL here. errors::lease_not_found() for an unknown lease.
  Result<etcdserverpb::LeaseTimeToLiveResponse> lease_time_to_live(std::int64_t id,
                                                                   bool keys) const;
  etcdserverpb::LeaseLeasesResponse leases() const;
  // (id, granted TTL) of every lease, for LeaseTimer::promote.
  std::vector<std::pair<std::int64_t, std::int64_t>> lease_ttls() const;
  etcdserverpb::MemberListResponse member_list() const;
  Result<etcdserverpb::HashKVResponse> hash_kv(std::int64_t revision) const;

  const KvStore& kv() const { return kv_; }
  const LeaseStore& lease_store() const { return leases_; }
  const MemberTable& members() const { return members_; }

  // The whole state as bytes (deterministic serialization), and its restoration. restore()
  // leaves the state unchanged when `bytes` is not a valid snapshot.
  std::string snapshot() const;
  Status restore(std::string_view bytes);

  // The same bytes as snapshot(), made in steps on another thread while this state keeps
  // changing: begin_snapshot() on the owning thread fixes the state (the small parts are
  // encoded at once, the keys later); continue_snapshot(), called while the owner is not
  // applying (the caller's lock), appends up to `max_keys` keys to `job.data`, then the rest.
  // It returns false when the job became invalid (a compaction or restore since it began).
  struct SnapshotJob {
    std::string data;  // the encoding so far
    std::string tail;  // leases and members, appended after the last key
    KvStore::SnapshotCursor cursor;
    bool done = false;
  };
  SnapshotJob begin_snapshot() const;
  bool continue_snapshot(SnapshotJob& job, std::size_t max_keys) const;

 private:
  void apply_request(std::uint64_t index, const dcspb::InternalRequest& req, ApplyResult& out);
  void revoke_lease(std::int64_t id, bool expiry, ApplyResult& out);

  LeaseStore leases_;
  KvStore kv_;
  MemberTable members_;
  std::uint64_t applied_index_ = 0;
};

}  // namespace ha::dcs
