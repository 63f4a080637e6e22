#include "agent/postgres/process_runner.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <optional>

#include "agent/postgres/os_user.hpp"

extern char** environ;  // NOLINT: POSIX

namespace ha::agent::pg {

namespace {

constexpr std::size_t kMaxCapture = std::size_t{4} << 20;
// After the program exits, how long to keep reading output that a descendant (still holding
// the pipes) might never close.
constexpr Millis kDrainGrace{200};

using Clock = std::chrono::steady_clock;

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// Which step of starting the child failed (sent with errno through the status pipe).
enum ChildStep : int { kStepDup = 1, kStepChdir, kStepGroups, kStepGid, kStepUid, kStepExec };

const char* step_text(int step) {
  switch (step) {
    case kStepDup: return "redirect output";
    case kStepChdir: return "change directory";
    case kStepGroups: return "set supplementary groups";
    case kStepGid: return "set group id";
    case kStepUid: return "set user id";
    default: return "run";
  }
}

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

std::optional<std::string> find_in_path(const std::string& name, const std::string& path_env) {
  std::size_t begin = 0;
  while (begin <= path_env.size()) {
    std::size_t end = path_env.find(':', begin);
    if (end == std::string::npos) end = path_env.size();
    std::string dir = path_env.substr(begin, end - begin);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    if (is_executable_file(candidate)) return candidate;
    begin = end + 1;
  }
  return std::nullopt;
}

void set_var(std::vector<std::string>& env, const std::string& name, const std::string& value) {
  const std::string prefix = name + "=";
  for (auto& entry : env) {
    if (entry.compare(0, prefix.size(), prefix) == 0) {
      entry = prefix + value;
      return;
    }
  }
  env.push_back(prefix + value);
}

void unset_var(std::vector<std::string>& env, const std::string& name) {
  const std::string prefix = name + "=";
  std::erase_if(env,
                [&](const std::string& e) { return e.compare(0, prefix.size(), prefix) == 0; });
}

std::string get_var(const std::vector<std::string>& env, const std::string& name) {
  const std::string prefix = name + "=";
  for (const auto& entry : env) {
    if (entry.compare(0, prefix.size(), prefix) == 0) return entry.substr(prefix.size());
  }
  return {};
}

std::vector<std::string> build_env(const ProcessSpec& spec, const OsUser* user) {
  std::vector<std::string> env;
  if (spec.inherit_env && environ != nullptr) {
    for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  }
  if (user != nullptr) {
    set_var(env, "HOME", user->home);
    set_var(env, "USER", user->name);
    set_var(env, "LOGNAME", user->name);
  }
  for (const auto& name : spec.unset_env) unset_var(env, name);
  for (const auto& [name, value] : spec.set_env) set_var(env, name, value);
  return env;
}

void read_available(int fd, std::string& sink, bool& open) {
  std::array<char, 16384> buf{};
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n > 0) {
      const std::size_t room = kMaxCapture > sink.size() ? kMaxCapture - sink.size() : 0;
      sink.append(buf.data(), std::min(room, static_cast<std::size_t>(n)));
      continue;
    }
    if (n == 0) {
      open = false;
      return;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) open = false;
    return;
  }
}

// Runs in the forked child: only async-signal-safe calls from here to exec.
[[noreturn]] void child_main(int out_w, int err_w, int status_w, int max_fd, const char* path,
                             char* const* argv, char* const* envp, const char* cwd,
                             const OsUser* user) {
  auto fail = [status_w](int step) {
    const std::array<int, 2> report{step, errno};
    [[maybe_unused]] ssize_t w = ::write(status_w, report.data(), sizeof(report));
    ::_exit(127);
  };
  ::setpgid(0, 0);
  // Signal dispositions and the mask are inherited across exec; give the program defaults.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
  }
  const int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull < 0 || ::dup2(devnull, 0) < 0 || ::dup2(out_w, 1) < 0 || ::dup2(err_w, 2) < 0) {
    fail(kStepDup);
  }
  // Nothing else of ours reaches the program (the status pipe closes at exec too).
  constexpr unsigned kCloseRangeCloexec = 1U << 2;  // CLOSE_RANGE_CLOEXEC (Linux 5.11)
  if (::syscall(SYS_close_range, 3U, ~0U, kCloseRangeCloexec) != 0) {
    for (int fd = 3; fd < max_fd; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  if (::chdir(cwd) != 0) fail(kStepChdir);
  if (user != nullptr && ::geteuid() != user->uid) {
    if (::setgroups(user->groups.size(), user->groups.data()) != 0) fail(kStepGroups);
    if (::setresgid(user->gid, user->gid, user->gid) != 0) fail(kStepGid);
    if (::setresuid(user->uid, user->uid, user->uid) != 0) fail(kStepUid);
  }
  ::execve(path, argv, envp);
  fail(kStepExec);
  ::_exit(127);  // not reached
}

}  // namespace

