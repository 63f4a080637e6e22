// Which DCS watch events wake the agent's loop at once (watch_event_wakes_loop).
#include <catch2/catch.hpp>

#include "agent/runtime/dcs_session.hpp"

using ha::agent::watch_event_wakes_loop;

TEST_CASE("the leader lock wakes the loop when it is taken or let go, not when refreshed",
          "[agent][watch]") {
  CHECK(watch_event_wakes_loop("leader", false, 1));   // a new holder created it
  CHECK(watch_event_wakes_loop("leader", true, 0));    // released or expired
  CHECK_FALSE(watch_event_wakes_loop("leader", false, 2));    // the holder's refresh
  CHECK_FALSE(watch_event_wakes_loop("leader", false, 900));  // every loop since
}

TEST_CASE("failover, sync, config and initialize wake the loop on any change", "[agent][watch]") {
  for (const char* key : {"failover", "sync", "config", "initialize"}) {
    CAPTURE(key);
    CHECK(watch_event_wakes_loop(key, false, 1));
    CHECK(watch_event_wakes_loop(key, false, 7));
    CHECK(watch_event_wakes_loop(key, true, 0));
  }
}

TEST_CASE("a member key wakes the loop only when it appears; status never does",
          "[agent][watch]") {
  CHECK(watch_event_wakes_loop("members/node2", false, 1));
  CHECK_FALSE(watch_event_wakes_loop("members/node2", false, 2));  // its loop's update
  CHECK_FALSE(watch_event_wakes_loop("members/node2", true, 0));
  CHECK_FALSE(watch_event_wakes_loop("status", false, 40));
  CHECK_FALSE(watch_event_wakes_loop("status", false, 1));
  CHECK_FALSE(watch_event_wakes_loop("history", false, 3));
}
