// dcs_bench_load: the closed-loop put load of dcs_bench: `clients` concurrent clients, each with
// one put in flight at a time (distinct keys, fixed-size values), spread over `conns` gRPC
// connections and a few completion-queue threads; measures acknowledged puts per second and their
// latency.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tests/bench/dcs_bench_util.hpp"

namespace ha::bench {

struct LoadOptions {
  std::vector<std::string> targets;  // endpoints the clients are spread over (round robin)
  int clients = 1;
  int conns = 1;    // connections in all, spread over `targets`; clients share them round robin
  int threads = 1;  // completion-queue threads
  double warmup_s = 0.5;    // load before the measured window, not counted
  double duration_s = 10;   // the measured window (upper bound when `total` is set)
  std::uint64_t total = 0;  // stop after this many acknowledged puts in the window (0: no limit)
  std::size_t value_bytes = 256;
  std::chrono::milliseconds timeout{5000};  // deadline of each put
  std::string key_prefix;                   // keys are key_prefix + client + sequence number
  int timeline_ms = 0;  // > 0: also count puts and their worst latency per bucket of this length
};

// One bucket of the timeline: puts acknowledged in it and the slowest of them.
struct TimelineBucket {
  std::uint64_t acked = 0;
  std::uint32_t max_us = 0;
};

struct LoadResult {
  std::uint64_t acked = 0;                           // puts acknowledged inside the window
  std::uint64_t errors = 0;                          // puts that failed inside the window
  std::map<std::string, std::uint64_t> error_kinds;  // gRPC code + message -> count
  double seconds = 0;                                // length of the window
  LatencySummary latency;
  std::chrono::system_clock::time_point window_start;  // wall clock, to compare with server logs
  std::vector<TimelineBucket> timeline;                // when timeline_ms > 0
};

// Runs one load point; throws std::runtime_error when an endpoint cannot be reached.
LoadResult run_put_load(const LoadOptions& o);

}  // namespace ha::bench
