#include "cluster_harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

extern char** environ;

namespace ha::itest {

namespace fs = std::filesystem;

std::uint16_t free_port() {
  static std::mutex mu;
  static std::set<std::uint16_t> given;
  std::lock_guard<std::mutex> lock(mu);
  for (int attempt = 0; attempt < 100; ++attempt) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw HarnessError(std::string("socket: ") + std::strerror(errno));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      int err = errno;
      ::close(fd);
      throw HarnessError(std::string("cannot bind a loopback port: ") + std::strerror(err));
    }
    ::close(fd);
    std::uint16_t port = ntohs(a.sin_port);
    if (given.insert(port).second) return port;
  }
  throw HarnessError("no free loopback port found");
}

std::string hadcs_binary() {
  if (const char* env = std::getenv("HA_HADCS_BIN"); env != nullptr && *env != '\0') return env;
#ifdef HA_HADCS_BINARY
  return HA_HADCS_BINARY;
#else
  throw HarnessError("the hadcs binary is unknown: set HA_HADCS_BIN");
#endif
}

bool eventually(Ms timeout, const std::function<bool()>& pred, Ms interval) {
  auto end = Clock::now() + timeout;
  while (true) {
    if (pred()) return true;
    if (Clock::now() >= end) return false;
    std::this_thread::sleep_for(interval);
  }
}

std::unique_ptr<grpc::ClientContext> deadline_ctx(Ms timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  return ctx;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string file_tail(const std::string& path, std::size_t bytes) {
  std::string all = read_file(path);
  if (all.size() <= bytes) return all;
  return "..." + all.substr(all.size() - bytes);
}

namespace {
// With $HA_ITEST_TRACE set, every harness step is printed with the time since the start.
void trace(const std::string& what) {
  static const bool on = std::getenv("HA_ITEST_TRACE") != nullptr;
  static const auto t0 = Clock::now();
  if (on) {
    auto ms = std::chrono::duration_cast<Ms>(Clock::now() - t0).count();
    std::cerr << "[harness " << ms << " ms] " << what << "\n";
  }
}
// True when a TCP connection to 127.0.0.1:port succeeds.
bool port_accepts(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}
}  // namespace

// ---------------------------------------------------------------------------------------------
// Child

std::unique_ptr<Child> Child::spawn(const std::vector<std::string>& argv,
                                    const std::string& log_path,
                                    const std::map<std::string, std::string>& env,
                                    const std::string& stdin_path, const std::string& stderr_path) {
  if (argv.empty()) throw HarnessError("spawn: empty command line");
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string s(*e);
    auto eq = s.find('=');
    if (eq != std::string::npos && env.count(s.substr(0, eq)) != 0) continue;
    env_strings.push_back(std::move(s));
  }
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string program = argv[0];
  if (program.find('/') == std::string::npos) {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
    std::string d;
    while (std::getline(dirs, d, ':')) {
      fs::path p = fs::path(d) / program;
      if (::access(p.c_str(), X_OK) == 0) {
        program = p.string();
        break;
      }
    }
  }

  int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) throw HarnessError("cannot open " + log_path + ": " + std::strerror(errno));
  int err_fd = log_fd;
  if (!stderr_path.empty()) {
    err_fd = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (err_fd < 0) {
      ::close(log_fd);
      throw HarnessError("cannot open " + stderr_path + ": " + std::strerror(errno));
    }
  }
  std::string in_path = stdin_path.empty() ? "/dev/null" : stdin_path;
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(log_fd);
    if (err_fd != log_fd) ::close(err_fd);
    throw HarnessError(std::string("fork: ") + std::strerror(err));
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int in_fd = ::open(in_path.c_str(), O_RDONLY);
    if (in_fd >= 0) ::dup2(in_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(err_fd, 2);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(program.c_str(), args.data(), envp.data());
    const char msg[] = "harness: exec failed\n";
    [[maybe_unused]] auto n = ::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::close(log_fd);
  if (err_fd != log_fd) ::close(err_fd);
  auto c = std::unique_ptr<Child>(new Child());
  c->pid_ = pid;
  return c;
}

