#include "dcs/kv_store.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <utility>

#include "dcs/request_checks.hpp"
#include "dcs/txn_compare.hpp"

namespace ha::dcs {

namespace {

using etcdserverpb::RangeRequest;

// The value a range sorts by, compared for one target.
int compare_by(RangeRequest::SortTarget target, const mvccpb::KeyValue& a,
               const mvccpb::KeyValue& b) {
  auto cmp = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
  switch (target) {
    case RangeRequest::VERSION: return cmp(a.version(), b.version());
    case RangeRequest::CREATE: return cmp(a.create_revision(), b.create_revision());
    case RangeRequest::MOD: return cmp(a.mod_revision(), b.mod_revision());
    case RangeRequest::VALUE: return cmp(a.value(), b.value());
    default: return cmp(a.key(), b.key());
  }
}

bool passes_filters(const RangeRequest& r, const mvccpb::KeyValue& kv) {
  if (r.min_mod_revision() > 0 && kv.mod_revision() < r.min_mod_revision()) return false;
  if (r.max_mod_revision() > 0 && kv.mod_revision() > r.max_mod_revision()) return false;
  if (r.min_create_revision() > 0 && kv.create_revision() < r.min_create_revision()) return false;
  if (r.max_create_revision() > 0 && kv.create_revision() > r.max_create_revision()) return false;
  return true;
}

// FNV-1a, 32 bits.
struct Fnv {
  std::uint32_t h = 2166136261u;
  void bytes(const std::string& s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 16777619u;
    }
    u64(s.size());
  }
  void u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= static_cast<std::uint8_t>(v >> (8 * i));
      h *= 16777619u;
    }
  }
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Helpers

mvccpb::KeyValue KvStore::to_kv(const std::string& key, const Record& r) {
  mvccpb::KeyValue kv;
  kv.set_key(key);
  kv.set_mod_revision(r.rev.main);
  if (r.tombstone) return kv;  // a delete event's kv: the key and the delete's revision
  kv.set_create_revision(r.create_revision);
  kv.set_version(r.version);
  kv.set_value(r.value);
  kv.set_lease(r.lease);
  return kv;
}

const KvStore::Record* KvStore::at(const History& h, std::int64_t rev) {
  // First record with main > rev; the one before it is the answer.
  auto it = std::upper_bound(h.begin(), h.end(), rev,
                             [](std::int64_t r, const Record& rec) { return r < rec.rev.main; });
  if (it == h.begin()) return nullptr;
  return &*std::prev(it);
}

const KvStore::Record* KvStore::live_latest(const History& h) {
  if (h.empty() || h.back().tombstone) return nullptr;
  return &h.back();
}

Status KvStore::check_read_revision(std::int64_t rev) const {
  if (rev <= 0) return {};
  if (rev > revision_) return errors::future_revision();
  if (rev < compact_revision_) return errors::compacted();
  return {};
}

const mvccpb::KeyValue* KvStore::get(const std::string& key, mvccpb::KeyValue& out) const {
  auto it = keys_.find(key);
  if (it == keys_.end()) return nullptr;
  const Record* r = live_latest(it->second);
  if (r == nullptr) return nullptr;
  out = to_kv(key, *r);
  return &out;
}

// ---------------------------------------------------------------------------------------------
// Range

Result<etcdserverpb::RangeResponse> KvStore::range(const RangeRequest& r) const {
  if (auto s = check_range(r, Limits::structural_only()); !s) return s.error();
  if (auto s = check_read_revision(r.revision()); !s) return s.error();
  return range_unchecked(r);
}

etcdserverpb::RangeResponse KvStore::range_unchecked(const RangeRequest& r) const {
  etcdserverpb::RangeResponse resp;
  resp.mutable_header()->set_revision(revision_);
  const KeyRange kr(r.key(), r.range_end());
  if (kr.empty()) return resp;
  const bool historic = r.revision() > 0;

  std::vector<mvccpb::KeyValue> found;
  std::int64_t count = 0;
  for (auto it = keys_.lower_bound(kr.begin()); it != keys_.end(); ++it) {
    if (kr.past_end(it->first)) break;
    const Record* rec = historic ? at(it->second, r.revision()) : live_latest(it->second);
    if (rec == nullptr || rec->tombstone) continue;
    ++count;
    if (r.count_only()) continue;
    mvccpb::KeyValue kv = to_kv(it->first, *rec);
    if (!passes_filters(r, kv)) continue;
    found.push_back(std::move(kv));
  }
  resp.set_count(count);
  if (r.count_only()) return resp;

  auto order = r.sort_order();
  if (order == RangeRequest::NONE && r.sort_target() != RangeRequest::KEY)
    order = RangeRequest::ASCEND;
  if (order != RangeRequest::NONE &&
      !(order == RangeRequest::ASCEND && r.sort_target() == RangeRequest::KEY)) {
    const auto target = r.sort_target();
    if (order == RangeRequest::DESCEND)
      std::stable_sort(found.begin(), found.end(), [target](const auto& a, const auto& b) {
        return compare_by(target, a, b) > 0;
      });
    else
      std::stable_sort(found.begin(), found.end(), [target](const auto& a, const auto& b) {
        return compare_by(target, a, b) < 0;
      });
  }
  if (r.limit() > 0 && found.size() > static_cast<std::size_t>(r.limit())) {
    found.resize(static_cast<std::size_t>(r.limit()));
    resp.set_more(true);
  }
  for (auto& kv : found) {
    if (r.keys_only()) kv.clear_value();  // after sorting: a sort by value uses the values
    *resp.add_kvs() = std::move(kv);
  }
  return resp;
}

