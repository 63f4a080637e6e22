// HadcsCluster: a real 3-member hadcs cluster on free loopback ports in a temp directory, for
// hactl's integration tests. Starts the members, waits for a leader, and on destruction kills
// exactly the PIDs it started and removes its directory.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "tests/ctl/process.hpp"

namespace ha::test {

class HadcsCluster {
 public:
  explicit HadcsCluster(int members = 3);
  ~HadcsCluster();
  HadcsCluster(const HadcsCluster&) = delete;
  HadcsCluster& operator=(const HadcsCluster&) = delete;

  // "127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3"
  const std::string& endpoints() const { return endpoints_; }
  const std::string& dir() const { return dir_; }
  // True once every member reports the same leader (within `seconds`).
  bool wait_for_leader(int seconds) const;
  // hactl --dcs <endpoints> ARGS...
  RunResult hactl(const std::vector<std::string>& args) const;
  // The same with `input` on its stdin (answers to its questions).
  RunResult hactl_with_input(const std::vector<std::string>& args, const std::string& input) const;
  // The first log lines of every member, for failure messages.
  std::string logs() const;

 private:
  std::string dir_;
  std::string endpoints_;
  std::vector<pid_t> pids_;
};

}  // namespace ha::test
