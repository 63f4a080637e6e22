// Conformance scenarios: log compaction and InstallSnapshot (Raft paper §7).
#include <catch2/catch.hpp>

#include "tests/raft/conformance_harness.hpp"

using namespace ha::raft;
using namespace ha::raft::conformance;

namespace {

Message snapshot_message(NodeId from, NodeId to, Term term, Index index, Term snap_term, const ConfState& cs,
                         const std::vector<std::pair<Index, std::string>>& image) {
  auto snap = std::make_shared<Snapshot>();
  snap->metadata.index = index;
  snap->metadata.term = snap_term;
  snap->metadata.conf_state = cs;
  snap->data = state_machine_image(image);
  Message m;
  m.type = MessageType::kSnapshot;
  m.from = from;
  m.to = to;
  m.term = term;
  m.snapshot = snap;
  return m;
}

const ConfState kThree{{1, 2, 3}, {}};

}  // namespace

TEST_CASE("a far-behind follower is caught up by a snapshot after the leader compacted its log",
          "[conformance][7] the leader sends InstallSnapshot to followers that lag too far behind") {
  Network net({1, 2, 3});
  REQUIRE(net.elect(1));
  net.isolate(3);
  for (int i = 0; i < 20; ++i) REQUIRE(net.propose(1, "v" + std::to_string(i)) == ProposeResult::kOk);
  net.stabilize();
  Index applied = net.applied_index(1);
  REQUIRE(applied == 21);
  net.compact(1, applied);
  REQUIRE(net.storage(1).first_index() == 22);

  net.recover();
  net.clear_sent();
  for (int i = 0; i < 3; ++i) {
    net.tick(1);
    net.stabilize();
  }
  CHECK(net.count_sent(of_type(MessageType::kSnapshot, 1, 3)) == 1);
  CHECK(net.applied(3) == net.applied(1));
  CHECK(net.storage(3).first_index() == 22);
  CHECK(net.commit(3) == 21);
  // Replication resumes by appends after the snapshot.
  REQUIRE(net.propose(1, "after") == ProposeResult::kOk);
  net.stabilize();
  net.tick(1);
  net.stabilize();
  CHECK(net.applied(3).back() == "after");
  CHECK(net.peer(1, 3).state == std::string("replicate"));
  // A restart rebuilds the follower from the snapshot plus the log after it.
  std::vector<std::string> before = net.applied(3);
  net.crash(3);
  net.restart(3);
  net.process(3);
  CHECK(net.applied(3) == before);
}

TEST_CASE("a snapshot replaces a follower's divergent log and brings its configuration",
          "[conformance][7] if the snapshot's last entry conflicts with the log, discard the entire log") {
  Network net({1, 2, 3});
  net.install(1, storage_with_log(kThree, {1, 1, 2, 2}, HardState{2, kNone, 2}));
  ConfState cs{{1, 2, 3}, {4}};
  net.step(snapshot_message(2, 1, 3, 5, 3, cs, {{1, "s1"}, {4, "s4"}}));
  CHECK(net.storage(1).first_index() == 6);
  CHECK(net.storage(1).last_index() == 5);
  CHECK(net.commit(1) == 5);
  CHECK(net.node(1).status().conf_state == cs);
  CHECK(net.applied(1) == std::vector<std::string>{"s1", "s4"});
  CHECK(net.applied_index(1) == 5);
  auto out = net.take(from_node(1));
  REQUIRE(out.size() == 1);
  CHECK(out[0].type == MessageType::kAppendResponse);
  CHECK_FALSE(out[0].reject);
  CHECK(out[0].index == 5);
  // The log continues after the snapshot.
  net.step(make_append(2, 1, 3, 5, 3, make_entries(6, {3}), 6));
  CHECK(net.log_terms(1) == std::vector<Term>{3});
  CHECK(net.commit(1) == 6);
}

