// Timeline history parsing and the fork check that decides between following and rewinding.
#include "agent/postgres/timeline_history.hpp"

#include <catch2/catch.hpp>

using namespace ha::agent;
using namespace ha::agent::pg;

TEST_CASE("timeline history: parses entries and skips comments and blanks", "[timeline]") {
  auto h = parse_timeline_history(
      "1\t0/3000060\tno recovery target specified\n\n# a comment\n2\t0/5000A28\tbefore x\n");
  REQUIRE(h.ok());
  REQUIRE(h->size() == 2);
  CHECK((*h)[0].timeline == 1);
  CHECK((*h)[0].switch_lsn == Lsn{0x3000060});
  CHECK((*h)[0].reason == "no recovery target specified");
  CHECK((*h)[1].timeline == 2);
  CHECK((*h)[1].switch_lsn == Lsn{0x5000A28});

  auto empty = parse_timeline_history("");
  REQUIRE(empty.ok());
  CHECK(empty->empty());

  auto bad = parse_timeline_history("1\t0/3000060\tok\nx\tnot-an-lsn\n");
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.error().message, Catch::Contains("line 2"));
  auto zero = parse_timeline_history("0\t0/1\tx\n");
  CHECK_FALSE(zero.ok());
}

TEST_CASE("fork check: the verdicts", "[timeline]") {
  const std::vector<TimelineSwitch> history = {{1, Lsn{0x3000060}, ""}, {2, Lsn{0x5000000}, ""}};

  CHECK(check_fork(3, Lsn{0x9000000}, 3, history).verdict == ForkVerdict::kNoFork);
  // A newer timeline than the primary's, or one the primary never had: forked.
  CHECK(check_fork(4, Lsn{0x1000000}, 3, history).verdict == ForkVerdict::kForked);
  CHECK(check_fork(2, Lsn{0x1000000}, 3, {{1, Lsn{0x3000060}, ""}}).verdict ==
        ForkVerdict::kForked);
  // On an ancestor timeline: the branch point decides.
  const auto before = check_fork(1, Lsn{0x3000028}, 3, history);
  CHECK(before.verdict == ForkVerdict::kNoFork);
  CHECK_THAT(before.reason, Catch::Contains("0/3000028"));
  const auto at = check_fork(1, Lsn{0x3000060}, 3, history);
  CHECK(at.verdict == ForkVerdict::kForked);
  const auto after = check_fork(2, Lsn{0x6000000}, 3, history);
  CHECK(after.verdict == ForkVerdict::kForked);
  CHECK_THAT(after.reason, Catch::Contains("0/5000000"));
  CHECK(check_fork(1, std::nullopt, 3, history).verdict == ForkVerdict::kUnknown);
}

TEST_CASE("fork check: only a clean primary's checkpoint is its last record", "[timeline]") {
  ControlData cd;
  cd.checkpoint_lsn = Lsn{0x4000028};
  cd.state = ClusterState::kShutDown;
  CHECK(last_record_if_clean_primary(cd) == Lsn{0x4000028});
  cd.state = ClusterState::kInProduction;  // crashed: WAL may go on past the checkpoint
  CHECK_FALSE(last_record_if_clean_primary(cd).has_value());
  cd.state = ClusterState::kShutDownInRecovery;
  CHECK_FALSE(last_record_if_clean_primary(cd).has_value());
}
