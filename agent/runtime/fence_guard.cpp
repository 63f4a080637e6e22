#include "agent/runtime/fence_guard.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <thread>
#include <vector>

#include "agent/postgres/proc_stat.hpp"
#include "dcs/client/client.hpp"
#include "dcs/client/log.hpp"

namespace ha::agent {

namespace {

constexpr std::string_view kLog = "fence";

// One message on the pipe: 'A' arm (deadline in ns of the steady clock), 'D' disarm, 'L' the
// lease id, 'F' finish. Nine bytes, far below PIPE_BUF: each write is atomic.
struct Message {
  char kind;
  std::int64_t deadline_ns;
};
constexpr std::size_t kMessageSize = 1 + sizeof(std::int64_t);

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             SteadyClock::now().time_since_epoch())
      .count();
}

std::string comm_of(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/comm");
  std::string comm;
  std::getline(f, comm);
  return comm;
}

bool read_message(int fd, Message& m) {
  char buf[kMessageSize];
  std::size_t got = 0;
  while (got < kMessageSize) {
    const ssize_t n = ::read(fd, buf + got, kMessageSize - got);
    if (n == 0) return false;
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    got += static_cast<std::size_t>(n);
  }
  m.kind = buf[0];
  std::memcpy(&m.deadline_ns, buf + 1, sizeof m.deadline_ns);
  return true;
}

// After fencing a dead agent's primary: its lease goes, and the lock with it.
void revoke_lease(const std::vector<dcs::Endpoint>& endpoints, std::int64_t lease) {
  if (lease == 0 || endpoints.empty()) return;
  dcs::ClientOptions o;
  o.endpoints = endpoints;
  o.default_timeout = std::chrono::milliseconds(3000);
  dcs::Client client(o);
  dcs::CallOptions call;
  call.retry_safe = true;
  auto r = client.lease_revoke(lease, call);
  if (r) {
    log_info(kLog, "revoked the dead agent's lease {:x}: the lock is free for a replica", lease);
  } else {
    log_warn(kLog, "could not revoke lease {:x} ({}); the lock expires with its TTL", lease,
             r.error().to_string());
  }
}

[[noreturn]] void guard_main(int fd, const std::string& data_dir,
                             const std::vector<dcs::Endpoint>& endpoints) {
  // The guard must not die with a terminal's ^C meant for the agent, nor take signals meant
  // for it; it ends when the agent's end of the pipe closes.
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGTERM, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);
  prctl(PR_SET_NAME, "haagent-fence");
  bool armed = false;
  std::int64_t deadline = 0;
  std::int64_t lease = 0;
  for (;;) {
    int timeout_ms = -1;
    if (armed) {
      const std::int64_t left = deadline - now_ns();
      timeout_ms = left <= 0 ? 0 : static_cast<int>((left + 999'999) / 1'000'000);
    }
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      log_error(kLog, "the lock's deadline passed and the agent did not renew it: {}",
                fence_postmaster(data_dir));
      armed = false;
      continue;
    }
    Message m{};
    if (!read_message(fd, m)) {
      if (armed) {
        bool stopped = false;
        log_error(kLog, "the agent died while leading: {}", fence_postmaster(data_dir, &stopped));
        if (stopped) revoke_lease(endpoints, lease);
      }
      ::_exit(0);
    }
    switch (m.kind) {
      case 'A':
        armed = true;
        deadline = m.deadline_ns;
        break;
      case 'D': armed = false; break;
      case 'L': lease = m.deadline_ns; break;
      case 'F': ::_exit(0);
      default: break;
    }
  }
}

}  // namespace

std::string fence_postmaster(const std::string& data_dir, bool* stopped) {
  bool ignored = false;
  bool& done = stopped != nullptr ? *stopped : ignored;
  done = true;
  std::ifstream f(data_dir + "/postmaster.pid");
  long pid = 0;
  if (!(f >> pid) || pid <= 0) return "no postmaster.pid in " + data_dir + "; nothing to stop";
  const auto postmaster = static_cast<pid_t>(pid);
  if (!process_running(postmaster)) return "postmaster " + std::to_string(pid) + " is not running";
  const std::string comm = comm_of(postmaster);
  if (comm.find("postgres") == std::string::npos && comm.find("postmaster") == std::string::npos) {
    return "pid " + std::to_string(pid) + " from postmaster.pid is '" + comm +
           "', not PostgreSQL; leaving it alone";
  }
  done = false;
  const auto children = children_of(postmaster);
  ::kill(postmaster, SIGQUIT);  // immediate shutdown: every backend quits at once
  for (int i = 0; i < 100 && process_running(postmaster); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!process_running(postmaster)) {
    done = true;
    return "stopped PostgreSQL (postmaster " + std::to_string(pid) + ", immediate shutdown)";
  }
  for (pid_t c : children) ::kill(c, SIGKILL);
  ::kill(postmaster, SIGKILL);
  for (int i = 0; i < 100 && process_running(postmaster); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  done = !process_running(postmaster);
  return "killed PostgreSQL (postmaster " + std::to_string(pid) +
         " and its children; it did not stop within 1 s of SIGQUIT)";
}

std::optional<FenceGuard> FenceGuard::start(const std::string& data_dir,
                                            const std::vector<dcs::Endpoint>& endpoints,
                                            std::string& error) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    error = std::string("cannot create the fence guard's pipe: ") + std::strerror(errno);
    return std::nullopt;
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    error = std::string("cannot fork the fence guard: ") + std::strerror(errno);
    ::close(fds[0]);
    ::close(fds[1]);
    return std::nullopt;
  }
  if (pid == 0) {
    ::close(fds[1]);
    // Its own process group: a signal to the agent's group (a terminal's ^C) spares it.
    ::setpgid(0, 0);
    guard_main(fds[0], data_dir, endpoints);
  }
  ::close(fds[0]);
  return FenceGuard(pid, fds[1]);
}

FenceGuard::FenceGuard(FenceGuard&& other) noexcept : pid_(other.pid_), fd_(other.fd_) {
  other.pid_ = -1;
  other.fd_ = -1;
}

FenceGuard::~FenceGuard() {
  if (fd_ >= 0) ::close(fd_);
  if (pid_ > 0) {
    int status = 0;
    ::waitpid(pid_, &status, WNOHANG);
  }
}

bool FenceGuard::send(char kind, std::int64_t deadline_ns) {
  if (fd_ < 0) return false;
  char buf[kMessageSize];
  buf[0] = kind;
  std::memcpy(buf + 1, &deadline_ns, sizeof deadline_ns);
  for (;;) {
    const ssize_t n = ::write(fd_, buf, kMessageSize);
    if (n == static_cast<ssize_t>(kMessageSize)) return true;
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
}

bool FenceGuard::arm(SteadyTime deadline) {
  return send('A', std::chrono::duration_cast<std::chrono::nanoseconds>(
                       deadline.time_since_epoch())
                       .count());
}

bool FenceGuard::disarm() { return send('D', 0); }

bool FenceGuard::set_lease(std::int64_t lease_id) { return send('L', lease_id); }

void FenceGuard::finish() {
  send('F', 0);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (pid_ > 0) {
    int status = 0;
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
  }
}

bool FenceGuard::alive() const {
  if (pid_ <= 0) return false;
  int status = 0;
  // waitpid reaps it if it died; kill(0) then fails.
  ::waitpid(pid_, &status, WNOHANG);
  return ::kill(pid_, 0) == 0;
}

}  // namespace ha::agent
