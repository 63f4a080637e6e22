// Rng: the simulator's single seeded source of randomness. Every random choice of a run goes
// through one Rng, so a seed replays exactly. Not a general-purpose or cryptographic PRNG.
#pragma once

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace ha::raft::sim {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : gen_(seed) {}

  std::uint64_t next() { return gen_(); }

  // Uniform in [0, n); n must be positive. Own arithmetic (not std distributions) so that every
  // standard library replays the same seed the same way.
  std::uint64_t below(std::uint64_t n) {
    std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % n);
    std::uint64_t v = next();
    while (v >= limit) v = next();
    return v % n;
  }

  // Uniform in [lo, hi] (inclusive).
  int range(int lo, int hi) {
    return lo + static_cast<int>(below(static_cast<std::uint64_t>(hi - lo) + 1));
  }

  // True with probability p.
  bool chance(double p) {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return static_cast<double>(next() >> 11) * 0x1.0p-53 < p;
  }

  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[below(v.size())];
  }

  template <class T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }

 private:
  std::mt19937_64 gen_;
};

}  // namespace ha::raft::sim
