#include "tests/raft/storage/workload.hpp"

#include <algorithm>
#include <limits>
#include <sstream>

namespace ha::raft::test {

const char* to_string(StorageOp::Kind k) {
  switch (k) {
    case StorageOp::Kind::kAppend: return "append";
    case StorageOp::Kind::kOverwrite: return "overwrite";
    case StorageOp::Kind::kHardState: return "hard-state";
    case StorageOp::Kind::kCompact: return "compact";
    case StorageOp::Kind::kInstallSnapshot: return "install-snapshot";
    case StorageOp::Kind::kEmptySync: return "empty-sync";
  }
  return "?";
}

Workload::Workload(std::uint64_t seed, const WorkloadOptions& options)
    : rng_(seed), options_(options), model_(bootstrap_conf()) {
  hs_.term = 1;
}

std::uint64_t Workload::pick(std::uint64_t lo, std::uint64_t hi) {
  return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng_);
}

std::string Workload::bytes(std::size_t max) {
  std::string s(pick(0, max), '\0');
  for (char& c : s) c = static_cast<char>(pick(0, 255));
  return s;
}

std::vector<Entry> Workload::make_entries(Index from, Term term) {
  std::vector<Entry> out(pick(1, options_.max_batch));
  for (Entry& e : out) {
    e.index = from++;
    e.term = term;
    e.type = pick(0, 9) == 0 ? EntryType::kConfChange : EntryType::kNormal;
    e.data = bytes(options_.max_entry_bytes);
  }
  return out;
}

StorageOp Workload::next() {
  StorageOp op;
  const Index first = model_.first_index();
  const Index last = model_.last_index();
  const Index snap = first - 1;
  const std::uint64_t roll = pick(0, 99);
  if (roll < 60) {
    op.kind = StorageOp::Kind::kAppend;
    op.entries = make_entries(last + 1, hs_.term);
    hs_.commit = pick(hs_.commit, op.entries.back().index);
  } else if (roll < 70 && last > hs_.commit) {
    // A new leader's log replaces an uncommitted suffix.
    op.kind = StorageOp::Kind::kOverwrite;
    hs_.term += 1;
    hs_.vote = pick(1, 3);
    op.entries = make_entries(pick(std::max(hs_.commit + 1, first), last), hs_.term);
  } else if (roll < 78) {
    op.kind = StorageOp::Kind::kHardState;
    hs_.term += pick(0, 1);
    hs_.vote = pick(0, 3);
  } else if (roll < 88 && hs_.commit > snap) {
    op.kind = StorageOp::Kind::kCompact;
    Snapshot s;
    s.metadata.index = pick(snap + 1, hs_.commit);
    s.metadata.term = model_.term(s.metadata.index);
    s.metadata.conf_state = ConfState{{1, 2, 3}, {pick(4, 5)}};
    s.data = bytes(options_.max_snapshot_bytes);
    op.snapshot = std::move(s);
  } else if (roll < 95) {
    op.kind = StorageOp::Kind::kInstallSnapshot;
    Snapshot s;
    if (last >= first && pick(0, 2) == 0) {
      // A snapshot inside the log that continues it: the suffix stays.
      s.metadata.index = pick(first, last);
      s.metadata.term = model_.term(s.metadata.index);
    } else {
      s.metadata.index = last + pick(1, 30);
      s.metadata.term = hs_.term;
    }
    s.metadata.conf_state = ConfState{{1, 2, 3}, {}};
    s.data = bytes(options_.max_snapshot_bytes);
    hs_.commit = std::max(hs_.commit, s.metadata.index);
    op.snapshot = std::move(s);
    if (pick(0, 2) == 0) {
      op.entries = make_entries(std::max(last, op.snapshot->metadata.index) + 1, hs_.term);
    }
  } else {
    op.kind = StorageOp::Kind::kEmptySync;
  }
  if (op.kind != StorageOp::Kind::kCompact && op.kind != StorageOp::Kind::kEmptySync) {
    op.hard_state = hs_;
  }
  if (options_.allow_unsynced && op.kind != StorageOp::Kind::kCompact) op.sync = pick(0, 3) != 0;
  apply(model_, op);
  ++ops_;
  return op;
}

void Workload::apply(DurableStorage& store, const StorageOp& op) {
  if (op.kind == StorageOp::Kind::kCompact) {
    store.compact(*op.snapshot);
    return;
  }
  store.save(op.hard_state ? &*op.hard_state : nullptr, op.entries,
             op.snapshot ? &*op.snapshot : nullptr, op.sync);
}

Snapshot snapshot_at(Index index, Term term, std::string data) {
  Snapshot s;
  s.metadata = SnapshotMetadata{index, term, ConfState{{1, 2, 3}, {}}};
  s.data = std::move(data);
  return s;
}

namespace {

std::string describe(const Entry& e) {
  std::ostringstream o;
  o << "{index " << e.index << ", term " << e.term << ", type " << static_cast<int>(e.type) << ", "
    << e.data.size() << " bytes}";
  return o.str();
}

}  // namespace

std::string diff_stores(const Storage& expected, const Storage& actual) {
  std::ostringstream o;
  if (expected.first_index() != actual.first_index() ||
      expected.last_index() != actual.last_index()) {
    o << "bounds differ: expected [" << expected.first_index() << ", " << expected.last_index()
      << "], got [" << actual.first_index() << ", " << actual.last_index() << "]";
    return o.str();
  }
  InitialState a = expected.initial_state();
  InitialState b = actual.initial_state();
  if (!(a.hard_state == b.hard_state)) {
    o << "hard state differs: expected {term " << a.hard_state.term << ", vote "
      << a.hard_state.vote << ", commit " << a.hard_state.commit << "}, got {term "
      << b.hard_state.term << ", vote " << b.hard_state.vote << ", commit " << b.hard_state.commit
      << "}";
    return o.str();
  }
  if (!(a.conf_state == b.conf_state)) return "conf state differs";
  Snapshot sa = expected.snapshot();
  Snapshot sb = actual.snapshot();
  if (!(sa.metadata == sb.metadata)) {
    o << "snapshot metadata differs: expected index " << sa.metadata.index << " term "
      << sa.metadata.term << ", got index " << sb.metadata.index << " term " << sb.metadata.term;
    return o.str();
  }
  if (sa.data != sb.data) return "snapshot data differs";
  const Index first = expected.first_index();
  const Index last = expected.last_index();
  for (Index i = first - 1; i <= last; ++i) {
    if (expected.term(i) != actual.term(i)) {
      o << "term(" << i << ") differs: expected " << expected.term(i) << ", got " << actual.term(i);
      return o.str();
    }
  }
  if (last < first) return "";
  for (std::uint64_t max_bytes : {std::uint64_t{0}, std::uint64_t{100}, std::uint64_t{1000},
                                  std::numeric_limits<std::uint64_t>::max()}) {
    for (Index lo : {first, first + (last - first) / 2, last}) {
      std::vector<Entry> ea = expected.entries(lo, last + 1, max_bytes);
      std::vector<Entry> eb = actual.entries(lo, last + 1, max_bytes);
      if (ea.size() != eb.size()) {
        o << "entries(" << lo << ", " << last + 1 << ", " << max_bytes << ") returned " << eb.size()
          << " entries, expected " << ea.size();
        return o.str();
      }
      for (std::size_t k = 0; k < ea.size(); ++k) {
        if (!(ea[k] == eb[k])) {
          o << "entry differs: expected " << describe(ea[k]) << ", got " << describe(eb[k]);
          return o.str();
        }
      }
    }
  }
  return "";
}

}  // namespace ha::raft::test
