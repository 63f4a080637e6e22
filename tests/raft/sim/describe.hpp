// One-line text forms of core values for the simulator's traces and failure reports.
#pragma once

#include <string>
#include <vector>

#include "raft/types.hpp"

namespace ha::raft::sim {

std::string describe(const Entry& e);
std::string describe(const Message& m);
std::string describe(const HardState& hs);
std::string describe(const ConfState& cs);

}  // namespace ha::raft::sim