std::string ProcessResult::describe() const {
  if (!started) return start_error;
  if (timed_out) {
    return fmt::format("timed out after {:.3g} s (process group killed)",
                       static_cast<double>(elapsed.count()) / 1000.0);
  }
  if (term_signal != 0) {
    const char* name = ::strsignal(term_signal);
    return fmt::format("killed by signal {} ({})", term_signal, name != nullptr ? name : "?");
  }
  return fmt::format("exit status {}", exit_code);
}

std::string display_command(const ProcessSpec& spec) {
  auto quote = [](const std::string& s) {
    const bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
             std::string_view("-_./=:,+@%").find(c) != std::string_view::npos;
    });
    if (plain) return s;
    std::string q = "'";
    for (char c : s) {
      if (c == '\'') {
        q += "'\\''";
      } else {
        q += c;
      }
    }
    return q + "'";
  };
  std::string line = quote(spec.program);
  for (const auto& a : spec.args) line += " " + quote(a);
  return line;
}

ProcessResult ProcessRunner::run(const ProcessSpec& spec) {
  ProcessResult result;
  const auto start = Clock::now();
  auto finish = [&]() -> ProcessResult& {
    result.elapsed = std::chrono::duration_cast<Millis>(Clock::now() - start);
    return result;
  };

  std::optional<OsUser> user;
  if (!spec.run_as.empty()) {
    auto looked_up = lookup_os_user(spec.run_as);
    if (!looked_up) {
      result.start_error = fmt::format("cannot run {} as user '{}': {}", spec.program, spec.run_as,
                                       looked_up.error().message);
      return finish();
    }
    if (auto can = check_can_run_as(*looked_up); !can) {
      result.start_error = can.error().message;
      return finish();
    }
    user = std::move(looked_up).value();
  }

  std::vector<std::string> env = build_env(spec, user ? &*user : nullptr);
  std::string path = spec.program;
  if (path.empty()) {
    result.start_error = "cannot run a command with no program name";
    return finish();
  }
  if (path.find('/') == std::string::npos) {
    std::string search = get_var(env, "PATH");
    if (search.empty()) search = "/usr/local/bin:/usr/bin:/bin";
    auto found = find_in_path(path, search);
    if (!found) {
      result.start_error =
          fmt::format("cannot run {}: not found in PATH ({})", spec.program, search);
      return finish();
    }
    path = *found;
  }

  std::vector<std::string> argv_strings;
  argv_strings.reserve(spec.args.size() + 1);
  argv_strings.push_back(spec.program);
  argv_strings.insert(argv_strings.end(), spec.args.begin(), spec.args.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  std::array<int, 2> out_pipe{-1, -1};
  std::array<int, 2> err_pipe{-1, -1};
  std::array<int, 2> status_pipe{-1, -1};
  if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0 || ::pipe2(err_pipe.data(), O_CLOEXEC) != 0 ||
      ::pipe2(status_pipe.data(), O_CLOEXEC) != 0) {
    result.start_error = fmt::format("cannot run {}: pipe: {}", path, std::strerror(errno));
    for (int fd :
         {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1], status_pipe[0], status_pipe[1]}) {
      if (fd >= 0) ::close(fd);
    }
    return finish();
  }
  Fd out_r(out_pipe[0]), out_w(out_pipe[1]), err_r(err_pipe[0]), err_w(err_pipe[1]),
      status_r(status_pipe[0]), status_w(status_pipe[1]);

  const long open_max = ::sysconf(_SC_OPEN_MAX);
  const int max_fd = open_max > 0 && open_max < 1'000'000 ? static_cast<int>(open_max) : 65536;
  const pid_t pid = ::fork();
  if (pid < 0) {
    result.start_error = fmt::format("cannot run {}: fork: {}", path, std::strerror(errno));
    return finish();
  }
  if (pid == 0) {
    child_main(out_w.get(), err_w.get(), status_w.get(), max_fd, path.c_str(), argv.data(),
               envp.data(), spec.cwd.c_str(), user ? &*user : nullptr);
  }
  ::setpgid(pid, pid);  // also done by the child; whichever runs first
  out_w.reset();
  err_w.reset();
  status_w.reset();

  // The status pipe closes at a successful exec; a report means the child failed before that.
  std::array<int, 2> report{0, 0};
  std::size_t got = 0;
  while (got < sizeof(report)) {
    const ssize_t n =
        ::read(status_r.get(), reinterpret_cast<char*>(report.data()) + got, sizeof(report) - got);
    if (n > 0) {
      got += static_cast<std::size_t>(n);
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  if (got == sizeof(report)) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    const std::string who = user ? fmt::format(" as user '{}'", user->name) : std::string();
    if (report[0] == kStepChdir) {
      result.start_error = fmt::format("cannot run {}{}: cannot enter directory {}: {}", path, who,
                                       spec.cwd, std::strerror(report[1]));
    } else if (report[0] == kStepExec) {
      result.start_error = fmt::format("cannot run {}{}: {}", path, who, std::strerror(report[1]));
    } else {
      result.start_error = fmt::format("cannot run {}{}: {}: {}", path, who, step_text(report[0]),
                                       std::strerror(report[1]));
    }
    return finish();
  }
  result.started = true;
  result.pid = pid;

  ::fcntl(out_r.get(), F_SETFL, ::fcntl(out_r.get(), F_GETFL) | O_NONBLOCK);
  ::fcntl(err_r.get(), F_SETFL, ::fcntl(err_r.get(), F_GETFL) | O_NONBLOCK);
  Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));

  const auto deadline = start + spec.timeout;
  bool out_open = true;
  bool err_open = true;
  bool exited = false;
  int status = 0;
  Clock::time_point exited_at{};
  for (;;) {
    if (!exited) {
      const pid_t r = ::waitpid(pid, &status, WNOHANG);
      if (r == pid) {
        exited = true;
        exited_at = Clock::now();
      }
    }
    const auto now = Clock::now();
    if (exited && (!(out_open || err_open) || now >= exited_at + kDrainGrace)) break;
    if (!exited && now >= deadline) {
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      result.timed_out = true;
      exited = true;
      exited_at = Clock::now();
      continue;
    }
    std::array<pollfd, 3> fds{};
    nfds_t n = 0;
    if (out_open) fds[n++] = pollfd{out_r.get(), POLLIN, 0};
    if (err_open) fds[n++] = pollfd{err_r.get(), POLLIN, 0};
    const bool watch_pid = !exited && pidfd.get() >= 0;
    if (watch_pid) fds[n++] = pollfd{pidfd.get(), POLLIN, 0};
    auto wait = exited ? exited_at + kDrainGrace - now : deadline - now;
    if (!exited && !watch_pid) wait = std::min<Clock::duration>(wait, Millis(10));
    const int wait_ms =
        static_cast<int>(std::max<long long>(1, std::chrono::ceil<Millis>(wait).count()));
    const int pr = ::poll(fds.data(), n, wait_ms);
    if (pr < 0 && errno != EINTR) break;
    if (out_open) read_available(out_r.get(), result.out, out_open);
    if (err_open) read_available(err_r.get(), result.err, err_open);
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.term_signal = WTERMSIG(status);
  }
  return finish();
}

}  // namespace ha::agent::pg
