#include "tests/chaos/command.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <stdexcept>

namespace ha::chaos {

namespace {

pid_t fork_exec(const std::vector<std::string>& argv, const std::string& log_path, bool die_with_parent) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid != 0) return pid;
  // Child: only async-signal-safe calls until exec.
  if (die_with_parent) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
  }
  int in = open("/dev/null", O_RDONLY);
  int out = open(log_path.empty() ? "/dev/null" : log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (in >= 0) dup2(in, 0);
  if (out >= 0) {
    dup2(out, 1);
    dup2(out, 2);
  }
  for (int fd = 3; fd < 1024; ++fd) close(fd);
  execvp(args[0], args.data());
  _exit(127);
}

}  // namespace

int run_command(const std::vector<std::string>& argv, const std::string& log_path) {
  const pid_t pid = fork_exec(argv, log_path, true);
  if (pid < 0) return 127;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

void must_run(const std::vector<std::string>& argv, const std::string& log_path) {
  int rc = run_command(argv, log_path);
  if (rc != 0) {
    std::string cmd;
    for (const std::string& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
    throw std::runtime_error("'" + cmd + "' failed with exit code " + std::to_string(rc));
  }
}

pid_t spawn_command(const std::vector<std::string>& argv, const std::string& log_path) {
  const pid_t pid = fork_exec(argv, log_path, true);
  if (pid < 0) throw std::runtime_error("fork failed for " + argv.at(0));
  return pid;
}

bool have_program(const std::string& program) {
  return run_command({"sh", "-c", "command -v " + program}) == 0;
}

}  // namespace ha::chaos
