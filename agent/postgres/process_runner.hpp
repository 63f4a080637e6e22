// Running one program to completion: argv passed as-is (never through a shell), an environment
// built from ours plus overrides, optionally as another user (when the agent is root), output
// captured, and a deadline after which the whole process group is killed. CommandRunner is the
// seam that lets tests record commands instead of running them. Not for long-lived children.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace ha::agent::pg {

using Millis = std::chrono::milliseconds;

struct ProcessSpec {
  std::string program;            // a path, or a bare name looked up in PATH
  std::vector<std::string> args;  // argv[1..]; each one reaches the program unchanged
  std::vector<std::pair<std::string, std::string>> set_env;  // added or replaced
  std::vector<std::string> unset_env;                        // removed
  bool inherit_env = true;  // start from this process's environment
  // Run as this OS user (uid, gid, supplementary groups; HOME, USER and LOGNAME are set to
  // theirs). Empty: as this process's user. Needs root unless it names the current user.
  std::string run_as;
  std::string cwd = "/";  // a directory the program's user can enter
  Millis timeout{60'000};
};

struct ProcessResult {
  bool started = false;     // false: the program could not be started; start_error says why
  int pid = 0;              // the child's pid, also its process group id (for cleanup)
  std::string start_error;  // e.g. "cannot run /x/bin/initdb: No such file or directory"
  int exit_code = -1;       // when it exited by itself
  int term_signal = 0;      // when a signal ended it
  bool timed_out = false;   // the deadline passed and the process group was killed
  std::string out;          // captured stdout (the first 4 MiB)
  std::string err;          // captured stderr (the first 4 MiB)
  Millis elapsed{0};

  bool success() const { return started && !timed_out && term_signal == 0 && exit_code == 0; }
  // "exit status 1", "killed by signal 9 (Killed)", "timed out after 5 s", or start_error.
  std::string describe() const;
};

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  virtual ProcessResult run(const ProcessSpec& spec) = 0;
};

// The real thing: fork/exec, each child in its own process group.
class ProcessRunner final : public CommandRunner {
 public:
  ProcessResult run(const ProcessSpec& spec) override;
};

// The command as one line for logs and messages, with shell-style quoting where needed. For
// reading only: nothing ever executes this string.
std::string display_command(const ProcessSpec& spec);

}  // namespace ha::agent::pg
