#include "tests/chaos/members.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "tests/chaos/command.hpp"

namespace ha::chaos {

Members::Members(const Network& net, std::string hadcs, std::string work_dir, std::string token)
    : net_(net), hadcs_(std::move(hadcs)), work_(std::move(work_dir)), token_(std::move(token)) {
  m_.resize(static_cast<std::size_t>(net.nodes()));
}

Members::~Members() {
  for (M& m : m_) {
    if (m.pid > 0) {
      kill(m.pid, SIGKILL);
      waitpid(m.pid, nullptr, 0);
      m.pid = -1;
    }
  }
}

std::string Members::log_path(int i) const { return work_ + "/n" + std::to_string(i + 1) + ".log"; }
std::string Members::data_dir(int i) const { return work_ + "/n" + std::to_string(i + 1); }

void Members::start(int i) {
  M& m = m_.at(static_cast<std::size_t>(i));
  if (m.pid > 0) return;
  std::string initial;
  for (int j = 0; j < size(); ++j) {
    initial += (j ? "," : "") + std::string("n") + std::to_string(j + 1) + "=http://" + net_.ip(j) + ":2380";
  }
  const std::string ip = net_.ip(i);
  m.pid = spawn_command({"ip", "netns", "exec", net_.ns(i), hadcs_, "--name", "n" + std::to_string(i + 1),
                         "--data-dir", data_dir(i), "--listen-client-urls", "http://" + ip + ":2379",
                         "--listen-peer-urls", "http://" + ip + ":2380", "--initial-cluster", initial,
                         "--initial-cluster-token", token_, "--metrics-listen", "http://" + ip + ":2381"},
                        log_path(i));
  m.paused = false;
}

void Members::start_all() {
  for (int i = 0; i < size(); ++i) start(i);
}

void Members::kill9(int i) {
  M& m = m_.at(static_cast<std::size_t>(i));
  if (m.pid <= 0) return;
  kill(m.pid, SIGKILL);
  waitpid(m.pid, nullptr, 0);
  m.pid = -1;
  m.paused = false;
}

void Members::pause(int i) {
  M& m = m_.at(static_cast<std::size_t>(i));
  if (m.pid > 0 && kill(m.pid, SIGSTOP) == 0) m.paused = true;
}

void Members::resume(int i) {
  M& m = m_.at(static_cast<std::size_t>(i));
  if (m.pid > 0) kill(m.pid, SIGCONT);
  m.paused = false;
}

void Members::resume_all() {
  for (int i = 0; i < size(); ++i) resume(i);
}

void Members::save_copy(int i) {
  if (running(i)) return;
  const std::string old = data_dir(i) + ".old";
  run_command({"rm", "-rf", old});
  if (run_command({"cp", "-a", data_dir(i), old}) != 0) run_command({"rm", "-rf", old});
}

bool Members::has_copy(int i) const { return access((data_dir(i) + ".old").c_str(), F_OK) == 0; }

bool Members::rollback(int i) {
  if (!has_copy(i)) return false;
  kill9(i);
  run_command({"rm", "-rf", data_dir(i)});
  return run_command({"cp", "-a", data_dir(i) + ".old", data_dir(i)}) == 0;
}

void Members::stop_all() {
  for (M& m : m_) {
    if (m.pid > 0) {
      kill(m.pid, SIGCONT);
      kill(m.pid, SIGTERM);
    }
  }
  for (M& m : m_) {
    if (m.pid <= 0) continue;
    bool gone = false;
    for (int t = 0; t < 100 && !gone; ++t) {
      gone = waitpid(m.pid, nullptr, WNOHANG) == m.pid;
      if (!gone) usleep(100'000);
    }
    if (!gone) {
      kill(m.pid, SIGKILL);
      waitpid(m.pid, nullptr, 0);
    }
    m.pid = -1;
  }
}

std::vector<std::string> Members::reap_unexpected() {
  std::vector<std::string> out;
  for (int i = 0; i < size(); ++i) {
    M& m = m_[static_cast<std::size_t>(i)];
    if (m.pid <= 0) continue;
    int status = 0;
    if (waitpid(m.pid, &status, WNOHANG) == m.pid) {
      int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      out.push_back("n" + std::to_string(i + 1) + " (pid " + std::to_string(m.pid) + ") exited with code " +
                    std::to_string(code) + "; see " + log_path(i));
      m.pid = -1;
      m.paused = false;
    }
  }
  return out;
}

}  // namespace ha::chaos