Child::~Child() { kill_and_reap(); }

void Child::reaped(int status) {
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool Child::alive() {
  if (exit_code_) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reaped(status);
    return false;
  }
  return true;
}

void Child::signal(int sig) {
  if (alive()) ::kill(pid_, sig);
}

bool Child::wait_exit(Ms timeout) {
  return eventually(
      timeout, [this] { return !alive(); }, Ms(10));
}

void Child::kill_and_reap() {
  if (pid_ <= 0 || exit_code_) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (true) {
    pid_t r = ::waitpid(pid_, &status, 0);
    if (r == pid_) {
      reaped(status);
      return;
    }
    if (r < 0 && errno != EINTR) {
      exit_code_ = -1;
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// WatchClient

WatchClient::WatchClient(const std::shared_ptr<grpc::Channel>& channel,
                         const etcdserverpb::WatchCreateRequest& create, Ms lifetime)
    : stub_(etcdserverpb::Watch::NewStub(channel)) {
  ctx_.set_deadline(std::chrono::system_clock::now() + lifetime);
  stream_ = stub_->Watch(&ctx_);
  etcdserverpb::WatchRequest req;
  *req.mutable_create_request() = create;
  if (!stream_->Write(req)) {
    finished_ = stream_->Finish();
    return;
  }
  reader_ = std::thread([this] { run(); });
}

WatchClient::~WatchClient() {
  ctx_.TryCancel();
  if (reader_.joinable()) reader_.join();
}

void WatchClient::run() {
  etcdserverpb::WatchResponse resp;
  while (stream_->Read(&resp)) {
    std::lock_guard<std::mutex> lock(mu_);
    bool used = false;
    if (resp.created()) {
      created_ = true;
      used = true;
    }
    if (resp.canceled()) {
      canceled_ = true;
      cancel_reason_ = resp.cancel_reason();
    }
    for (const auto& e : resp.events()) events_.push_back(e);
    if (resp.events_size() > 0) used = true;
    if (!used) others_.push_back(resp);
    cv_.notify_all();
  }
  grpc::Status st = stream_->Finish();
  std::lock_guard<std::mutex> lock(mu_);
  finished_ = st;
  cv_.notify_all();
}

void WatchClient::wait_created(Ms timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [this] { return created_ || canceled_ || finished_.has_value(); });
  if (created_ && !canceled_) return;
  if (canceled_) throw HarnessError("the watch was refused: " + cancel_reason_);
  if (finished_)
    throw HarnessError("the watch stream ended before it was created: " +
                       finished_->error_message());
  throw HarnessError("no 'created' answer to the watch within " + std::to_string(timeout.count()) +
                     " ms");
}

std::vector<mvccpb::Event> WatchClient::events() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_;
}

bool WatchClient::wait_events(std::size_t n, Ms timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return events_.size() >= n; });
}

bool WatchClient::wait_revision(std::int64_t rev, Ms timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(
      lock, timeout, [&] { return !events_.empty() && events_.back().kv().mod_revision() >= rev; });
}

std::optional<grpc::Status> WatchClient::finished() const {
  std::lock_guard<std::mutex> lock(mu_);
  return finished_;
}

std::vector<etcdserverpb::WatchResponse> WatchClient::other_responses() const {
  std::lock_guard<std::mutex> lock(mu_);
  return others_;
}

std::string hex(std::uint64_t v) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string describe(const mvccpb::Event& e) {
  return std::string(e.type() == mvccpb::Event::PUT ? "PUT " : "DELETE ") + e.kv().key() + "=" +
         e.kv().value() + " @" + std::to_string(e.kv().mod_revision());
}

// ---------------------------------------------------------------------------------------------
// Cluster

