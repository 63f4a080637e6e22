// pg_controldata output parsing: the fields the agent uses, the states, and clear errors.
#include "agent/postgres/controldata.hpp"

#include <catch2/catch.hpp>

using namespace ha::agent;
using namespace ha::agent::pg;

namespace {

// What PostgreSQL 15 printed for a fresh initdb (trimmed to a representative set of lines).
const char* kShutDown = R"(pg_control version number:            1300
Catalog version number:               202209061
Database system identifier:           7713848690856702833
Database cluster state:               shut down
pg_control last modified:             Mon Nov 30 06:32:36 2026
Latest checkpoint location:           0/1511A60
Latest checkpoint's REDO location:    0/1511A28
Latest checkpoint's REDO WAL file:    000000010000000000000001
Latest checkpoint's TimeLineID:       1
Latest checkpoint's PrevTimeLineID:   1
Latest checkpoint's full_page_writes: on
Latest checkpoint's NextXID:          0:724
Latest checkpoint's oldestCommitTsXid:0
Time of latest checkpoint:            Mon Nov 30 06:32:36 2026
Minimum recovery ending location:     0/0
Min recovery ending loc's timeline:   0
wal_level setting:                    replica
wal_log_hints setting:                off
Data page checksum version:           0
)";

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("controldata: a cleanly shut down primary", "[controldata]") {
  auto cd = parse_controldata(kShutDown);
  REQUIRE(cd.ok());
  CHECK(cd->state == ClusterState::kShutDown);
  CHECK(cd->state_text == "shut down");
  CHECK(cd->cleanly_shut_down());
  CHECK(cd->system_identifier == 7713848690856702833ULL);
  CHECK(cd->timeline == 1);
  CHECK(cd->prev_timeline == 1);
  CHECK(cd->checkpoint_lsn == Lsn{0x1511A60});
  CHECK(cd->redo_lsn == Lsn{0x1511A28});
  CHECK(cd->min_recovery_lsn == Lsn{0});
  CHECK(cd->checksum_version == 0);
  CHECK_FALSE(cd->wal_log_hints);
  CHECK_FALSE(cd->rewindable());
  // A value with colons in it and a line without a space after the colon are kept whole.
  CHECK(cd->fields.at("pg_control last modified") == "Mon Nov 30 06:32:36 2026");
  CHECK(cd->fields.at("Latest checkpoint's oldestCommitTsXid") == "0");
}

TEST_CASE("controldata: states and rewind prerequisites", "[controldata]") {
  auto running = parse_controldata(replace(kShutDown, "shut down", "in production"));
  REQUIRE(running.ok());
  CHECK(running->state == ClusterState::kInProduction);
  CHECK_FALSE(running->cleanly_shut_down());

  auto standby = parse_controldata(replace(kShutDown, "shut down", "shut down in recovery"));
  REQUIRE(standby.ok());
  CHECK(standby->state == ClusterState::kShutDownInRecovery);
  CHECK(standby->cleanly_shut_down());

  auto archive = parse_controldata(replace(kShutDown, "shut down", "in archive recovery"));
  REQUIRE(archive.ok());
  CHECK(archive->state == ClusterState::kInArchiveRecovery);

  auto odd = parse_controldata(replace(kShutDown, "shut down", "on fire"));
  REQUIRE(odd.ok());
  CHECK(odd->state == ClusterState::kUnknown);

  auto checksums = parse_controldata(
      replace(kShutDown, "checksum version:           0", "checksum version:           1"));
  REQUIRE(checksums.ok());
  CHECK(checksums->checksum_version == 1);
  CHECK(checksums->rewindable());

  auto hints = parse_controldata(replace(kShutDown, "wal_log_hints setting:                off",
                                         "wal_log_hints setting:                on"));
  REQUIRE(hints.ok());
  CHECK(hints->wal_log_hints);
  CHECK(hints->rewindable());

  auto tl2 = parse_controldata(replace(kShutDown, "TimeLineID:       1", "TimeLineID:       2"));
  REQUIRE(tl2.ok());
  CHECK(tl2->timeline == 2);
}

TEST_CASE("controldata: missing or malformed fields are errors that name them", "[controldata]") {
  auto empty = parse_controldata("");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().kind == PgErrorKind::kInvalid);
  CHECK_THAT(empty.error().message, Catch::Contains("Database cluster state"));
  CHECK_THAT(empty.error().message, Catch::Contains("LC_ALL=C"));

  auto bad_lsn = parse_controldata(replace(kShutDown, "0/1511A60", "zz"));
  REQUIRE_FALSE(bad_lsn.ok());
  CHECK_THAT(bad_lsn.error().message, Catch::Contains("Latest checkpoint location"));
  CHECK_THAT(bad_lsn.error().message, Catch::Contains("'zz'"));

  auto no_tli =
      parse_controldata(replace(kShutDown, "Latest checkpoint's TimeLineID:       1\n", ""));
  REQUIRE_FALSE(no_tli.ok());
  CHECK_THAT(no_tli.error().message, Catch::Contains("TimeLineID"));
}
