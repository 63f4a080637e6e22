// What /proc says about a process: whether it still runs (a zombie does not) and which
// processes it is the parent of. For the fence guard, the loop's postmaster watch and the tests
// that kill and watch PostgreSQL.
#pragma once

#include <sys/types.h>

#include <vector>

namespace ha::agent {

// Exists and is not a zombie.
bool process_running(pid_t pid);
std::vector<pid_t> children_of(pid_t parent);

}  // namespace ha::agent
