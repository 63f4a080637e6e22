// Unit tests of the chaos checkers on hand-made histories: good ones pass, known-bad ones (stale
// reads, lost writes, double CAS, lost and invented set elements, overlapping lock holds) are
// caught; a large generated linearizable history is checked quickly and one corrupted read in it
// is found.
#include <catch2/catch.hpp>

#include <random>
#include <sstream>

#include "tests/chaos/history_io.hpp"
#include "tests/chaos/linearizability.hpp"
#include "tests/chaos/lock_checker.hpp"
#include "tests/chaos/set_checker.hpp"

using namespace ha::chaos;

namespace {

Op w(int p, Value v, std::int64_t t0, std::int64_t t1, Outcome o = Outcome::kOk, const std::string& key = "x") {
  Op op;
  op.process = p;
  op.kind = OpKind::kWrite;
  op.key = key;
  op.value = v;
  op.outcome = o;
  op.invoke_ns = t0;
  op.complete_ns = t1;
  return op;
}
Op r(int p, Value v, std::int64_t t0, std::int64_t t1, Outcome o = Outcome::kOk, const std::string& key = "x") {
  Op op = w(p, kNil, t0, t1, o, key);
  op.kind = OpKind::kRead;
  op.result = v;
  return op;
}
Op cas(int p, Value from, Value to, std::int64_t t0, std::int64_t t1, Outcome o = Outcome::kOk) {
  Op op = w(p, to, t0, t1, o);
  op.kind = OpKind::kCas;
  op.expected = from;
  return op;
}
Verdict verdict(const History& h) {
  LinearizabilityResult res = check_registers(h);
  if (!res.anomalies.empty()) return Verdict::kNotLinearizable;
  if (!res.undecided.empty()) return Verdict::kUndecided;
  return Verdict::kLinearizable;
}

}  // namespace

TEST_CASE("linearizability: sequential and concurrent good histories pass") {
  CHECK(verdict({}) == Verdict::kLinearizable);
  CHECK(verdict({r(0, kNil, 0, 5), w(0, 1, 10, 20), r(1, 1, 30, 40)}) == Verdict::kLinearizable);
  // A read concurrent with a write may see either value; two reads may see old then new.
  CHECK(verdict({w(0, 1, 0, 100), r(1, kNil, 10, 20), r(1, 1, 30, 40), r(2, 1, 50, 60)}) ==
        Verdict::kLinearizable);
  // Concurrent writes may be ordered either way.
  CHECK(verdict({w(0, 1, 0, 100), w(1, 2, 0, 100), r(2, 1, 110, 120)}) == Verdict::kLinearizable);
  CHECK(verdict({w(0, 1, 0, 100), w(1, 2, 0, 100), r(2, 2, 110, 120)}) == Verdict::kLinearizable);
  // Equal times count as concurrent.
  CHECK(verdict({w(0, 1, 0, 10), r(1, kNil, 10, 20)}) == Verdict::kLinearizable);
}

TEST_CASE("linearizability: stale and lost reads are caught") {
  CHECK(verdict({w(0, 1, 0, 10), w(0, 2, 20, 30), r(1, 1, 40, 50)}) == Verdict::kNotLinearizable);
  CHECK(verdict({w(0, 1, 0, 10), r(1, kNil, 20, 30)}) == Verdict::kNotLinearizable);
  // New then old: a read may not go back in time.
  CHECK(verdict({w(0, 1, 0, 100), r(1, 1, 10, 20), r(2, kNil, 30, 40)}) == Verdict::kNotLinearizable);
  // A value nobody wrote.
  CHECK(verdict({w(0, 1, 0, 10), r(1, 7, 20, 30)}) == Verdict::kNotLinearizable);
  // Two writes in order, two later readers disagree on the last.
  CHECK(verdict({w(0, 1, 0, 10), w(1, 2, 0, 10), r(2, 1, 20, 30), r(3, 2, 20, 30), r(2, 1, 40, 50),
                 r(3, 2, 40, 50)}) == Verdict::kNotLinearizable);
}

