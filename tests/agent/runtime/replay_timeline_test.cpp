// replay_timeline_from_history(): a standby's replay timeline from the newest history file and
// its replayed position, when the server itself still names an older one.
#include <catch2/catch.hpp>

#include "agent/node/replay_timeline.hpp"

using namespace ha::agent;

TEST_CASE("replay timeline: past the switch point of every timeline in the file") {
  const std::string h4 = "1\t0/3000000\tno recovery target specified\n"
                         "2\t0/4000060\tno recovery target specified\n"
                         "3\t0/4000548\tno recovery target specified\n";
  // Replayed past where 3 ended: on 4, though the server still says 3.
  CHECK(replay_timeline_from_history(3, Lsn{0x4000600}, 4, h4) == 4);
  // Exactly at the end of 3, or before it: still 3.
  CHECK(replay_timeline_from_history(3, Lsn{0x4000548}, 4, h4) == 3);
  CHECK(replay_timeline_from_history(3, Lsn{0x4000100}, 4, h4) == 3);
  // Never lower than what the server reported.
  CHECK(replay_timeline_from_history(3, Lsn{0x3000000}, 4, h4) == 3);
  // A file no newer than the reported timeline changes nothing; nor does a broken one.
  CHECK(replay_timeline_from_history(4, Lsn{0x5000000}, 4, h4) == 4);
  CHECK(replay_timeline_from_history(2, Lsn{0x5000000}, 4, "garbage") == 2);
}