Cluster::Cluster(ClusterOptions options) : options_(std::move(options)) {
  std::string tmpl = (fs::temp_directory_path() / "hadcs-itest-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    throw HarnessError("mkdtemp: " + std::string(std::strerror(errno)));
  dir_ = tmpl;
  for (int i = 0; i < options_.size; ++i)
    members_.push_back(make_member("n" + std::to_string(i + 1)));
}

Cluster::~Cluster() {
  trace("tearing down");
  for (auto& m : members_) {
    if (m.proc) m.proc->kill_and_reap();  // SIGKILL also ends a SIGSTOPped process
  }
  bool failed = std::uncaught_exceptions() > 0;
  bool keep = failed || std::getenv("HA_KEEP_TEST_DIRS") != nullptr;
  if (failed) std::cerr << "---- hadcs logs (kept in " << dir_ << ") ----\n" << logs_tail(4000);
  if (!keep) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  trace("torn down");
}

Cluster::Member Cluster::make_member(const std::string& name) {
  Member m;
  m.name = name;
  m.client_port = free_port();
  m.peer_port = free_port();
  m.metrics_port = free_port();
  m.data_dir = (fs::path(dir_) / name).string();
  m.log_path = (fs::path(dir_) / (name + ".log")).string();
  return m;
}

std::string Cluster::client_url(int i) const {
  return "http://127.0.0.1:" + std::to_string(members_.at(i).client_port);
}
std::string Cluster::client_addr(int i) const {
  return "127.0.0.1:" + std::to_string(members_.at(i).client_port);
}
std::string Cluster::peer_url(int i) const {
  return "http://127.0.0.1:" + std::to_string(members_.at(i).peer_port);
}

std::string Cluster::initial_cluster(const std::vector<int>& only) const {
  std::string out;
  for (int i = 0; i < size(); ++i) {
    if (!only.empty() && std::find(only.begin(), only.end(), i) == only.end()) continue;
    if (!out.empty()) out += ",";
    out += members_[i].name + "=" + peer_url(i);
  }
  return out;
}

std::vector<std::string> Cluster::command_line(int i) const {
  const Member& m = members_.at(i);
  std::vector<std::string> a = {hadcs_binary(),
                                "--name",
                                m.name,
                                "--data-dir",
                                m.data_dir,
                                "--listen-client-urls",
                                client_url(i),
                                "--listen-peer-urls",
                                peer_url(i),
                                "--metrics-listen",
                                "http://127.0.0.1:" + std::to_string(m.metrics_port),
                                "--heartbeat-interval",
                                std::to_string(options_.heartbeat_ms),
                                "--election-timeout",
                                std::to_string(options_.election_ms)};
  a.push_back("--initial-cluster");
  if (!m.initial_cluster.empty()) {
    a.push_back(m.initial_cluster);
  } else if (m.joiner) {
    a.push_back(initial_cluster());
  } else {
    // The founders: the first options_.size members.
    std::vector<int> founders;
    for (int j = 0; j < options_.size; ++j) founders.push_back(j);
    a.push_back(initial_cluster(founders));
  }
  if (m.joiner) {
    a.push_back("--initial-cluster-state");
    a.push_back("existing");
  }
  if (options_.snapshot_count) {
    a.push_back("--snapshot-count");
    a.push_back(std::to_string(*options_.snapshot_count));
  }
  if (options_.max_request_bytes) {
    a.push_back("--max-request-bytes");
    a.push_back(std::to_string(*options_.max_request_bytes));
  }
  if (!options_.token.empty()) {
    a.push_back("--initial-cluster-token");
    a.push_back(options_.token);
  }
  a.insert(a.end(), options_.extra_args.begin(), options_.extra_args.end());
  a.insert(a.end(), m.extra_args.begin(), m.extra_args.end());
  return a;
}

void Cluster::new_channel(int i) {
  grpc::ChannelArguments args;
  // Reconnect fast after a member restarts; a private subchannel pool so that the backoff of an
  // earlier channel to the same address does not carry over.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 300);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  members_.at(i).channel =
      grpc::CreateCustomChannel(client_addr(i), grpc::InsecureChannelCredentials(), args);
}

std::shared_ptr<grpc::Channel> Cluster::channel(int i) const {
  const Member& m = members_.at(i);
  if (!m.channel)
    throw HarnessError("member " + m.name + " has no client channel (not started, or stopped)");
  return m.channel;
}

void Cluster::spawn(int i) {
  Member& m = members_.at(i);
  if (m.proc && m.proc->alive()) throw HarnessError("member " + m.name + " is already running");
  ++m.starts;
  {
    std::ofstream log(m.log_path, std::ios::app);
    log << "==== harness: start #" << m.starts << " of " << m.name << " ====\n";
  }
  m.proc = Child::spawn(command_line(i), m.log_path);
  trace("spawned " + m.name + " pid " + std::to_string(m.proc->pid()));
  m.paused = false;
  new_channel(i);
}

void Cluster::wait_serving(int i, Ms timeout) {
  Member& m = members_.at(i);
  auto end = Clock::now() + timeout;
  grpc::Status last =
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "the client port does not accept connections");
  bool listening = false;
  while (Clock::now() < end) {
    if (!m.proc || !m.proc->alive()) {
      throw HarnessError("member " + m.name + " exited with code " +
                         std::to_string(m.proc ? m.proc->exit_code().value_or(-1) : -1) +
                         " while starting; log:\n" + file_tail(m.log_path));
    }
    if (!listening) {
      // A gRPC channel whose first connection was refused backs off for seconds: make the
      // channel only once the port accepts connections.
      listening = port_accepts(m.client_port);
      if (!listening) {
        std::this_thread::sleep_for(Ms(10));
        continue;
      }
      new_channel(i);
    }
    etcdserverpb::StatusResponse st;
    last = status(i, &st, Ms(500));
    if (last.ok()) {
      m.id = st.header().member_id();
      trace(m.name + " serving");
      return;
    }
    std::this_thread::sleep_for(Ms(20));
  }
  throw HarnessError("member " + m.name + " did not answer Status within " +
                     std::to_string(timeout.count()) + " ms (last error: " + last.error_message() +
                     "); log:\n" + file_tail(m.log_path));
}