TEST_CASE("linearizability: compare-and-set") {
  CHECK(verdict({w(0, 0, 0, 10), cas(1, 0, 1, 20, 30), r(2, 1, 40, 50)}) == Verdict::kLinearizable);
  // Both CAS 0->x succeeded: only one can have seen 0.
  CHECK(verdict({w(0, 0, 0, 10), cas(1, 0, 1, 20, 30), cas(2, 0, 2, 20, 30)}) == Verdict::kNotLinearizable);
  CHECK(verdict({w(0, 0, 0, 10), cas(1, 0, 1, 20, 30), cas(2, 0, 2, 40, 50)}) == Verdict::kNotLinearizable);
  // A CAS that failed although the value surely matched.
  CHECK(verdict({w(0, 3, 0, 10), cas(1, 3, 4, 20, 30, Outcome::kFail)}) == Verdict::kNotLinearizable);
  // ... unless a concurrent write changed it.
  CHECK(verdict({w(0, 3, 0, 10), w(2, 7, 15, 35), cas(1, 3, 4, 20, 30, Outcome::kFail)}) ==
        Verdict::kLinearizable);
  // Absent key: CAS against nil.
  CHECK(verdict({cas(0, kNil, 1, 0, 10), r(1, 1, 20, 30)}) == Verdict::kLinearizable);
}

TEST_CASE("linearizability: unknown ops may take effect any time after their invoke, or never") {
  // Took effect late.
  CHECK(verdict({w(0, 1, 0, 10, Outcome::kUnknown), r(1, kNil, 20, 30), r(1, 1, 40, 50)}) ==
        Verdict::kLinearizable);
  // Never took effect.
  CHECK(verdict({w(0, 1, 0, 10, Outcome::kUnknown), r(1, kNil, 20, 30)}) == Verdict::kLinearizable);
  // But once seen, it cannot be unseen.
  CHECK(verdict({w(0, 1, 0, 10, Outcome::kUnknown), r(1, 1, 20, 30), r(1, kNil, 40, 50)}) ==
        Verdict::kNotLinearizable);
  // Not before its invoke.
  CHECK(verdict({r(1, 1, 0, 5), w(0, 1, 10, 20, Outcome::kUnknown)}) == Verdict::kNotLinearizable);
  // Unknown CAS: either way; a failed or unknown read constrains nothing.
  CHECK(verdict({w(0, 0, 0, 10), cas(1, 0, 5, 20, 30, Outcome::kUnknown), r(2, 0, 40, 50), r(2, 5, 60, 70)}) ==
        Verdict::kLinearizable);
  CHECK(verdict({w(0, 0, 0, 10), cas(1, 0, 5, 20, 30, Outcome::kUnknown), r(2, 0, 40, 50)}) ==
        Verdict::kLinearizable);
  CHECK(verdict({w(0, 0, 0, 10), cas(1, 0, 5, 20, 30, Outcome::kUnknown), r(2, 5, 40, 50), r(2, 0, 60, 70)}) ==
        Verdict::kNotLinearizable);
  CHECK(verdict({w(0, 1, 0, 10), r(1, 9, 20, 30, Outcome::kUnknown), r(1, 5, 20, 30, Outcome::kFail)}) ==
        Verdict::kLinearizable);
}

TEST_CASE("linearizability: keys are checked apart and the report names the key") {
  History h{w(0, 1, 0, 10, Outcome::kOk, "a"), w(0, 2, 0, 10, Outcome::kOk, "b"), r(1, 1, 20, 30, Outcome::kOk, "a"),
            r(1, 1, 20, 30, Outcome::kOk, "b")};
  LinearizabilityResult res = check_registers(h);
  CHECK(res.keys == 2);
  REQUIRE(res.anomalies.size() == 1);
  CHECK(res.anomalies[0].key == "b");
  CHECK(res.anomalies[0].history.size() == 2);
  CHECK_FALSE(res.anomalies[0].stuck_at.empty());
}

