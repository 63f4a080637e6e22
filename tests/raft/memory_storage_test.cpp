// Unit tests of MemoryStorage: append/overwrite, snapshots, compaction, bounds.
#include <catch2/catch.hpp>

#include "raft/memory_storage.hpp"

using namespace ha::raft;

namespace {

std::vector<Entry> entries(Index first, std::vector<Term> terms) {
  std::vector<Entry> out;
  for (Term t : terms) out.push_back(Entry{t, first++, EntryType::kNormal, "d" + std::to_string(first)});
  return out;
}

Snapshot snapshot_at(Index i, Term t, std::string data = "image") {
  Snapshot s;
  s.metadata.index = i;
  s.metadata.term = t;
  s.metadata.conf_state.voters = {1, 2, 3};
  s.data = std::move(data);
  return s;
}

}  // namespace

TEST_CASE("MemoryStorage starts empty with its bootstrap configuration", "[memory_storage]") {
  MemoryStorage s(ConfState{{1, 2, 3}, {4}});
  CHECK(s.first_index() == 1);
  CHECK(s.last_index() == 0);
  CHECK(s.term(0) == 0);
  CHECK(s.initial_state().conf_state == ConfState{{1, 2, 3}, {4}});
  CHECK(s.initial_state().hard_state.empty());
  CHECK(s.snapshot().empty());
}

TEST_CASE("MemoryStorage appends, overwrites a conflicting suffix and saves the hard state", "[memory_storage]") {
  MemoryStorage s;
  HardState hs{2, 1, 0};
  s.save(&hs, entries(1, {1, 1, 2}), nullptr, true);
  CHECK(s.last_index() == 3);
  CHECK(s.term(3) == 2);
  CHECK(s.initial_state().hard_state == hs);
  CHECK(s.sync_count() == 1);

  // Entries from index 2 replace 2 and 3; the old index 3 vanishes.
  s.save(nullptr, entries(2, {3}), nullptr, false);
  CHECK(s.last_index() == 2);
  CHECK(s.term(2) == 3);
  CHECK(s.term(1) == 1);
  CHECK(s.sync_count() == 1);
  CHECK(s.initial_state().hard_state == hs);  // untouched when not given
}

TEST_CASE("MemoryStorage entries() honours bounds and max_bytes but returns at least one", "[memory_storage]") {
  MemoryStorage s;
  s.save(nullptr, entries(1, {1, 1, 1, 1}), nullptr, true);
  CHECK(s.entries(1, 5, 1 << 20).size() == 4);
  CHECK(s.entries(2, 4, 1 << 20).size() == 2);
  CHECK(s.entries(2, 4, 1 << 20).front().index == 2);
  CHECK(s.entries(1, 5, 0).size() == 1);
  std::uint64_t two = entry_size(s.entries(1, 2, 100).front()) * 2;
  CHECK(s.entries(1, 5, two).size() == 2);
}

TEST_CASE("MemoryStorage compaction keeps the suffix and the snapshot's term", "[memory_storage]") {
  MemoryStorage s;
  s.save(nullptr, entries(1, {1, 1, 2, 2, 3}), nullptr, true);
  s.compact(snapshot_at(3, 2));
  CHECK(s.first_index() == 4);
  CHECK(s.last_index() == 5);
  CHECK(s.term(3) == 2);
  CHECK(s.term(5) == 3);
  CHECK(s.snapshot().metadata.index == 3);
  CHECK(s.initial_state().conf_state.voters == std::vector<NodeId>{1, 2, 3});
  // An older compaction is ignored.
  s.compact(snapshot_at(2, 1));
  CHECK(s.first_index() == 4);
}

TEST_CASE("MemoryStorage installing a snapshot keeps a matching suffix, drops a divergent log", "[memory_storage]") {
  MemoryStorage s;
  s.save(nullptr, entries(1, {1, 1, 2, 2}), nullptr, true);
  Snapshot same = snapshot_at(2, 1);
  s.save(nullptr, {}, &same, true);
  CHECK(s.first_index() == 3);
  CHECK(s.last_index() == 4);

  Snapshot other = snapshot_at(3, 5);
  s.save(nullptr, {}, &other, true);
  CHECK(s.first_index() == 4);
  CHECK(s.last_index() == 3);
  CHECK(s.term(3) == 5);
  CHECK(s.snapshot().data == "image");

  // Entries after the snapshot, then a hard state, in the same save.
  HardState hs{5, 0, 3};
  Snapshot later = snapshot_at(6, 5);
  s.save(&hs, entries(7, {5, 5}), &later, true);
  CHECK(s.first_index() == 7);
  CHECK(s.last_index() == 8);
  CHECK(s.initial_state().hard_state == hs);
}

TEST_CASE("MemoryStorage copies are independent (the simulator's durable image)", "[memory_storage]") {
  MemoryStorage a;
  a.save(nullptr, entries(1, {1, 2}), nullptr, true);
  MemoryStorage b = a;
  a.save(nullptr, entries(3, {2}), nullptr, true);
  CHECK(b.last_index() == 2);
  CHECK(a.last_index() == 3);
}