void Cluster::start(int i, Ms timeout) {
  spawn(i);
  wait_serving(i, timeout);
}

void Cluster::start_all(Ms timeout) {
  for (int i = 0; i < size(); ++i) spawn(i);
  for (int i = 0; i < size(); ++i) wait_serving(i, timeout);
}

void Cluster::stop(int i, Ms timeout) {
  Member& m = members_.at(i);
  if (!m.proc) return;
  if (m.paused) resume(i);
  // Drop our channel first: an idle C++ channel does not read the server's GOAWAY, and hadcs
  // would wait out its 2 s shutdown deadline for the connection to close.
  m.channel.reset();
  trace("SIGTERM " + m.name);
  m.proc->signal(SIGTERM);
  bool exited = m.proc->wait_exit(timeout);
  trace(m.name + (exited ? " exited" : " still running"));
  if (!exited) {
    m.proc->kill_and_reap();
    throw HarnessError("member " + m.name + " did not stop within " +
                       std::to_string(timeout.count()) + " ms of SIGTERM; log:\n" +
                       file_tail(m.log_path));
  }
}

void Cluster::kill(int i) {
  Member& m = members_.at(i);
  trace("kill -9 " + m.name);
  if (m.proc) m.proc->kill_and_reap();
  m.paused = false;
}

namespace {
// True when every thread of `pid` is in the state `want` ('T': stopped) or, with `negate`, none is.
bool all_threads(pid_t pid, char want, bool negate) {
  std::error_code ec;
  fs::path tasks = fs::path("/proc") / std::to_string(pid) / "task";
  bool any = false;
  for (const auto& t : fs::directory_iterator(tasks, ec)) {
    std::string stat = read_file((t.path() / "stat").string());
    auto paren = stat.rfind(')');
    if (paren == std::string::npos || paren + 2 >= stat.size()) continue;
    char state = stat[paren + 2];
    if ((state == want) == negate) return false;
    any = true;
  }
  return any;
}
}  // namespace