namespace {

// A register shared by `procs` simulated clients; every op takes effect at a random point inside
// its [invoke, complete] window, so the history is linearizable by construction.
History generated(std::uint64_t seed, int procs, int ops_per_proc) {
  std::mt19937_64 rng(seed);
  struct Pending {
    Op op;
    std::int64_t effect;
  };
  History out;
  std::vector<std::int64_t> clock(static_cast<std::size_t>(procs), 0);
  std::vector<Pending> all;
  Value next = 1;
  for (int p = 0; p < procs; ++p) {
    for (int i = 0; i < ops_per_proc; ++i) {
      std::int64_t t0 = clock[static_cast<std::size_t>(p)] + static_cast<std::int64_t>(rng() % 20);
      std::int64_t t1 = t0 + 1 + static_cast<std::int64_t>(rng() % 60);
      clock[static_cast<std::size_t>(p)] = t1 + 1;
      Op op;
      op.process = p;
      op.key = "g";
      op.outcome = Outcome::kOk;
      op.invoke_ns = t0;
      op.complete_ns = t1;
      int k = static_cast<int>(rng() % 3);
      op.kind = k == 0 ? OpKind::kWrite : k == 1 ? OpKind::kRead : OpKind::kCas;
      if (op.kind != OpKind::kRead) op.value = next++;
      all.push_back({op, t0 + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(t1 - t0 + 1))});
    }
  }
  std::sort(all.begin(), all.end(), [](const Pending& a, const Pending& b) { return a.effect < b.effect; });
  Value state = kNil;
  Value last_written = kNil;
  for (Pending& p : all) {
    Op& op = p.op;
    switch (op.kind) {
      case OpKind::kWrite: state = op.value; break;
      case OpKind::kRead: op.result = state; break;
      case OpKind::kCas:
        // Compare against the current value half the time (succeeds), else a stale one (fails).
        op.expected = (rng() % 2) ? state : last_written;
        op.outcome = op.expected == state ? Outcome::kOk : Outcome::kFail;
        if (op.outcome == Outcome::kOk) state = op.value;
        break;
      default: break;
    }
    if (op.kind != OpKind::kRead && op.outcome == Outcome::kOk) last_written = op.value;
    // Some writes time out: their outcome is unknown to the client, the effect happened.
    if (op.kind == OpKind::kWrite && rng() % 50 == 0) op.outcome = Outcome::kUnknown;
    out.push_back(op);
  }
  return out;
}

}  // namespace

TEST_CASE("linearizability: a generated history of 5 clients x 200 ops passes, one bad read is found") {
  History h = generated(42, 5, 200);
  LinearizabilityResult good = check_registers(h);
  CHECK(good.ok());
  CHECK(good.undecided.empty());
  CHECK(good.ops > 700);
  // Make one late read return the value of an acknowledged write that a later acknowledged
  // write surely followed (a stale read), and another copy return a value nobody wrote.
  const Op* w1 = nullptr;
  const Op* w2 = nullptr;
  for (const Op& a : h) {
    if (a.kind != OpKind::kWrite || a.outcome != Outcome::kOk) continue;
    for (const Op& b : h) {
      if (b.kind == OpKind::kWrite && b.outcome == Outcome::kOk && b.invoke_ns > a.complete_ns) {
        w1 = &a;
        w2 = &b;
        break;
      }
    }
    if (w1) break;
  }
  REQUIRE(w1);
  History invented = h;
  Op* read = nullptr;
  for (Op& op : h) {
    if (op.kind == OpKind::kRead && op.outcome == Outcome::kOk && op.invoke_ns > w2->complete_ns) read = &op;
  }
  REQUIRE(read);
  read->result = w1->value;
  CHECK(verdict(h) == Verdict::kNotLinearizable);
  for (Op& op : invented) {
    if (op.kind == OpKind::kRead && op.outcome == Outcome::kOk) op.result = 999'999'999;
  }
  CHECK(verdict(invented) == Verdict::kNotLinearizable);
}

TEST_CASE("linearizability: a step budget gives undecided, not a hang") {
  History h = generated(7, 5, 200);
  LinearizabilityOptions tiny;
  tiny.max_steps_per_key = 10;
  LinearizabilityResult res = check_registers(h, tiny);
  CHECK(res.undecided.size() == 1);
  CHECK(res.ok());
}

namespace {
Op add(Value v, Outcome o) {
  Op op;
  op.kind = OpKind::kAdd;
  op.key = "s";
  op.value = v;
  op.outcome = o;
  return op;
}
Op final_read(Value v) {
  Op op;
  op.kind = OpKind::kRead;
  op.key = "s";
  op.result = v;
  op.outcome = Outcome::kOk;
  return op;
}
}  // namespace