TEST_CASE("a snapshot whose last entry the follower already holds only moves its commit",
          "[conformance][7]if the log has the snapshot's last entry, keep the entries after it; "
          "acknowledge only what the snapshot proves") {
  // Entries 6 and 7 (term 2) came from a deposed leader and were never committed; the new
  // leader's entries 6 and 7 may differ.
  Network net({1, 2, 3});
  net.install(1, storage_with_log(kThree, {1, 1, 1, 1, 1, 2, 2}, HardState{2, kNone, 3}));
  net.node(1).step(snapshot_message(2, 1, 3, 5, 1, kThree, {}));
  Ready rd = net.node(1).ready();
  CHECK_FALSE(rd.snapshot.has_value());
  net.handle_ready(1, rd);
  CHECK(net.commit(1) == 5);
  CHECK(net.log_terms(1) == std::vector<Term>{1, 1, 1, 1, 1, 2, 2});
  CHECK(net.applied(1) == std::vector<std::string>{"e1", "e2", "e3", "e4", "e5"});
  auto out = net.take(from_node(1));
  REQUIRE(out.size() == 1);
  CHECK(out[0].type == MessageType::kAppendResponse);
  CHECK_FALSE(out[0].reject);
  // Claiming 7 would let the leader count this follower for its own entries 6 and 7.
  CHECK(out[0].index == 5);
}

TEST_CASE("a stale snapshot is ignored",
          "[conformance][7] a snapshot at or below the commit index changes nothing") {
  Network net({1, 2, 3});
  net.install(1, storage_with_log(kThree, {1, 1, 1}, HardState{1, kNone, 3}));
  net.node(1).step(snapshot_message(2, 1, 1, 2, 1, kThree, {}));
  Ready rd = net.node(1).ready();
  CHECK_FALSE(rd.snapshot.has_value());
  net.handle_ready(1, rd);
  CHECK(net.log_terms(1) == std::vector<Term>{1, 1, 1});
  CHECK(net.commit(1) == 3);
  auto out = net.take(from_node(1));
  REQUIRE(out.size() == 1);
  CHECK(out[0].index == 3);
}

TEST_CASE("a failed snapshot is retried, and appends to that follower pause meanwhile",
          "[conformance][7] the leader keeps a follower in snapshot state until the snapshot is answered") {
  Network net({1, 2, 3});
  REQUIRE(net.elect(1));
  net.isolate(3);
  for (int i = 0; i < 10; ++i) REQUIRE(net.propose(1, "v" + std::to_string(i)) == ProposeResult::kOk);
  net.stabilize();
  net.compact(1, net.applied_index(1));
  net.recover();
  net.hold_if(of_type(MessageType::kSnapshot, 1, 3));
  net.tick(1);
  net.stabilize();
  REQUIRE(net.held().size() == 1);
  CHECK(net.peer(1, 3).state == std::string("snapshot"));
  // While the snapshot is out, new entries are not sent to that follower.
  net.clear_sent();
  for (int i = 0; i < 3; ++i) REQUIRE(net.propose(1, "w" + std::to_string(i)) == ProposeResult::kOk);
  net.stabilize();
  CHECK(net.count_sent(of_type(MessageType::kAppend, 1, 3)) == 0);
  CHECK(net.count_sent(of_type(MessageType::kAppend, 1, 2)) > 0);
  // The transport reports the snapshot lost: the leader probes again and sends a new one.
  net.held().clear();
  net.hold_if({});
  net.node(1).report_snapshot(3, false);
  net.process(1);
  CHECK(net.peer(1, 3).state == std::string("probe"));
  for (int i = 0; i < 3; ++i) {
    net.tick(1);
    net.stabilize();
  }
  CHECK(net.count_sent(of_type(MessageType::kSnapshot, 1, 3)) == 1);
  CHECK(net.applied(3) == net.applied(1));
  CHECK(net.peer(1, 3).state == std::string("replicate"));
}