// ---------------------------------------------------------------------------------------------
// Writes

void KvStore::end_write(const WriteCtx& ctx) {
  if (ctx.next_sub > 0) revision_ = ctx.main;
}

void KvStore::append(WriteCtx& ctx, const std::string& key, Record rec, const Record* prev) {
  rec.rev = Revision{ctx.main, ctx.next_sub++};
  if (events_wanted_) {
    mvccpb::Event ev;
    ev.set_type(rec.tombstone ? mvccpb::Event::DELETE : mvccpb::Event::PUT);
    *ev.mutable_kv() = to_kv(key, rec);
    if (prev != nullptr) *ev.mutable_prev_kv() = to_kv(key, *prev);
    ctx.events->push_back(std::move(ev));
  }

  const bool was_live = prev != nullptr;
  if (leases_ != nullptr) {
    const std::int64_t old_lease = was_live ? prev->lease : 0;
    const std::int64_t new_lease = rec.tombstone ? 0 : rec.lease;
    if (old_lease != new_lease) {
      if (old_lease != 0) leases_->detach(old_lease, key);
      if (new_lease != 0) leases_->attach(new_lease, key);
    }
  }
  if (was_live && rec.tombstone) --live_keys_;
  if (!was_live && !rec.tombstone) ++live_keys_;
  stored_bytes_ += key.size() + rec.value.size();
  // `prev` points into this history: do not use it after the push_back below.
  auto entry = keys_.try_emplace(key).first;
  events_.push_back(EventRef{rec.rev, entry});
  entry->second.push_back(std::move(rec));
}

Status KvStore::check_put_state(const etcdserverpb::PutRequest& r) const {
  if (r.ignore_value() || r.ignore_lease()) {
    auto it = keys_.find(r.key());
    if (it == keys_.end() || live_latest(it->second) == nullptr) return errors::key_not_found();
  }
  if (r.lease() != 0 && (leases_ == nullptr || !leases_->lease_exists(r.lease())))
    return errors::lease_not_found();
  return {};
}

Result<etcdserverpb::PutResponse> KvStore::put(const etcdserverpb::PutRequest& r, Events& events) {
  if (auto s = check_put(r, Limits::structural_only()); !s) return s.error();
  if (auto s = check_put_state(r); !s) return s.error();
  WriteCtx ctx = begin_write(events);
  auto resp = put_unchecked(ctx, r);
  end_write(ctx);
  resp.mutable_header()->set_revision(revision_);
  return resp;
}

etcdserverpb::PutResponse KvStore::put_unchecked(WriteCtx& ctx, const etcdserverpb::PutRequest& r) {
  etcdserverpb::PutResponse resp;
  const Record* prev = nullptr;
  if (auto it = keys_.find(r.key()); it != keys_.end()) prev = live_latest(it->second);
  Record rec;
  rec.create_revision = prev != nullptr ? prev->create_revision : ctx.main;
  rec.version = prev != nullptr ? prev->version + 1 : 1;
  rec.value = r.ignore_value() && prev != nullptr ? prev->value : r.value();
  rec.lease = r.ignore_lease() && prev != nullptr ? prev->lease : r.lease();
  if (r.prev_kv() && prev != nullptr) *resp.mutable_prev_kv() = to_kv(r.key(), *prev);
  append(ctx, r.key(), std::move(rec), prev);
  return resp;
}

Result<etcdserverpb::DeleteRangeResponse> KvStore::delete_range(
    const etcdserverpb::DeleteRangeRequest& r, Events& events) {
  if (auto s = check_delete_range(r, Limits::structural_only()); !s) return s.error();
  WriteCtx ctx = begin_write(events);
  auto resp = delete_unchecked(ctx, r);
  end_write(ctx);
  resp.mutable_header()->set_revision(revision_);
  return resp;
}

