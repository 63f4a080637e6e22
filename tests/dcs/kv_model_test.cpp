// The KV store against a simple reference model (a full copy of the key space per revision)
// under random puts, deletes, txns (with nested txns), compactions, historic reads and history
// replays, with a fixed seed. After every step the two agree on the revision, the compaction
// point, the whole current key space and the lease attachments.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "dcs/kv_store.hpp"

namespace {

using ha::dcs::KvStore;

// ---------------------------------------------------------------------------------------------
// The model

struct MKv {
  std::int64_t create = 0, mod = 0, version = 0, lease = 0;
  std::string value;
};
using MState = std::map<std::string, MKv>;

// A key range in request form, interpreted independently of dcs/key_range.
bool in_range(const std::string& key, const std::string& begin, const std::string& end) {
  if (end.empty()) return key == begin;
  if (end == std::string(1, '\0')) return key >= begin;
  return key >= begin && key < end;
}

struct Model {
  std::vector<MState> states{MState{}, MState{}};  // states[r]: the key space at revision r
  std::int64_t rev = 1;
  std::int64_t compact = 0;
  std::set<std::int64_t> leases{1, 2, 3};

  const MState& latest() const { return states[static_cast<std::size_t>(rev)]; }
};

// A write request being run by the model.
struct MWrite {
  Model& m;
  MState work;
  std::int64_t main;
  bool changed = false;

