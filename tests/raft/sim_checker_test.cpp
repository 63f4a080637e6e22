// The checker's verdicts on hand-made observations and hand-made client histories: each
// invariant fails when broken and stays quiet when it holds.
#include <catch2/catch.hpp>

#include <string>

#include "raft/memory_storage.hpp"
#include "tests/raft/sim/checker.hpp"
#include "tests/raft/sim/kv_state_machine.hpp"
#include "tests/raft/sim/linearizability.hpp"

using namespace ha::raft;
using namespace ha::raft::sim;

namespace {

Entry entry(Index i, Term t, std::string data) { return Entry{t, i, EntryType::kNormal, std::move(data)}; }

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Saves `entries` and `hs` into `log` as a driver would, and reports both to the checker.
void save(Checker& ch, NodeId id, MemoryStorage& log, std::vector<Entry> entries, HardState hs) {
  Ready rd;
  rd.entries = std::move(entries);
  rd.hard_state = hs;
  rd.must_sync = true;
  ch.on_ready(id, rd, log.initial_state().hard_state);
  log.save(&hs, rd.entries, nullptr, true);
  ch.on_saved(id, rd, log);
}

}  // namespace

TEST_CASE("checker: consistent observations pass", "[sim][checker]") {
  Checker ch;
  MemoryStorage a, b;
  save(ch, 1, a, {entry(1, 1, ""), entry(2, 1, "x")}, HardState{1, 1, 2});
  save(ch, 2, b, {entry(1, 1, ""), entry(2, 1, "x")}, HardState{1, 1, 1});
  ch.on_leader(1, 1);
  ch.on_leader(1, 1);
  ch.check_leader_log(1, 1, a);
  KvStateMachine sa, sb;
  for (const Entry& e : {entry(1, 1, ""), entry(2, 1, "x")}) {
    Index before = sa.applied();
    sa.apply(e);
    ch.on_apply(1, e, before, sa.chain(), 1);
    before = sb.applied();
    sb.apply(e);
    ch.on_apply(2, e, before, sb.chain(), 1);
  }
  CHECK_FALSE(ch.failed());
  CHECK(ch.committed_index() == 2);
}

TEST_CASE("checker: two leaders in one term", "[sim][checker]") {
  Checker ch;
  ch.set_step(12);
  ch.on_leader(1, 3);
  ch.on_leader(2, 4);
  CHECK_FALSE(ch.failed());
  ch.on_leader(3, 3);
  CHECK(contains(ch.failure(), "step 12: election safety: two leaders in term 3"));
}

TEST_CASE("checker: log matching breaks on same (index, term) with other data or another predecessor", "[sim][checker]") {
  Checker ch;
  MemoryStorage a, b;
  save(ch, 1, a, {entry(1, 1, ""), entry(2, 2, "x")}, HardState{2, 0, 0});
  save(ch, 2, b, {entry(1, 1, ""), entry(2, 2, "y")}, HardState{2, 0, 0});
  CHECK(contains(ch.failure(), "log matching"));

  Checker ch2;
  MemoryStorage c, d;
  save(ch2, 1, c, {entry(1, 1, ""), entry(2, 3, "x")}, HardState{3, 0, 0});
  save(ch2, 2, d, {entry(1, 2, ""), entry(2, 3, "x")}, HardState{3, 0, 0});
  CHECK(contains(ch2.failure(), "follows term"));
}

TEST_CASE("checker: a committed entry that changes is caught from the commit index and from apply", "[sim][checker]") {
  Checker ch;
  MemoryStorage a, b;
  save(ch, 1, a, {entry(1, 1, "x")}, HardState{1, 0, 1});
  save(ch, 2, b, {entry(1, 2, "y")}, HardState{2, 0, 1});
  CHECK(contains(ch.failure(), "committed entry changed: index 1"));

  Checker ch2;
  KvStateMachine s;
  ch2.on_apply(1, entry(1, 1, "x"), 0, 11, 1);
  ch2.on_apply(2, entry(1, 1, "z"), 0, 12, 1);
  CHECK(contains(ch2.failure(), "with different data"));
}

