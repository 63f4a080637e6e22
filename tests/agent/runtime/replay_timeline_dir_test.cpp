// replay_timeline() on a pg_wal folder: the newest history file counts only when WAL segments of
// that timeline arrived.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "agent/node/replay_timeline.hpp"

using namespace ha::agent;
namespace fs = std::filesystem;

TEST_CASE("replay timeline: a standby that diverged on the old timeline stays on it") {
  char tmpl[] = "/tmp/replay-tli-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  fs::create_directories(dir + "/pg_wal");
  std::ofstream(dir + "/pg_wal/00000003.history") << "1\t0/3000000\tx\n2\t0/5075368\tx\n";
  std::ofstream(dir + "/pg_wal/000000020000000000000005") << "";
  // Replayed past where timeline 2 ended, but only timeline 2's WAL is here: it diverged.
  CHECK(replay_timeline(dir, 2, Lsn{0x5075418}) == 2);
  // Once WAL of timeline 3 arrived, the replay is on timeline 3.
  std::ofstream(dir + "/pg_wal/000000030000000000000005") << "";
  CHECK(replay_timeline(dir, 2, Lsn{0x5075418}) == 3);
  CHECK(replay_timeline(dir, 2, Lsn{0x5075000}) == 2);
  fs::remove_all(dir);
}
