// A store revision: `main` is bumped once per write request, `sub` orders the writes inside it.
#pragma once

#include <compare>
#include <cstdint>

namespace ha::dcs {

struct Revision {
  std::int64_t main = 0;
  std::int64_t sub = 0;

  auto operator<=>(const Revision&) const = default;
};

}  // namespace ha::dcs