TEST_CASE("checker: gaps and diverging applied sequences are caught", "[sim][checker]") {
  Checker ch;
  ch.on_apply(1, entry(2, 1, "x"), 0, 5, 1);
  CHECK(contains(ch.failure(), "applied index 2 right after 0"));

  Checker ch2;
  ch2.on_apply(1, entry(1, 1, "x"), 0, 5, 1);
  ch2.on_apply(2, entry(1, 1, "x"), 0, 6, 1);  // same entry, different state machine history
  CHECK(contains(ch2.failure(), "state machine safety"));
}

TEST_CASE("checker: leader completeness", "[sim][checker]") {
  Checker ch;
  MemoryStorage follower, leader;
  // Index 3 was seen committed by a node in term 2: it was committed in term 2 or earlier.
  save(ch, 1, follower, {entry(1, 1, ""), entry(2, 1, "x"), entry(3, 1, "y")}, HardState{2, 0, 3});
  save(ch, 2, leader, {entry(1, 1, ""), entry(2, 1, "x")}, HardState{2, 2, 0});
  ch.check_leader_log(2, 1, leader);  // a term-1 leader need not hold what term 2 committed...
  CHECK_FALSE(ch.failed());
  ch.check_leader_log(2, 2, leader);  // ...but a term-2 leader must hold index 3
  CHECK(contains(ch.failure(), "leader completeness: n2 leads term 2 but its log ends at 2"));
}

TEST_CASE("checker: the persistence contract", "[sim][checker]") {
  Checker ch;
  Ready rd;
  rd.entries = {entry(1, 1, "")};
  rd.must_sync = false;
  ch.on_ready(1, rd, HardState{});
  CHECK(contains(ch.failure(), "carries entries but must_sync is false"));

  Checker ch2;
  MemoryStorage durable;
  HardState hs{3, 0, 0};
  durable.save(&hs, {}, nullptr, true);
  Message grant;
  grant.type = MessageType::kVoteResponse;
  grant.from = 1;
  grant.to = 2;
  grant.term = 3;
  ch2.on_send(grant, durable);
  CHECK(contains(ch2.failure(), "granted its term-3 vote to n2"));

  Checker ch3;
  Message ack;
  ack.type = MessageType::kAppendResponse;
  ack.from = 1;
  ack.to = 2;
  ack.term = 3;
  ack.index = 4;
  ch3.on_send(ack, durable);
  CHECK(contains(ch3.failure(), "acknowledged index 4"));

  Checker ch4;
  ch4.on_durable(1, HardState{3, 2, 0});
  ch4.on_durable(1, HardState{3, 2, 5});
  ch4.on_durable(1, HardState{4, 0, 5});
  CHECK_FALSE(ch4.failed());
  ch4.on_durable(1, HardState{3, 0, 5});
  CHECK(contains(ch4.failure(), "durable term went back"));
}

// ---------------------------------------------------------------- linearizability

namespace {

// A tiny DSL for histories: calls and returns in the order written.
struct H {
  History h;
  std::uint64_t step = 0;
  std::uint64_t put(const std::string& k) { return h.invoke(OpKind::kPut, k, 1, ++step); }
  std::uint64_t get(const std::string& k) { return h.invoke(OpKind::kGet, k, 1, ++step); }
  void ok(std::uint64_t id, std::uint64_t read = 0) {
    h.complete(id, read, ++step);
    const Operation* op = h.find(id);
    if (op->kind == OpKind::kPut) h.mark_applied(op->value);
  }
  LinearizabilityResult check() { return check_linearizable(h); }
};

}  // namespace

TEST_CASE("linearizability: sequential and overlapping histories that are fine", "[sim][checker]") {
  H x;
  CHECK(x.check().ok);  // empty
  std::uint64_t g0 = x.get("k");
  x.ok(g0, 0);  // never written
  std::uint64_t w1 = x.put("k");
  x.ok(w1);
  std::uint64_t w2 = x.put("k");
  std::uint64_t r = x.get("k");  // overlaps w2: may see either value
  x.ok(r, w1);
  x.ok(w2);
  std::uint64_t r2 = x.get("k");
  x.ok(r2, w2);
  std::uint64_t other = x.get("j");
  x.ok(other, 0);  // keys are independent
  LinearizabilityResult res = x.check();
  CHECK(res.ok);
  CHECK_FALSE(res.unknown);
  CHECK(res.operations == 6);
}

