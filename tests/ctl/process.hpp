// Child processes for hactl's integration tests: start a program in the background (its output
// to a file), or run one to completion with its stdout, stderr, exit code and duration. Only
// the PIDs started here are ever signalled.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace ha::test {

struct RunResult {
  int exit_code = -1;  // -1: killed after the time limit
  std::string out;
  std::string err;
  std::chrono::milliseconds elapsed{0};
};

// Starts `argv` with stdout and stderr appended to `log_path`. Returns the PID.
pid_t spawn(const std::vector<std::string>& argv, const std::string& log_path);
// SIGKILL to `pid` and reap it (no-op for pid <= 0).
void kill_and_reap(pid_t pid);

// Runs `argv` to completion (killing it after `limit`); `scratch_dir` holds the output files.
// Its stdin reads `input` (empty: at its end at once, never the test's own stdin).
RunResult run(const std::vector<std::string>& argv, const std::string& scratch_dir,
              std::chrono::milliseconds limit = std::chrono::seconds(30),
              const std::string& input = {});

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_loopback_port();

}  // namespace ha::test
