// The agent's notion of time: steady time for deadlines (lock budget, timeouts) and wall time
// only for what people schedule (scheduled switchover). Both are passed in, never read here.
#pragma once

#include <chrono>

namespace ha::agent {

using SteadyClock = std::chrono::steady_clock;
using SteadyTime = SteadyClock::time_point;
using WallClock = std::chrono::system_clock;
using WallTime = WallClock::time_point;
using Millis = std::chrono::milliseconds;

// The moment a decision is taken, as the caller's clocks read it.
struct Now {
  SteadyTime steady;
  WallTime wall;
};

}  // namespace ha::agent