TEST_CASE("linearizability: a stale read is caught", "[sim][checker]") {
  H x;
  std::uint64_t w1 = x.put("k");
  x.ok(w1);
  std::uint64_t w2 = x.put("k");
  x.ok(w2);
  std::uint64_t r = x.get("k");
  x.ok(r, w1);
  LinearizabilityResult res = x.check();
  CHECK_FALSE(res.ok);
  CHECK(contains(res.failure, "key 'k' is not linearizable"));
  CHECK(contains(res.failure, "get(k) -> " + std::to_string(w1)));
}

TEST_CASE("linearizability: reads that go back in time, or see a value never written, are caught", "[sim][checker]") {
  H x;
  std::uint64_t w1 = x.put("k");
  std::uint64_t w2 = x.put("k");
  x.ok(w1);
  x.ok(w2);
  std::uint64_t r1 = x.get("k");
  x.ok(r1, w2);
  std::uint64_t r2 = x.get("k");
  x.ok(r2, w1);  // w1 and w2 were ordered by r1; reading w1 afterwards goes back
  CHECK_FALSE(x.check().ok);

  H y;
  std::uint64_t r = y.get("k");
  y.ok(r, 99);
  CHECK_FALSE(y.check().ok);

  H z;  // back to "never written" after a completed write
  std::uint64_t w = z.put("k");
  z.ok(w);
  std::uint64_t rz = z.get("k");
  z.ok(rz, 0);
  CHECK_FALSE(z.check().ok);
}

TEST_CASE("linearizability: unanswered puts count only if some node applied them", "[sim][checker]") {
  H x;
  std::uint64_t w = x.put("k");  // no answer
  x.h.abandon(w);
  std::uint64_t r = x.get("k");
  x.ok(r, w);
  CHECK_FALSE(x.check().ok);  // nobody applied w: reading it is impossible
  x.h.mark_applied(w);
  CHECK(x.check().ok);  // it took effect some time after its call

  H y;  // an unanswered read constrains nothing
  std::uint64_t w1 = y.put("k");
  y.ok(w1);
  y.get("k");
  CHECK(y.check().ok);
}

TEST_CASE("linearizability: needs backtracking over concurrent writes", "[sim][checker]") {
  // Three concurrent writes, then reads that fix their order as w3, w1, w2: fine while the writes
  // overlap the reads; impossible once a read after all writes completed sees an earlier one.
  H x;
  std::uint64_t w1 = x.put("k");
  std::uint64_t w2 = x.put("k");
  std::uint64_t w3 = x.put("k");
  std::uint64_t r1 = x.get("k");
  x.ok(r1, w3);
  std::uint64_t r2 = x.get("k");
  x.ok(r2, w1);
  x.ok(w1);
  x.ok(w3);
  std::uint64_t r3 = x.get("k");
  x.ok(r3, w2);
  x.ok(w2);
  CHECK(x.check().ok);
  std::uint64_t r4 = x.get("k");
  x.ok(r4, w3);
  CHECK_FALSE(x.check().ok);
}

TEST_CASE("checker: a node that overwrites or loses its own committed entries is caught", "[sim][checker]") {
  Checker ch;
  MemoryStorage a;
  save(ch, 1, a, {entry(1, 1, ""), entry(2, 1, "x")}, HardState{1, 1, 2});
  save(ch, 1, a, {entry(2, 1, "x"), entry(3, 2, "y")}, HardState{2, 0, 2});  // rewriting the same is fine
  CHECK_FALSE(ch.failed());
  save(ch, 1, a, {entry(2, 2, "z")}, HardState{2, 0, 2});
  CHECK(contains(ch.failure(), "n1 overwrote its committed index 2"));

  Checker ch2;
  MemoryStorage b;
  save(ch2, 1, b, {entry(1, 1, ""), entry(2, 1, "x"), entry(3, 1, "y")}, HardState{1, 1, 3});
  Ready rd;
  Snapshot old;
  old.metadata.index = 1;
  old.metadata.term = 3;  // a divergent snapshot below the commit index wipes the log
  rd.snapshot = old;
  rd.must_sync = true;
  b.save(nullptr, {}, &old, true);
  ch2.on_saved(1, rd, b);
  CHECK(contains(ch2.failure(), "log lost committed entries"));
}
