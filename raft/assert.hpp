// HA_ASSERT: an invariant check that stays on in release builds; a failure is a bug, so it
// prints where and why, then aborts (the simulator turns the abort into a failing seed).
#pragma once

#include <cstdio>
#include <cstdlib>

#define HA_ASSERT(cond, msg)                                                                   \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      std::fprintf(stderr, "%s:%d: assertion failed: %s (%s)\n", __FILE__, __LINE__, #cond,    \
                   msg);                                                                       \
      std::abort();                                                                            \
    }                                                                                          \
  } while (0)