  explicit MWrite(Model& model) : m(model), work(model.latest()), main(model.rev + 1) {}
  void commit() {
    if (!changed) return;
    m.states.push_back(work);
    m.rev = main;
  }
  std::optional<MKv> put(const etcdserverpb::PutRequest& r) {
    std::optional<MKv> prev;
    MKv kv;
    if (auto it = work.find(r.key()); it != work.end()) {
      prev = it->second;
      kv = it->second;
      kv.version += 1;
    } else {
      kv.create = main;
      kv.version = 1;
    }
    kv.mod = main;
    if (!r.ignore_value()) kv.value = r.value();
    if (!r.ignore_lease()) kv.lease = r.lease();
    work[r.key()] = kv;
    changed = true;
    return prev;
  }
  std::vector<std::pair<std::string, MKv>> del(const std::string& b, const std::string& e) {
    std::vector<std::pair<std::string, MKv>> gone;
    for (auto it = work.begin(); it != work.end();) {
      if (in_range(it->first, b, e)) {
        gone.emplace_back(*it);
        it = work.erase(it);
        changed = true;
      } else {
        ++it;
      }
    }
    return gone;
  }
};

bool model_compare(const etcdserverpb::Compare& c, const MState& s) {
  auto holds = [&](const MKv& kv) {
    int r = 0;
    auto cmp = [](auto a, auto b) { return a < b ? -1 : (b < a ? 1 : 0); };
    switch (c.target()) {
      case etcdserverpb::Compare::VERSION: r = cmp(kv.version, c.version()); break;
      case etcdserverpb::Compare::CREATE: r = cmp(kv.create, c.create_revision()); break;
      case etcdserverpb::Compare::MOD: r = cmp(kv.mod, c.mod_revision()); break;
      case etcdserverpb::Compare::VALUE: r = cmp(kv.value, c.value()); break;
      case etcdserverpb::Compare::LEASE: r = cmp(kv.lease, c.lease()); break;
      default: return false;
    }
    switch (c.result()) {
      case etcdserverpb::Compare::EQUAL: return r == 0;
      case etcdserverpb::Compare::NOT_EQUAL: return r != 0;
      case etcdserverpb::Compare::GREATER: return r > 0;
      case etcdserverpb::Compare::LESS: return r < 0;
      default: return false;
    }
  };
  bool any = false;
  for (const auto& [k, kv] : s) {
    if (!in_range(k, c.key(), c.range_end())) continue;
    any = true;
    if (!holds(kv)) return false;
  }
  if (!any) return c.target() != etcdserverpb::Compare::VALUE && holds(MKv{});
  return true;
}

bool model_compares(const etcdserverpb::TxnRequest& t, const MState& s) {
  for (const auto& c : t.compare())
    if (!model_compare(c, s)) return false;
  return true;
}

// The etcd duplicate-key rule by enumerating every path through the txn: no path may put a key
// twice or put a key it also deletes.
struct Path {
  std::vector<std::string> puts;
  std::vector<std::pair<std::string, std::string>> dels;
};
std::vector<Path> paths(const google::protobuf::RepeatedPtrField<etcdserverpb::RequestOp>& ops) {
  std::vector<Path> out{Path{}};
  for (const auto& op : ops) {
    std::vector<Path> next;
    for (const auto& p : out) {
      if (op.has_request_put()) {
        auto q = p;
        q.puts.push_back(op.request_put().key());
        next.push_back(q);
      } else if (op.has_request_delete_range()) {
        auto q = p;
        q.dels.emplace_back(op.request_delete_range().key(), op.request_delete_range().range_end());
        next.push_back(q);
      } else if (op.has_request_txn()) {
        for (const auto* branch : {&op.request_txn().success(), &op.request_txn().failure()})
          for (const auto& sub : paths(*branch)) {
            auto q = p;
            q.puts.insert(q.puts.end(), sub.puts.begin(), sub.puts.end());
            q.dels.insert(q.dels.end(), sub.dels.begin(), sub.dels.end());
            next.push_back(q);
          }
      } else {
        next.push_back(p);
      }
    }
    out = std::move(next);
  }
  return out;
}
bool model_duplicate(const etcdserverpb::TxnRequest& t) {
  for (const auto* branch : {&t.success(), &t.failure()})
    for (const auto& p : paths(*branch)) {
      std::set<std::string> seen;
      for (const auto& k : p.puts) {
        if (!seen.insert(k).second) return true;
        for (const auto& [b, e] : p.dels)
          if (in_range(k, b, e)) return true;
      }
    }
  return false;
}

// State-dependent errors of the ops that may run (the chosen branch; nested: both branches).
std::optional<std::string> model_op_errors(
    const google::protobuf::RepeatedPtrField<etcdserverpb::RequestOp>& ops, const Model& m) {
  for (const auto& op : ops) {
    if (op.has_request_put()) {
      const auto& p = op.request_put();
      if ((p.ignore_value() || p.ignore_lease()) && m.latest().count(p.key()) == 0)
        return "etcdserver: key not found";
      if (p.lease() != 0 && m.leases.count(p.lease()) == 0)
        return "etcdserver: requested lease not found";
    } else if (op.has_request_txn()) {
      if (auto e = model_op_errors(op.request_txn().success(), m)) return e;
      if (auto e = model_op_errors(op.request_txn().failure(), m)) return e;
    }
  }
  return std::nullopt;
}

etcdserverpb::RangeResponse model_range(const etcdserverpb::RangeRequest& r, const MState& s) {
  etcdserverpb::RangeResponse resp;
  std::vector<mvccpb::KeyValue> kvs;
  std::int64_t count = 0;
  for (const auto& [k, kv] : s) {
    if (!in_range(k, r.key(), r.range_end())) continue;
    ++count;
    mvccpb::KeyValue o;
    o.set_key(k);
    o.set_create_revision(kv.create);
    o.set_mod_revision(kv.mod);
    o.set_version(kv.version);
    o.set_lease(kv.lease);
    if (!r.keys_only()) o.set_value(kv.value);
    kvs.push_back(o);
  }
  resp.set_count(count);
  if (r.count_only()) return resp;
  auto key_of = [&](const mvccpb::KeyValue& kv) -> std::string {
    switch (r.sort_target()) {
      case etcdserverpb::RangeRequest::VALUE: return s.at(kv.key()).value;
      default: return {};
    }
  };
  auto num_of = [&](const mvccpb::KeyValue& kv) -> std::int64_t {
    switch (r.sort_target()) {
      case etcdserverpb::RangeRequest::VERSION: return kv.version();
      case etcdserverpb::RangeRequest::CREATE: return kv.create_revision();
      case etcdserverpb::RangeRequest::MOD: return kv.mod_revision();
      default: return 0;
    }
  };
  auto less = [&](const mvccpb::KeyValue& a, const mvccpb::KeyValue& b) {
    if (r.sort_target() == etcdserverpb::RangeRequest::KEY) return a.key() < b.key();
    if (r.sort_target() == etcdserverpb::RangeRequest::VALUE) return key_of(a) < key_of(b);
    return num_of(a) < num_of(b);
  };
  if (r.sort_order() == etcdserverpb::RangeRequest::DESCEND)
    std::stable_sort(kvs.begin(), kvs.end(),
                     [&](const auto& a, const auto& b) { return less(b, a); });
  else if (r.sort_order() == etcdserverpb::RangeRequest::ASCEND ||
           r.sort_target() != etcdserverpb::RangeRequest::KEY)
    std::stable_sort(kvs.begin(), kvs.end(), less);
  if (r.limit() > 0 && static_cast<std::int64_t>(kvs.size()) > r.limit()) {
    kvs.resize(static_cast<std::size_t>(r.limit()));
    resp.set_more(true);
  }
  for (auto& kv : kvs) *resp.add_kvs() = kv;
  return resp;
}

mvccpb::KeyValue to_kv(const std::string& key, const MKv& kv) {
  mvccpb::KeyValue o;
  o.set_key(key);
  o.set_create_revision(kv.create);
  o.set_mod_revision(kv.mod);
  o.set_version(kv.version);
  o.set_value(kv.value);
  o.set_lease(kv.lease);
  return o;
}

// Runs the ops of a (validated) txn on the model, building the expected response.
void model_run(MWrite& w, const etcdserverpb::TxnRequest& t, etcdserverpb::TxnResponse& resp) {
  const bool ok = model_compares(t, w.work);
  resp.set_succeeded(ok);
  for (const auto& op : ok ? t.success() : t.failure()) {
    auto* out = resp.add_responses();
    if (op.has_request_put()) {
      auto prev = w.put(op.request_put());
      auto* pr = out->mutable_response_put();
      if (op.request_put().prev_kv() && prev)
        *pr->mutable_prev_kv() = to_kv(op.request_put().key(), *prev);
    } else if (op.has_request_delete_range()) {
      const auto& d = op.request_delete_range();
      auto gone = w.del(d.key(), d.range_end());
      auto* dr = out->mutable_response_delete_range();
      dr->set_deleted(static_cast<std::int64_t>(gone.size()));
      if (d.prev_kv())
        for (const auto& [k, kv] : gone) *dr->add_prev_kvs() = to_kv(k, kv);
    } else if (op.has_request_range()) {
      *out->mutable_response_range() = model_range(op.request_range(), w.work);
    } else if (op.has_request_txn()) {
      model_run(w, op.request_txn(), *out->mutable_response_txn());
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Comparing the store with the model

// Strips the headers (the store sets revisions in them; the model does not).
template <class M>
std::string body(M msg) {
  msg.clear_header();
  return msg.ShortDebugString();
}
// Nested responses keep headers in the store's answer; strip recursively.
void strip_headers(etcdserverpb::TxnResponse& t) {
  t.clear_header();
  for (auto& op : *t.mutable_responses()) {
    if (op.has_response_range()) op.mutable_response_range()->clear_header();
    if (op.has_response_put()) op.mutable_response_put()->clear_header();
    if (op.has_response_delete_range()) op.mutable_response_delete_range()->clear_header();
    if (op.has_response_txn()) strip_headers(*op.mutable_response_txn());
  }
}

class FakeLeases : public ha::dcs::LeaseAttachments {
 public:
  bool lease_exists(std::int64_t id) const override { return id >= 1 && id <= 3; }
  void attach(std::int64_t id, const std::string& key) override { keys[id].insert(key); }
  void detach(std::int64_t id, const std::string& key) override { keys[id].erase(key); }
  std::map<std::int64_t, std::set<std::string>> keys;
};

// ---------------------------------------------------------------------------------------------
// Random requests

struct Gen {
  std::mt19937_64 rng;
  explicit Gen(std::uint64_t seed) : rng(seed) {}

  int pick(int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); }
  bool chance(int percent) { return pick(100) < percent; }
  std::string key() {
    static const char* kChars = "abc";
    std::string k(1, kChars[pick(3)]);
    while (k.size() < 3 && chance(50)) k.push_back(kChars[pick(3)]);
    return k;
  }
  std::string value() { return chance(10) ? std::string() : "v" + std::to_string(pick(5)); }
  std::int64_t lease() {
    if (chance(60)) return 0;
    return chance(5) ? 99 : 1 + pick(3);
  }
  // A range in one of etcd's forms: single key, prefix, from-key, [a, b).
  std::pair<std::string, std::string> range() {
    std::string b = key();
    switch (pick(4)) {
      case 0: return {b, ""};
      case 1: return {b, ha::dcs::prefix_end(b)};
      case 2: return {b, std::string(1, '\0')};
      default: {
        std::string e = key();
        if (e < b) std::swap(b, e);
        return {b, e};
      }
    }
  }
  etcdserverpb::PutRequest put() {
    etcdserverpb::PutRequest p;
    p.set_key(key());
    if (chance(10)) {
      p.set_ignore_value(true);
    } else {
      p.set_value(value());
    }
    if (chance(10)) {
      p.set_ignore_lease(true);
    } else {
      p.set_lease(lease());
    }
    p.set_prev_kv(chance(50));
    return p;
  }
  etcdserverpb::DeleteRangeRequest del() {
    etcdserverpb::DeleteRangeRequest d;
    auto [b, e] = chance(60) ? std::pair<std::string, std::string>{key(), ""} : range();
    d.set_key(b);
    d.set_range_end(e);
    d.set_prev_kv(chance(50));
    return d;
  }
  etcdserverpb::RangeRequest read() {
    etcdserverpb::RangeRequest r;
    auto [b, e] = range();
    r.set_key(b);
    r.set_range_end(e);
    if (chance(30)) r.set_limit(1 + pick(4));
    if (chance(30)) {
      r.set_sort_order(static_cast<etcdserverpb::RangeRequest::SortOrder>(pick(3)));
      r.set_sort_target(static_cast<etcdserverpb::RangeRequest::SortTarget>(pick(5)));
    }
    r.set_keys_only(chance(15));
    r.set_count_only(chance(10));
    return r;
  }
  etcdserverpb::Compare compare(const MState& s) {
    etcdserverpb::Compare c;
    if (chance(20)) {
      auto [b, e] = range();
      c.set_key(b);
      c.set_range_end(e);
    } else {
      c.set_key(key());
    }
    c.set_result(static_cast<etcdserverpb::Compare::CompareResult>(pick(4)));
    c.set_target(static_cast<etcdserverpb::Compare::CompareTarget>(pick(5)));
    // Compare against a value near the key's real one, so both outcomes happen.
    MKv cur;
    if (auto it = s.find(c.key()); it != s.end()) cur = it->second;
    const std::int64_t d = pick(3) - 1;
    switch (c.target()) {
      case etcdserverpb::Compare::VERSION: c.set_version(cur.version + d); break;
      case etcdserverpb::Compare::CREATE: c.set_create_revision(cur.create + d); break;
      case etcdserverpb::Compare::MOD: c.set_mod_revision(cur.mod + d); break;
      case etcdserverpb::Compare::VALUE: c.set_value(chance(50) ? cur.value : value()); break;
      default: c.set_lease(chance(50) ? cur.lease : lease()); break;
    }
    return c;
  }
  void ops(google::protobuf::RepeatedPtrField<etcdserverpb::RequestOp>* out, const MState& s,
           int depth) {
    const int n = pick(4);
    for (int i = 0; i < n; ++i) {
      auto* op = out->Add();
      const int kind = pick(depth > 0 ? 4 : 5);
      if (kind == 0 || kind == 1)
        *op->mutable_request_put() = put();
      else if (kind == 2)
        *op->mutable_request_delete_range() = del();
      else if (kind == 3) {
        auto r = read();
        r.clear_limit();  // keep reads inside txns simple: no revision, any shape
        *op->mutable_request_range() = r;
      } else {
        *op->mutable_request_txn() = txn(s, depth + 1);
      }
    }
  }
  etcdserverpb::TxnRequest txn(const MState& s, int depth = 0) {
    etcdserverpb::TxnRequest t;
    const int nc = pick(3);
    for (int i = 0; i < nc; ++i) *t.add_compare() = compare(s);
    ops(t.mutable_success(), s, depth);
    ops(t.mutable_failure(), s, depth);
    return t;
  }
};

void check_same(const KvStore& kv, const Model& m, const FakeLeases& leases) {
  REQUIRE(kv.revision() == m.rev);
  REQUIRE(kv.compact_revision() == m.compact);
  etcdserverpb::RangeRequest all;
  all.set_key(std::string(1, '\0'));
  all.set_range_end(std::string(1, '\0'));
  auto got = kv.range(all);
  REQUIRE(got.ok());
  REQUIRE(body(got.value()) == body(model_range(all, m.latest())));
  REQUIRE(kv.live_keys() == m.latest().size());
  std::map<std::int64_t, std::set<std::string>> want;
  for (const auto& [k, v] : m.latest())
    if (v.lease != 0) want[v.lease].insert(k);
  auto have = leases.keys;
  for (auto it = have.begin(); it != have.end();)
    it = it->second.empty() ? have.erase(it) : std::next(it);
  REQUIRE(have == want);
}

void check_replay(const KvStore& kv, const Model& m, std::int64_t from, const std::string& b,
                  const std::string& e) {
  std::vector<mvccpb::Event> got;
  auto st =
      kv.replay(from, ha::dcs::KeyRange(b, e), [&](const mvccpb::Event& ev) { got.push_back(ev); });
  if (from < m.compact) {
    REQUIRE_FALSE(st.ok());
    REQUIRE(st.error().message == "etcdserver: mvcc: required revision has been compacted");
    return;
  }
  REQUIRE(st.ok());
  // Expected: for every revision from `from`, the keys that changed, in the order of the
  // store's sub revisions. The model does not know sub order, so compare per revision as sets
  // and check the revision order separately.
  std::vector<std::string> want_desc, got_desc;
  for (std::int64_t r = std::max<std::int64_t>(from, 2); r <= m.rev; ++r) {
    const auto& before = m.states[static_cast<std::size_t>(r - 1)];
    const auto& after = m.states[static_cast<std::size_t>(r)];
    std::set<std::string> keys;
    for (const auto& [k, v] : after)
      if (v.mod == r) keys.insert(k);
    for (const auto& [k, v] : before)
      if (after.count(k) == 0) keys.insert(k);
    std::vector<std::string> rev_want;
    for (const auto& k : keys) {
      if (!in_range(k, b, e)) continue;
      mvccpb::Event ev;
      if (auto it = after.find(k); it != after.end()) {
        ev.set_type(mvccpb::Event::PUT);
        *ev.mutable_kv() = to_kv(k, it->second);
      } else {
        ev.set_type(mvccpb::Event::DELETE);
        ev.mutable_kv()->set_key(k);
        ev.mutable_kv()->set_mod_revision(r);
      }
      if (auto it = before.find(k); it != before.end() && r > m.compact)
        *ev.mutable_prev_kv() = to_kv(k, it->second);
      rev_want.push_back(ev.ShortDebugString());
    }
    std::sort(rev_want.begin(), rev_want.end());
    want_desc.insert(want_desc.end(), rev_want.begin(), rev_want.end());
  }
  std::int64_t last = 0;
  std::vector<std::string> rev_got;
  auto flush = [&] {
    std::sort(rev_got.begin(), rev_got.end());
    got_desc.insert(got_desc.end(), rev_got.begin(), rev_got.end());
    rev_got.clear();
  };
  for (const auto& ev : got) {
    REQUIRE(ev.kv().mod_revision() >= last);
    if (ev.kv().mod_revision() != last) flush();
    last = ev.kv().mod_revision();
    rev_got.push_back(ev.ShortDebugString());
  }
  flush();
  REQUIRE(got_desc == want_desc);
}

}  // namespace

TEST_CASE("KV store matches the reference model under random operations") {
  const std::uint64_t seed = GENERATE(1, 2, 3, 4);
  INFO("seed " << seed);
  Gen g(seed);
  Model m;
  FakeLeases leases;
  KvStore kv(&leases);
  KvStore::Events events;
  int txns_ok = 0, txns_dup = 0, compactions = 0, historic = 0;

  for (int step = 0; step < 1500; ++step) {
    INFO("step " << step);
    events.clear();
    const int what = g.pick(100);
    if (what < 30) {
      auto p = g.put();
      auto got = kv.put(p, events);
      const bool missing = (p.ignore_value() || p.ignore_lease()) && m.latest().count(p.key()) == 0;
      if (missing) {
        REQUIRE_FALSE(got.ok());
        CHECK(got.error().message == "etcdserver: key not found");
      } else if (p.lease() != 0 && m.leases.count(p.lease()) == 0) {
        REQUIRE_FALSE(got.ok());
        CHECK(got.error().message == "etcdserver: requested lease not found");
      } else {
        REQUIRE(got.ok());
        MWrite w(m);
        auto prev = w.put(p);
        w.commit();
        etcdserverpb::PutResponse want;
        if (p.prev_kv() && prev) *want.mutable_prev_kv() = to_kv(p.key(), *prev);
        REQUIRE(body(got.value()) == body(want));
        REQUIRE(got.value().header().revision() == m.rev);
        REQUIRE(events.size() == 1);
      }
    } else if (what < 45) {
      auto d = g.del();
      auto got = kv.delete_range(d, events);
      REQUIRE(got.ok());
      MWrite w(m);
      auto gone = w.del(d.key(), d.range_end());
      w.commit();
      etcdserverpb::DeleteRangeResponse want;
      want.set_deleted(static_cast<std::int64_t>(gone.size()));
      if (d.prev_kv())
        for (const auto& [k, v] : gone) *want.add_prev_kvs() = to_kv(k, v);
      REQUIRE(body(got.value()) == body(want));
      REQUIRE(events.size() == gone.size());
    } else if (what < 70) {
      auto t = g.txn(m.latest());
      auto got = kv.txn(t, events);
      INFO("txn " << t.ShortDebugString());
      INFO("error " << (got.ok() ? std::string("none") : got.error().message));
      if (model_duplicate(t)) {
        REQUIRE_FALSE(got.ok());
        CHECK(got.error().message == "etcdserver: duplicate key given in txn request");
        ++txns_dup;
      } else {
        const bool ok = model_compares(t, m.latest());
        auto err = model_op_errors(ok ? t.success() : t.failure(), m);
        if (err) {
          REQUIRE_FALSE(got.ok());
          CHECK(got.error().message == *err);
        } else {
          REQUIRE(got.ok());
          MWrite w(m);
          etcdserverpb::TxnResponse want;
          model_run(w, t, want);
          w.commit();
          auto have = got.value();
          REQUIRE(have.header().revision() == m.rev);
          strip_headers(have);
          REQUIRE(have.ShortDebugString() == want.ShortDebugString());
          for (const auto& ev : events) REQUIRE(ev.kv().mod_revision() == m.rev);
          ++txns_ok;
        }
      }
    } else if (what < 75) {
      // Compact: mostly valid, sometimes at or below the compaction point or in the future.
      std::int64_t r = m.compact + 1 + g.pick(static_cast<int>(m.rev - m.compact) / 2 + 2);
      if (g.chance(15)) r = m.compact - g.pick(2);
      auto got = kv.compact(r);
      if (r <= m.compact) {
        REQUIRE_FALSE(got.ok());
        CHECK(got.error().message == "etcdserver: mvcc: required revision has been compacted");
      } else if (r > m.rev) {
        REQUIRE_FALSE(got.ok());
        CHECK(got.error().message == "etcdserver: mvcc: required revision is a future revision");
      } else {
        REQUIRE(got.ok());
        m.compact = r;
        ++compactions;
      }
    } else if (what < 93) {
      auto r = g.read();
      if (g.chance(20))
        r.set_revision(g.pick(static_cast<int>(m.rev) + 2));  // anywhere
      else if (g.chance(60))
        r.set_revision(m.compact + g.pick(static_cast<int>(m.rev - m.compact) + 1));
      auto got = kv.range(r);
      INFO("range " << r.ShortDebugString());
      if (r.revision() > m.rev) {
        REQUIRE_FALSE(got.ok());
        CHECK(got.error().message == "etcdserver: mvcc: required revision is a future revision");
      } else if (r.revision() > 0 && r.revision() < m.compact) {
        REQUIRE_FALSE(got.ok());
        CHECK(got.error().message == "etcdserver: mvcc: required revision has been compacted");
      } else {
        REQUIRE(got.ok());
        const auto& s =
            r.revision() > 0 ? m.states[static_cast<std::size_t>(r.revision())] : m.latest();
        REQUIRE(body(got.value()) == body(model_range(r, s)));
        if (r.revision() > 0) ++historic;
      }
    } else {
      auto [b, e] = g.range();
      const std::int64_t from = std::max<std::int64_t>(
          1, m.compact - 1 + g.pick(static_cast<int>(m.rev - m.compact) + 3));
      check_replay(kv, m, from, b, e);
    }
    check_same(kv, m, leases);
    // The events a write returned are exactly what history replays for its revision.
    if (!events.empty()) {
      std::vector<std::string> replayed, returned;
      REQUIRE(kv.replay(m.rev, ha::dcs::KeyRange(std::string(1, '\0'), std::string(1, '\0')),
                        [&](const mvccpb::Event& ev) { replayed.push_back(ev.ShortDebugString()); })
                  .ok());
      for (const auto& ev : events) returned.push_back(ev.ShortDebugString());
      REQUIRE(replayed == returned);
    }
  }
  // The run exercised what it claims to.
  CHECK(txns_ok > 100);
  CHECK(txns_dup > 5);
  CHECK(compactions > 10);
  CHECK(historic > 50);
}
