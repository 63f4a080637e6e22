// The revisioned (MVCC) key-value store of hadcs: every key's versions since the last
// compaction, tombstones, the global revision and the event history that watchers replay.
// Pure and single-threaded: no I/O, no clock; the state machine serialises access.
//
// Revisions: every write request that changes something gets the next main revision; the
// writes inside one request (a Txn, a DeleteRange over several keys, a lease revoke) share it
// and are ordered by a sub revision. A request that changes nothing does not bump it.
// Compaction at R keeps, per key, the newest version at or before R and everything after it;
// reads at R or later and watches from R or later keep working.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "dcs/errors.hpp"
#include "dcs/key_range.hpp"
#include "dcs/lease_attachments.hpp"
#include "dcs/revision.hpp"
#include "proto/dcs_internal.pb.h"
#include "proto/etcd/kv.pb.h"
#include "proto/etcd/rpc.pb.h"

namespace ha::dcs {

class KvStore {
 public:
  using Events = std::vector<mvccpb::Event>;
  using EventVisitor = std::function<void(const mvccpb::Event&)>;

  // `leases` (may be null: then any lease id on a put is "not found") is told about every key
  // attached to or detached from a lease; it must outlive the store.
  explicit KvStore(LeaseAttachments* leases = nullptr) : leases_(leases) {}
  // Not copyable: the event history refers into the key map.
  KvStore(const KvStore&) = delete;
  KvStore& operator=(const KvStore&) = delete;

  std::int64_t revision() const { return revision_; }
  std::int64_t compact_revision() const { return compact_revision_; }
  std::size_t live_keys() const { return live_keys_; }
  // Bytes of keys and values held in all retained versions (a stand-in for a DB size).
  std::size_t stored_bytes() const { return stored_bytes_; }

  // Reads. Responses carry header.revision = revision(); other header fields are left empty.
  Result<etcdserverpb::RangeResponse> range(const etcdserverpb::RangeRequest& r) const;

  // Writes. Each appends the events it caused (with prev_kv when there was one) to `events`,
  // unless set_events_wanted(false) (nobody watches: the events would be thrown away).
  void set_events_wanted(bool on) { events_wanted_ = on; }
  Result<etcdserverpb::PutResponse> put(const etcdserverpb::PutRequest& r, Events& events);
  Result<etcdserverpb::DeleteRangeResponse> delete_range(const etcdserverpb::DeleteRangeRequest& r,
                                                         Events& events);
  // Compares, then success or failure ops, all at one revision. Nested txns are supported;
  // a nested txn's compares see the writes made before it in the same txn.
  Result<etcdserverpb::TxnResponse> txn(const etcdserverpb::TxnRequest& r, Events& events);
  Result<etcdserverpb::CompactionResponse> compact(std::int64_t revision);
  // Deletes those of `keys` that exist, all at one new revision (lease revoke). Returns how
  // many were deleted.
  std::int64_t delete_keys(const std::vector<std::string>& keys, Events& events);

  // The current value of one key, if it exists.
  const mvccpb::KeyValue* get(const std::string& key, mvccpb::KeyValue& out) const;

  // Calls `visit` for every event with revision >= `from` (in revision order) whose key is in
  // `range`, with prev_kv set when history still holds it. errors::compacted() when `from` is
  // older than the compaction point.
  Status replay(std::int64_t from, const KeyRange& range, const EventVisitor& visit) const;

  // A hash of all versions at or before `revision` (0 = now) that compaction kept; equal on
  // members with the same history. Same errors as a historic read.
  Result<std::uint32_t> hash(std::int64_t revision) const;

  // Snapshot support: fills revision, compact_revision and keys (sorted).
  void save(dcspb::StateMachineSnapshot& out) const;
  // Replaces the whole content; re-attaches leased keys through LeaseAttachments.
  Status load(const dcspb::StateMachineSnapshot& in);

  // Snapshot support from another thread. Writes only append versions, except compact() and
  // load(), which bump generation(); so the store as it was at a revision R can be encoded
  // later, while it keeps changing, by skipping every version newer than R. A cursor taken on
  // the owning thread fixes R; save_chunk() must run while the owner is not writing (the
  // caller's lock) and encodes the next `max_keys` keys, each as one StateMachineSnapshot.keys
  // field (the bytes save() plus deterministic serialization would give). It returns false
  // when the cursor became invalid (a compaction or load since it was taken).
  struct SnapshotCursor {
    std::int64_t revision = 0;
    std::int64_t compact_revision = 0;
    std::uint64_t generation = 0;
    std::string last_key;  // the last key encoded (when started)
    bool started = false;
    bool done = false;
  };
  SnapshotCursor snapshot_cursor() const {
    return SnapshotCursor{revision_, compact_revision_, generation_, {}, false, false};
  }
  bool save_chunk(SnapshotCursor& cursor, std::size_t max_keys, std::string& out) const;
  std::uint64_t generation() const { return generation_; }

 private:
  struct Record {
    Revision rev;
    bool tombstone = false;
    std::int64_t create_revision = 0;
    std::int64_t version = 0;
    std::int64_t lease = 0;
    std::string value;
  };
  using History = std::vector<Record>;  // oldest first
  using KeyMap = std::map<std::string, History, std::less<>>;
  // An event in keys_: its key's entry (stable: a key leaves keys_ only when compaction empties
  // its history, and then its events are gone too), so the key is not stored twice.
  struct EventRef {
    Revision rev;
    KeyMap::const_iterator entry;
  };
  // One write request in progress: all its writes get main revision `main`.
  struct WriteCtx {
    std::int64_t main = 0;
    std::int64_t next_sub = 0;
    Events* events = nullptr;
  };

  static mvccpb::KeyValue to_kv(const std::string& key, const Record& r);
  // The newest version of `h` at or before main revision `rev`, or null.
  static const Record* at(const History& h, std::int64_t rev);
  static const Record* live_latest(const History& h);

  Status check_read_revision(std::int64_t rev) const;
  etcdserverpb::RangeResponse range_unchecked(const etcdserverpb::RangeRequest& r) const;
  Status check_put_state(const etcdserverpb::PutRequest& r) const;
  Status check_ops_state(
      const google::protobuf::RepeatedPtrField<etcdserverpb::RequestOp>& ops) const;
  bool compares_hold(const google::protobuf::RepeatedPtrField<etcdserverpb::Compare>& cmps) const;

  WriteCtx begin_write(Events& events) const { return WriteCtx{revision_ + 1, 0, &events}; }
  void end_write(const WriteCtx& ctx);
  void append(WriteCtx& ctx, const std::string& key, Record rec, const Record* prev);
  etcdserverpb::PutResponse put_unchecked(WriteCtx& ctx, const etcdserverpb::PutRequest& r);
  etcdserverpb::DeleteRangeResponse delete_unchecked(WriteCtx& ctx,
                                                     const etcdserverpb::DeleteRangeRequest& r);
  void txn_unchecked(WriteCtx& ctx, const etcdserverpb::TxnRequest& r,
                     etcdserverpb::TxnResponse& resp);
  void stamp_headers(etcdserverpb::TxnResponse& resp) const;

  LeaseAttachments* leases_;
  KeyMap keys_;
  std::deque<EventRef> events_;  // every retained write in revision order
  std::int64_t revision_ = 1;    // like etcd, an empty store is at revision 1
  std::int64_t compact_revision_ = 0;
  std::size_t live_keys_ = 0;
  std::size_t stored_bytes_ = 0;
  std::uint64_t generation_ = 0;  // bumped by compact() and load()
  bool events_wanted_ = true;
};

}  // namespace ha::dcs