etcdserverpb::DeleteRangeResponse KvStore::delete_unchecked(
    WriteCtx& ctx, const etcdserverpb::DeleteRangeRequest& r) {
  etcdserverpb::DeleteRangeResponse resp;
  const KeyRange kr(r.key(), r.range_end());
  if (kr.empty()) return resp;
  std::vector<std::string> doomed;
  for (auto it = keys_.lower_bound(kr.begin()); it != keys_.end(); ++it) {
    if (kr.past_end(it->first)) break;
    if (live_latest(it->second) != nullptr) doomed.push_back(it->first);
  }
  for (const auto& key : doomed) {
    const Record* prev = live_latest(keys_.find(key)->second);
    if (r.prev_kv()) *resp.add_prev_kvs() = to_kv(key, *prev);
    Record tomb;
    tomb.tombstone = true;
    append(ctx, key, std::move(tomb), prev);
  }
  resp.set_deleted(static_cast<std::int64_t>(doomed.size()));
  return resp;
}

std::int64_t KvStore::delete_keys(const std::vector<std::string>& keys, Events& events) {
  std::vector<std::string> sorted(keys);
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  WriteCtx ctx = begin_write(events);
  std::int64_t n = 0;
  for (const auto& key : sorted) {
    auto it = keys_.find(key);
    if (it == keys_.end()) continue;
    const Record* prev = live_latest(it->second);
    if (prev == nullptr) continue;
    Record tomb;
    tomb.tombstone = true;
    append(ctx, key, std::move(tomb), prev);
    ++n;
  }
  end_write(ctx);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Txn

bool KvStore::compares_hold(
    const google::protobuf::RepeatedPtrField<etcdserverpb::Compare>& cmps) const {
  static const mvccpb::KeyValue kAbsent;
  for (const auto& c : cmps) {
    const KeyRange kr(c.key(), c.range_end());
    bool any = false;
    for (auto it = keys_.lower_bound(kr.begin()); !kr.empty() && it != keys_.end(); ++it) {
      if (kr.past_end(it->first)) break;
      const Record* rec = live_latest(it->second);
      if (rec == nullptr) continue;
      any = true;
      if (!compare_holds(c, to_kv(it->first, *rec))) return false;
    }
    // No such key: a value compare always fails (a missing value is not an empty one); the
    // others compare against zero (version 0, revisions 0, lease 0).
    if (!any) {
      if (c.target() == etcdserverpb::Compare::VALUE) return false;
      if (!compare_holds(c, kAbsent)) return false;
    }
  }
  return true;
}

Status KvStore::check_ops_state(
    const google::protobuf::RepeatedPtrField<etcdserverpb::RequestOp>& ops) const {
  for (const auto& op : ops) {
    switch (op.request_case()) {
      case etcdserverpb::RequestOp::kRequestRange:
        if (auto s = check_read_revision(op.request_range().revision()); !s) return s;
        break;
      case etcdserverpb::RequestOp::kRequestPut:
        if (auto s = check_put_state(op.request_put()); !s) return s;
        break;
      case etcdserverpb::RequestOp::kRequestTxn:
        // Both branches: which one runs is decided only when the nested txn runs.
        if (auto s = check_ops_state(op.request_txn().success()); !s) return s;
        if (auto s = check_ops_state(op.request_txn().failure()); !s) return s;
        break;
      default: break;
    }
  }
  return {};
}

Result<etcdserverpb::TxnResponse> KvStore::txn(const etcdserverpb::TxnRequest& r, Events& events) {
  if (auto s = check_txn(r, Limits::structural_only()); !s) return s.error();
  const bool ok = compares_hold(r.compare());
  if (auto s = check_ops_state(ok ? r.success() : r.failure()); !s) return s.error();
  // Every op is known to succeed from here on: the txn applies entirely or not at all.
  WriteCtx ctx = begin_write(events);
  etcdserverpb::TxnResponse resp;
  txn_unchecked(ctx, r, resp);
  end_write(ctx);
  stamp_headers(resp);
  return resp;
}

void KvStore::txn_unchecked(WriteCtx& ctx, const etcdserverpb::TxnRequest& r,
                            etcdserverpb::TxnResponse& resp) {
  const bool ok = compares_hold(r.compare());
  resp.set_succeeded(ok);
  for (const auto& op : ok ? r.success() : r.failure()) {
    auto* out = resp.add_responses();
    switch (op.request_case()) {
      case etcdserverpb::RequestOp::kRequestRange:
        *out->mutable_response_range() = range_unchecked(op.request_range());
        break;
      case etcdserverpb::RequestOp::kRequestPut:
        *out->mutable_response_put() = put_unchecked(ctx, op.request_put());
        break;
      case etcdserverpb::RequestOp::kRequestDeleteRange:
        *out->mutable_response_delete_range() = delete_unchecked(ctx, op.request_delete_range());
        break;
      case etcdserverpb::RequestOp::kRequestTxn:
        txn_unchecked(ctx, op.request_txn(), *out->mutable_response_txn());
        break;
      default: break;
    }
  }
}

void KvStore::stamp_headers(etcdserverpb::TxnResponse& resp) const {
  resp.mutable_header()->set_revision(revision_);
  for (auto& op : *resp.mutable_responses()) {
    switch (op.response_case()) {
      case etcdserverpb::ResponseOp::kResponseRange:
        op.mutable_response_range()->mutable_header()->set_revision(revision_);
        break;
      case etcdserverpb::ResponseOp::kResponsePut:
        op.mutable_response_put()->mutable_header()->set_revision(revision_);
        break;
      case etcdserverpb::ResponseOp::kResponseDeleteRange:
        op.mutable_response_delete_range()->mutable_header()->set_revision(revision_);
        break;
      case etcdserverpb::ResponseOp::kResponseTxn: stamp_headers(*op.mutable_response_txn()); break;
      default: break;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Compaction and history

Result<etcdserverpb::CompactionResponse> KvStore::compact(std::int64_t rev) {
  if (rev <= compact_revision_) return errors::compacted();
  if (rev > revision_) return errors::future_revision();
  for (auto it = keys_.begin(); it != keys_.end();) {
    History& h = it->second;
    // Keep the newest record at or before rev (the state at rev) and everything after it.
    auto first_after =
        std::upper_bound(h.begin(), h.end(), rev,
                         [](std::int64_t r, const Record& rec) { return r < rec.rev.main; });
    auto keep = first_after == h.begin() ? h.begin() : std::prev(first_after);
    // A deletion before rev leaves nothing to read at rev; one at rev is still an event.
    if (keep != first_after && keep->tombstone && keep->rev.main < rev) keep = first_after;
    for (auto d = h.begin(); d != keep; ++d) stored_bytes_ -= it->first.size() + d->value.size();
    h.erase(h.begin(), keep);
    it = h.empty() ? keys_.erase(it) : std::next(it);
  }
  while (!events_.empty() && events_.front().rev.main < rev) events_.pop_front();
  compact_revision_ = rev;
  ++generation_;
  etcdserverpb::CompactionResponse resp;
  resp.mutable_header()->set_revision(revision_);
  return resp;
}

Status KvStore::replay(std::int64_t from, const KeyRange& range, const EventVisitor& visit) const {
  if (from < compact_revision_) return errors::compacted();
  auto it = std::lower_bound(events_.begin(), events_.end(), from,
                             [](const EventRef& e, std::int64_t r) { return e.rev.main < r; });
  for (; it != events_.end(); ++it) {
    const std::string& key = it->entry->first;
    if (!range.contains(key)) continue;
    const History& h = it->entry->second;
    auto rec = std::lower_bound(h.begin(), h.end(), it->rev,
                                [](const Record& r, const Revision& v) { return r.rev < v; });
    mvccpb::Event ev;
    ev.set_type(rec->tombstone ? mvccpb::Event::DELETE : mvccpb::Event::PUT);
    *ev.mutable_kv() = to_kv(key, *rec);
    if (rec != h.begin() && !std::prev(rec)->tombstone)
      *ev.mutable_prev_kv() = to_kv(key, *std::prev(rec));
    visit(ev);
  }
  return {};
}

Result<std::uint32_t> KvStore::hash(std::int64_t rev) const {
  if (auto s = check_read_revision(rev); !s) return s.error();
  const std::int64_t upto = rev > 0 ? rev : revision_;
  Fnv f;
  f.u64(static_cast<std::uint64_t>(compact_revision_));
  for (const auto& [key, h] : keys_) {
    for (const auto& r : h) {
      if (r.rev.main > upto) break;
      f.bytes(key);
      f.u64(static_cast<std::uint64_t>(r.rev.main));
      f.u64(static_cast<std::uint64_t>(r.rev.sub));
      f.u64(r.tombstone ? 1 : 0);
      f.u64(static_cast<std::uint64_t>(r.create_revision));
      f.u64(static_cast<std::uint64_t>(r.version));
      f.u64(static_cast<std::uint64_t>(r.lease));
      f.bytes(r.value);
    }
  }
  return f.h;
}

// ---------------------------------------------------------------------------------------------
// Snapshot

void KvStore::save(dcspb::StateMachineSnapshot& out) const {
  out.set_revision(revision_);
  out.set_compact_revision(compact_revision_);
  out.clear_keys();
  for (const auto& [key, h] : keys_) {
    auto* kh = out.add_keys();
    kh->set_key(key);
    for (const auto& r : h) {
      auto* kr = kh->add_records();
      kr->set_revision(r.rev.main);
      kr->set_sub(r.rev.sub);
      kr->set_tombstone(r.tombstone);
      kr->set_create_revision(r.create_revision);
      kr->set_version(r.version);
      kr->set_lease(r.lease);
      kr->set_value(r.value);
    }
  }
}

bool KvStore::save_chunk(SnapshotCursor& cursor, std::size_t max_keys, std::string& out) const {
  if (cursor.generation != generation_) return false;
  auto it = cursor.started ? keys_.upper_bound(cursor.last_key) : keys_.begin();
  dcspb::KeyHistory kh;
  std::string buf;
  for (std::size_t n = 0; n < max_keys && it != keys_.end(); ++it) {
    const History& h = it->second;
    if (h.empty() || h.front().rev.main > cursor.revision) continue;  // created after R
    ++n;
    kh.Clear();
    kh.set_key(it->first);
    for (const auto& r : h) {
      if (r.rev.main > cursor.revision) break;
      auto* kr = kh.add_records();
      kr->set_revision(r.rev.main);
      kr->set_sub(r.rev.sub);
      kr->set_tombstone(r.tombstone);
      kr->set_create_revision(r.create_revision);
      kr->set_version(r.version);
      kr->set_lease(r.lease);
      kr->set_value(r.value);
    }
    buf.clear();
    {
      google::protobuf::io::StringOutputStream raw(&buf);
      google::protobuf::io::CodedOutputStream coded(&raw);
      coded.SetSerializationDeterministic(true);
      kh.SerializeToCodedStream(&coded);
    }
    // Field 5 (keys), length-delimited.
    out.push_back(static_cast<char>((5 << 3) | 2));
    for (std::uint64_t v = buf.size();; v >>= 7) {
      if (v < 0x80) {
        out.push_back(static_cast<char>(v));
        break;
      }
      out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    }
    out += buf;
    cursor.last_key = it->first;
    cursor.started = true;
  }
  if (it == keys_.end()) cursor.done = true;
  return true;
}

Status KvStore::load(const dcspb::StateMachineSnapshot& in) {
  if (in.revision() < 1 || in.compact_revision() < 0 || in.compact_revision() > in.revision())
    return errors::malformed("snapshot revisions are inconsistent");
  std::map<std::string, History, std::less<>> keys;
  std::vector<EventRef> events;
  std::size_t live = 0, bytes = 0;
  for (const auto& kh : in.keys()) {
    if (kh.records().empty()) return errors::malformed("snapshot key without versions");
    if (!keys.empty() && kh.key() <= keys.rbegin()->first)
      return errors::malformed("snapshot keys are not sorted");
    History h;
    for (const auto& kr : kh.records()) {
      Record r;
      r.rev = Revision{kr.revision(), kr.sub()};
      r.tombstone = kr.tombstone();
      r.create_revision = kr.create_revision();
      r.version = kr.version();
      r.lease = kr.lease();
      r.value = kr.value();
      if (r.rev.main > in.revision() || (!h.empty() && !(h.back().rev < r.rev)))
        return errors::malformed("snapshot versions are out of order");
      bytes += kh.key().size() + r.value.size();
      h.push_back(std::move(r));
    }
    if (!h.back().tombstone) ++live;
    auto entry = keys.emplace_hint(keys.end(), kh.key(), std::move(h));
    for (const Record& r : entry->second)
      if (r.rev.main >= in.compact_revision()) events.push_back(EventRef{r.rev, entry});
  }
  std::sort(events.begin(), events.end(),
            [](const EventRef& a, const EventRef& b) { return a.rev < b.rev; });

  ++generation_;
  keys_.swap(keys);  // the events' iterators now point into keys_
  events_.assign(std::make_move_iterator(events.begin()), std::make_move_iterator(events.end()));
  revision_ = in.revision();
  compact_revision_ = in.compact_revision();
  live_keys_ = live;
  stored_bytes_ = bytes;
  if (leases_ != nullptr)
    for (const auto& [key, h] : keys_)
      if (const Record* r = live_latest(h); r != nullptr && r->lease != 0)
        leases_->attach(r->lease, key);
  return {};
}

}  // namespace ha::dcs