TEST_CASE("set: acknowledged elements kept, unknown either way, lost and invented caught") {
  History good{add(1, Outcome::kOk), add(2, Outcome::kUnknown), add(3, Outcome::kUnknown), add(4, Outcome::kFail),
               final_read(1), final_read(2)};
  auto res = check_sets(good);
  REQUIRE(res.size() == 1);
  CHECK(check_registers(good).keys == 0);  // a set's final read is no register read
  CHECK(res[0].ok());
  CHECK(res[0].acknowledged == 1);
  CHECK(res[0].unknown == 2);
  CHECK(res[0].unknown_present == 1);

  History lost{add(1, Outcome::kOk), add(2, Outcome::kOk), final_read(2)};
  res = check_sets(lost);
  CHECK_FALSE(res[0].ok());
  CHECK(res[0].lost == std::vector<Value>{1});

  History invented{add(1, Outcome::kOk), final_read(1), final_read(9)};
  res = check_sets(invented);
  CHECK_FALSE(res[0].ok());
  CHECK(res[0].invented == std::vector<Value>{9});

  History failed_appears{add(1, Outcome::kFail), final_read(1)};
  CHECK_FALSE(check_sets(failed_appears)[0].ok());

  History twice{add(1, Outcome::kOk), final_read(1), final_read(1)};
  CHECK_FALSE(check_sets(twice)[0].ok());

  History unread{add(1, Outcome::kOk)};
  CHECK_FALSE(check_sets(unread)[0].ok());
  CHECK_FALSE(check_sets(unread)[0].final_read);
}

namespace {
Op hold(int p, std::int64_t from, std::int64_t to, const std::string& key = "L") {
  Op op;
  op.process = p;
  op.kind = OpKind::kLock;
  op.key = key;
  op.value = p;
  op.outcome = Outcome::kOk;
  op.invoke_ns = from;
  op.complete_ns = to;
  return op;
}
}  // namespace

TEST_CASE("lock: disjoint holds pass, overlapping holds are caught, the clock bound is respected") {
  auto res = check_locks({hold(0, 0, 100), hold(1, 100, 200), hold(0, 250, 300)});
  REQUIRE(res.size() == 1);
  CHECK(res[0].ok());
  CHECK(res[0].holds == 3);

  res = check_locks({hold(0, 0, 100), hold(1, 90, 200)});
  REQUIRE_FALSE(res[0].ok());
  CHECK(res[0].overlaps[0].overlap_ns == 10);
  CHECK(res[0].overlaps[0].first.process == 0);

  // A long hold overlapping a later one, with a short one in between.
  res = check_locks({hold(0, 0, 1000), hold(1, 900, 1100), hold(2, 500, 600)});
  CHECK(res[0].overlaps.size() == 2);

  // Within the bound: allowed; past it: not.
  CHECK(check_locks({hold(0, 0, 100), hold(1, 90, 200)}, 10)[0].ok());
  CHECK_FALSE(check_locks({hold(0, 0, 100), hold(1, 89, 200)}, 10)[0].ok());

  // A failed or unknown acquisition is not a hold; other locks are apart.
  Op unknown = hold(3, 10, 50);
  unknown.outcome = Outcome::kUnknown;
  res = check_locks({hold(0, 0, 100), unknown, hold(1, 10, 50, "M")});
  CHECK(res.size() == 2);
  CHECK(res[0].ok());
  CHECK(res[1].ok());
}

TEST_CASE("history io: a written history reads back the same; bad lines are named") {
  History h{w(0, 1, 5, 10), r(1, kNil, 6, 12, Outcome::kOk), cas(2, 1, 3, 7, 9, Outcome::kUnknown), add(4, Outcome::kFail),
            hold(3, 100, 200)};
  std::stringstream ss;
  write_history(ss, h);
  History back;
  REQUIRE(read_history(ss, back).empty());
  REQUIRE(back.size() == h.size());
  for (std::size_t i = 0; i < h.size(); ++i) CHECK(describe(back[i]) == describe(h[i]));
  CHECK(back[2].expected == 1);

  std::stringstream bad("0 write x 1 2 3 ok 1 2\n0 frobnicate x 1 2 3 ok 1 2\n");
  std::string err = read_history(bad, back);
  CHECK(err.find("line 2") != std::string::npos);
}