void Cluster::pause(int i) {
  Member& m = members_.at(i);
  if (!m.proc || !m.proc->alive()) throw HarnessError("cannot pause " + m.name + ": not running");
  trace("SIGSTOP " + m.name);
  m.proc->signal(SIGSTOP);
  m.paused = true;
  // kill() returns before the target has stopped: a request sent at once could still be served.
  pid_t pid = m.proc->pid();
  if (!eventually(
          Ms(5000), [pid] { return all_threads(pid, 'T', false); }, Ms(1))) {
    throw HarnessError("member " + m.name + " did not stop within 5 s of SIGSTOP");
  }
}

void Cluster::resume(int i) {
  Member& m = members_.at(i);
  if (!m.proc || !m.proc->alive()) return;
  trace("SIGCONT " + m.name);
  m.proc->signal(SIGCONT);
  m.paused = false;
  pid_t pid = m.proc->pid();
  if (!eventually(
          Ms(5000), [pid] { return all_threads(pid, 'T', true); }, Ms(1))) {
    throw HarnessError("member " + m.name + " did not continue within 5 s of SIGCONT");
  }
}

bool Cluster::running(int i) {
  Member& m = members_.at(i);
  return m.proc && m.proc->alive();
}

std::vector<int> Cluster::live() const {
  std::vector<int> out;
  for (int i = 0; i < size(); ++i) {
    const Member& m = members_[i];
    if (m.proc && !m.paused && m.proc->alive()) out.push_back(i);
  }
  return out;
}

int Cluster::add_member_spec(const std::string& name, bool joiner) {
  Member m = make_member(name);
  m.joiner = joiner;
  members_.push_back(std::move(m));
  return size() - 1;
}

std::string Cluster::logs_tail(std::size_t bytes) const {
  std::string out;
  for (const auto& m : members_) {
    out += "---- " + m.name + " (" + m.log_path + ") ----\n" + file_tail(m.log_path, bytes) + "\n";
  }
  return out;
}

grpc::Status Cluster::status(int i, etcdserverpb::StatusResponse* out, Ms timeout) const {
  if (!members_.at(i).channel) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "never started");
  auto ctx = deadline_ctx(timeout);
  etcdserverpb::StatusRequest req;
  return maintenance(i)->Status(ctx.get(), req, out);
}

std::uint64_t Cluster::member_id(int i) {
  Member& m = members_.at(i);
  if (m.id == 0) {
    etcdserverpb::StatusResponse st;
    grpc::Status s = status(i, &st);
    if (!s.ok()) throw HarnessError("Status of " + m.name + " failed: " + s.error_message());
    m.id = st.header().member_id();
  }
  return m.id;
}

int Cluster::index_of(std::uint64_t id) {
  for (int i = 0; i < size(); ++i) {
    if (members_[i].id == id) return i;
  }
  return -1;
}

int Cluster::wait_leader(Ms timeout, std::vector<int> among) {
  if (among.empty()) among = live();
  auto end = Clock::now() + timeout;
  std::string report;
  while (true) {
    report.clear();
    std::set<std::uint64_t> leaders;
    bool all_answered = true;
    for (int i : among) {
      etcdserverpb::StatusResponse st;
      grpc::Status s = status(i, &st, Ms(500));
      if (!s.ok()) {
        all_answered = false;
        report += "  " + name(i) + ": " + s.error_message() + "\n";
        continue;
      }
      members_[i].id = st.header().member_id();
      leaders.insert(st.leader());
      report += "  " + name(i) + ": leader " + hex(st.leader()) + " term " +
                std::to_string(st.raftterm()) + "\n";
    }
    if (all_answered && leaders.size() == 1 && *leaders.begin() != 0) {
      int idx = index_of(*leaders.begin());
      if (idx >= 0 && std::find(among.begin(), among.end(), idx) != among.end()) {
        // Each member also reaches the leader and back: a linearizable read through it succeeds
        // (a member may hear the leader before its own stream to the leader is connected, and a
        // write it forwards then is lost: its client waits for the deadline).
        bool reach = true;
        for (int i : among) {
          etcdserverpb::RangeRequest req;
          req.set_key("harness-probe");
          etcdserverpb::RangeResponse resp;
          grpc::Status s = range(i, req, &resp, Ms(300));
          if (!s.ok()) {
            reach = false;
            report += "  " + name(i) + ": linearizable read failed: " + s.error_message() + "\n";
            break;
          }
        }
        if (reach) {
          trace("leader " + name(idx));
          return idx;
        }
      }
    }
    if (Clock::now() >= end) break;
    std::this_thread::sleep_for(Ms(20));
  }
  throw HarnessError("no leader that every member agrees on within " +
                     std::to_string(timeout.count()) + " ms:\n" + report + logs_tail());
}

