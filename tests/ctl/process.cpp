#include "tests/ctl/process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace ha::test {

namespace {

[[noreturn]] void exec_child(const std::vector<std::string>& argv, const std::string& out_path,
                             const std::string& err_path, const std::string& in_path = "/dev/null") {
  const int in = ::open(in_path.c_str(), O_RDONLY);
  if (in < 0) ::_exit(126);
  ::dup2(in, 0);
  const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  const int err = err_path == out_path ? out : ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (out < 0 || err < 0) ::_exit(126);
  ::dup2(out, 1);
  ::dup2(err, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));  // NOLINT
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  ::_exit(127);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

pid_t spawn(const std::vector<std::string>& argv, const std::string& log_path) {
  const pid_t pid = ::fork();
  if (pid == 0) exec_child(argv, log_path, log_path);
  return pid;
}

void kill_and_reap(pid_t pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
}

RunResult run(const std::vector<std::string>& argv, const std::string& scratch_dir,
              std::chrono::milliseconds limit, const std::string& input) {
  static std::atomic<int> counter{0};
  const std::string base = scratch_dir + "/run" + std::to_string(counter++);
  const std::string out_path = base + ".out", err_path = base + ".err", in_path = base + ".in";
  std::ofstream(in_path) << input;
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) exec_child(argv, out_path, err_path, in_path);
  RunResult r;
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      break;
    }
    if (std::chrono::steady_clock::now() - start > limit) {
      kill_and_reap(pid);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  ::unlink(out_path.c_str());
  ::unlink(err_path.c_str());
  ::unlink(in_path.c_str());
  return r;
}

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace ha::test
