// Recorder: the shared, thread-safe history of a campaign's workloads, with the campaign clock
// (steady-clock nanoseconds since the campaign started), so every op's invoke and completion are
// real times comparable across client threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

#include "tests/chaos/history.hpp"

namespace ha::chaos {

class Recorder {
 public:
  using Clock = std::chrono::steady_clock;
  Recorder() : t0_(Clock::now()) {}

  std::int64_t now() const { return to_ns(Clock::now()); }
  std::int64_t to_ns(Clock::time_point t) const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t - t0_).count();
  }
  void add(Op op) {
    std::lock_guard lock(mu_);
    history_.push_back(std::move(op));
  }
  History snapshot() const {
    std::lock_guard lock(mu_);
    return history_;
  }

 private:
  const Clock::time_point t0_;
  mutable std::mutex mu_;
  History history_;
};

}  // namespace ha::chaos