grpc::Status Cluster::put(int i, const std::string& key, const std::string& value,
                          etcdserverpb::PutResponse* out, std::int64_t lease, Ms timeout) const {
  etcdserverpb::PutRequest req;
  req.set_key(key);
  req.set_value(value);
  req.set_lease(lease);
  etcdserverpb::PutResponse resp;
  auto ctx = deadline_ctx(timeout);
  return kv(i)->Put(ctx.get(), req, out != nullptr ? out : &resp);
}

grpc::Status Cluster::range(int i, const etcdserverpb::RangeRequest& req,
                            etcdserverpb::RangeResponse* out, Ms timeout) const {
  auto ctx = deadline_ctx(timeout);
  return kv(i)->Range(ctx.get(), req, out);
}

std::optional<std::string> Cluster::get(int i, const std::string& key, bool serializable,
                                        Ms timeout) const {
  etcdserverpb::RangeRequest req;
  req.set_key(key);
  req.set_serializable(serializable);
  etcdserverpb::RangeResponse resp;
  grpc::Status s = range(i, req, &resp, timeout);
  if (!s.ok()) {
    throw HarnessError("get " + key + " through " + name(i) +
                       " failed: " + std::to_string(s.error_code()) + " " + s.error_message());
  }
  if (resp.kvs_size() == 0) return std::nullopt;
  return resp.kvs(0).value();
}

std::int64_t Cluster::put_ok(int i, const std::string& key, const std::string& value,
                             std::int64_t lease, Ms timeout) const {
  etcdserverpb::PutResponse resp;
  grpc::Status s = put(i, key, value, &resp, lease, timeout);
  if (!s.ok()) {
    throw HarnessError("put " + key + " through " + name(i) + " failed: code " +
                       std::to_string(s.error_code()) + " " + s.error_message());
  }
  return resp.header().revision();
}

std::int64_t Cluster::put_retry(int i, const std::string& key, const std::string& value,
                                Ms timeout) const {
  auto end = Clock::now() + timeout;
  grpc::Status last;
  while (Clock::now() < end) {
    etcdserverpb::PutResponse resp;
    last = put(i, key, value, &resp, 0, Ms(2000));
    if (last.ok()) return resp.header().revision();
    std::this_thread::sleep_for(Ms(20));
  }
  throw HarnessError("put " + key + " through " + name(i) + " not acknowledged within " +
                     std::to_string(timeout.count()) + " ms; last error: " + last.error_message());
}

HttpReply Cluster::http_get(int i, const std::string& path, Ms timeout) const {
  httplib::Client cli("127.0.0.1", members_.at(i).metrics_port);
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  auto usecs = std::chrono::duration_cast<std::chrono::microseconds>(timeout - secs);
  cli.set_connection_timeout(secs.count(), usecs.count());
  cli.set_read_timeout(secs.count(), usecs.count());
  auto res = cli.Get(path.c_str());
  if (!res) return {};
  return {res->status, res->body};
}

std::optional<double> Cluster::metric(int i, const std::string& name) const {
  HttpReply r = http_get(i, "/metrics");
  if (r.status != 200) return std::nullopt;
  std::istringstream lines(r.body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  return std::nullopt;
}

}  // namespace ha::itest
