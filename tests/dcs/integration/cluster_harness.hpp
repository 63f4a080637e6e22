// Test harness for hadcs integration tests: real hadcs processes on free loopback ports in a fresh
// temp directory, started, stopped, killed, paused and restarted by the test, with raw etcd v3
// gRPC stubs (deadline on every call), /health and /metrics. Not a client library for products.
#pragma once

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "proto/etcd/rpc.grpc.pb.h"

namespace ha::itest {

using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;

// What a failed harness step throws; Catch2 reports its message as the test failure.
struct HarnessError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released). Never
// hands out the same port twice in one test process.
std::uint16_t free_port();

// The hadcs program: $HA_HADCS_BIN, else the path CMake compiled in.
std::string hadcs_binary();

// Polls `pred` every `interval` until it holds or `timeout` passes; true when it held.
bool eventually(Ms timeout, const std::function<bool()>& pred, Ms interval = Ms(20));

// A ClientContext whose deadline is `timeout` from now.
std::unique_ptr<grpc::ClientContext> deadline_ctx(Ms timeout);

// The last `bytes` of a file (empty when unreadable).
std::string file_tail(const std::string& path, std::size_t bytes = 3000);
std::string read_file(const std::string& path);

// One child process (fork + exec), stdin from /dev/null, stdout and stderr appended to a log
// file. Dies with the test process (PR_SET_PDEATHSIG); SIGKILLed and reaped when destroyed.
class Child {
 public:
  // `argv[0]` is the program path (searched in PATH when it has no '/'); `env` adds or overrides
  // variables of this process's environment. When given, `stdin_path` replaces /dev/null and
  // `stderr_path` receives stderr apart from stdout.
  static std::unique_ptr<Child> spawn(const std::vector<std::string>& argv,
                                      const std::string& log_path,
                                      const std::map<std::string, std::string>& env = {},
                                      const std::string& stdin_path = {},
                                      const std::string& stderr_path = {});
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  // False once the process has exited (reaps it then).
  bool alive();
  // The exit code (or 128 + signal) once it has exited.
  std::optional<int> exit_code() const { return exit_code_; }
  void signal(int sig);
  // Waits up to `timeout` for the process to exit; true when it did.
  bool wait_exit(Ms timeout);
  // SIGKILL (also when stopped) and reap.
  void kill_and_reap();

 private:
  Child() = default;
  void reaped(int status);
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

struct ClusterOptions {
  int size = 3;
  int heartbeat_ms = 50;
  int election_ms = 500;
  std::optional<std::uint64_t> snapshot_count;
  std::optional<std::uint64_t> max_request_bytes;
  std::string token;  // --initial-cluster-token; hadcs's default when empty
  std::vector<std::string> extra_args;
};

struct HttpReply {
  int status = 0;  // 0 when the request failed
  std::string body;
};

// A watch stream on one member. A reader thread collects every response; the test waits on
// the collected events with bounded waits. Cancelled and joined when destroyed.
class WatchClient {
 public:
  WatchClient(const std::shared_ptr<grpc::Channel>& channel,
              const etcdserverpb::WatchCreateRequest& create, Ms lifetime = Ms(120000));
  ~WatchClient();
  WatchClient(const WatchClient&) = delete;
  WatchClient& operator=(const WatchClient&) = delete;

  // Waits for the "created" response; throws HarnessError with the reason when it does not come.
  void wait_created(Ms timeout);
  // Every event received so far, in arrival order.
  std::vector<mvccpb::Event> events() const;
  // Waits until at least `n` events arrived; false on timeout.
  bool wait_events(std::size_t n, Ms timeout) const;
  // Waits until an event with mod_revision >= rev arrived; false on timeout.
  bool wait_revision(std::int64_t rev, Ms timeout) const;
  // The stream's final status once it ended (it should not while the test runs).
  std::optional<grpc::Status> finished() const;
  // Responses that were neither "created" nor carried events (progress, cancel, errors).
  std::vector<etcdserverpb::WatchResponse> other_responses() const;

 private:
  void run();
  grpc::ClientContext ctx_;
  std::shared_ptr<etcdserverpb::Watch::Stub> stub_;
  std::unique_ptr<grpc::ClientReaderWriter<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>>
      stream_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool created_ = false;
  bool canceled_ = false;
  std::string cancel_reason_;
  std::vector<mvccpb::Event> events_;
  std::vector<etcdserverpb::WatchResponse> others_;
  std::optional<grpc::Status> finished_;
  std::thread reader_;
};

// N hadcs members on loopback. Every process the cluster starts is killed (by its PID) when the
// cluster is destroyed, also when a test fails; the temp directory is removed unless the test
// failed with an exception or $HA_KEEP_TEST_DIRS is set, and then every member's log tail is
// printed.
class Cluster {
 public:
  explicit Cluster(ClusterOptions options);
  explicit Cluster(int size) : Cluster(with_size(size)) {}
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  int size() const { return static_cast<int>(members_.size()); }
  const std::string& dir() const { return dir_; }
  const ClusterOptions& options() const { return options_; }

  // Starts every member, then waits until each answers Status.
  void start_all(Ms timeout = Ms(15000));
  // Starts member i (again) and waits until it answers Status.
  void start(int i, Ms timeout = Ms(15000));
  // Starts member i without waiting (for members expected to fail or to wait for others).
  void spawn(int i);
  // Waits until member i answers Status; throws with its log tail on timeout or exit.
  void wait_serving(int i, Ms timeout);
  // SIGTERM and wait for a clean exit (SIGKILL after `timeout`).
  void stop(int i, Ms timeout = Ms(10000));
  // kill -9 and reap.
  void kill(int i);
  void pause(int i);    // SIGSTOP
  void resume(int i);   // SIGCONT
  bool running(int i);  // started and not exited (a paused member is running)
  bool paused(int i) const { return members_.at(i).paused; }
  Child* process(int i) { return members_.at(i).proc.get(); }

  // A new member spec (not started). A joiner joins the running cluster: --initial-cluster-state
  // existing with every member's peer URL; otherwise give it set_initial_cluster and arguments.
  // Returns its index.
  int add_member_spec(const std::string& name, bool joiner = true);
  // Replaces member i's arguments after the common ones (e.g. another token).
  void set_extra_args(int i, std::vector<std::string> args) {
    members_.at(i).extra_args = std::move(args);
  }
  // Overrides member i's --initial-cluster.
  void set_initial_cluster(int i, std::string value) {
    members_.at(i).initial_cluster = std::move(value);
  }

  const std::string& name(int i) const { return members_.at(i).name; }
  std::string client_url(int i) const;
  std::string client_addr(int i) const;  // host:port for etcdctl --endpoints
  std::string peer_url(int i) const;
  std::string data_dir(int i) const { return members_.at(i).data_dir; }
  std::string log_path(int i) const { return members_.at(i).log_path; }
  std::string log(int i) const { return read_file(members_.at(i).log_path); }
  // "name=peer,..." of every member spec (or only those in `only`).
  std::string initial_cluster(const std::vector<int>& only = {}) const;
  // Every member's log tail, for failure messages.
  std::string logs_tail(std::size_t bytes = 1500) const;

  // Indices of members that are running and not paused.
  std::vector<int> live() const;

  // The channel to member i's client port (new at each start); throws when it was never started
  // or was stopped.
  std::shared_ptr<grpc::Channel> channel(int i) const;
  std::unique_ptr<etcdserverpb::KV::Stub> kv(int i) const {
    return etcdserverpb::KV::NewStub(channel(i));
  }
  std::unique_ptr<etcdserverpb::Lease::Stub> lease(int i) const {
    return etcdserverpb::Lease::NewStub(channel(i));
  }
  std::unique_ptr<etcdserverpb::Watch::Stub> watch(int i) const {
    return etcdserverpb::Watch::NewStub(channel(i));
  }
  std::unique_ptr<etcdserverpb::Cluster::Stub> cluster(int i) const {
    return etcdserverpb::Cluster::NewStub(channel(i));
  }
  std::unique_ptr<etcdserverpb::Maintenance::Stub> maintenance(int i) const {
    return etcdserverpb::Maintenance::NewStub(channel(i));
  }

  // Maintenance.Status of member i, or the error.
  grpc::Status status(int i, etcdserverpb::StatusResponse* out, Ms timeout = Ms(1000)) const;
  // Member i's ID (from its Status; cached).
  std::uint64_t member_id(int i);
  // The index of the member with this ID, or -1.
  int index_of(std::uint64_t id);
  // Waits until every member in `among` (default: live()) answers Status naming the same leader,
  // that leader is one of them, and a linearizable read through each of them succeeds; returns
  // the leader's index. Throws on timeout with what each member said.
  int wait_leader(Ms timeout = Ms(10000), std::vector<int> among = {});

  // KV helpers (one call, deadline `timeout`).
  grpc::Status put(int i, const std::string& key, const std::string& value,
                   etcdserverpb::PutResponse* out = nullptr, std::int64_t lease = 0,
                   Ms timeout = Ms(3000)) const;
  grpc::Status range(int i, const etcdserverpb::RangeRequest& req, etcdserverpb::RangeResponse* out,
                     Ms timeout = Ms(3000)) const;
  // The value of `key` read through member i (nullopt when absent); throws on an RPC error.
  std::optional<std::string> get(int i, const std::string& key, bool serializable = false,
                                 Ms timeout = Ms(3000)) const;
  // One put that must be acknowledged: returns the revision; throws with the member, the status
  // code and the message otherwise.
  std::int64_t put_ok(int i, const std::string& key, const std::string& value,
                      std::int64_t lease = 0, Ms timeout = Ms(3000)) const;
  // Puts until one attempt is acknowledged (for use while a leader may be changing); returns the
  // revision. Throws with the last error after `timeout`.
  std::int64_t put_retry(int i, const std::string& key, const std::string& value,
                         Ms timeout = Ms(10000)) const;

  // GET http://127.0.0.1:<metrics port><path> of member i.
  HttpReply http_get(int i, const std::string& path, Ms timeout = Ms(2000)) const;
  // A sample's value from member i's /metrics (the line "<name> <value>"), nullopt when absent.
  std::optional<double> metric(int i, const std::string& name) const;

 private:
  struct Member {
    std::string name;
    std::uint16_t client_port = 0;
    std::uint16_t peer_port = 0;
    std::uint16_t metrics_port = 0;
    std::string data_dir;
    std::string log_path;
    bool joiner = false;
    std::string initial_cluster;  // when set, replaces the computed one
    std::vector<std::string> extra_args;
    std::unique_ptr<Child> proc;
    std::shared_ptr<grpc::Channel> channel;
    bool paused = false;
    std::uint64_t id = 0;
    int starts = 0;
  };
  static ClusterOptions with_size(int size) {
    ClusterOptions o;
    o.size = size;
    return o;
  }
  Member make_member(const std::string& name);
  std::vector<std::string> command_line(int i) const;
  void new_channel(int i);

  ClusterOptions options_;
  std::string dir_;
  std::vector<Member> members_;
};

// An event as "PUT key=value @rev" (keys and values in tests are ASCII).
std::string describe(const mvccpb::Event& e);
// A member ID in hex, as hadcs and etcdctl print it.
std::string hex(std::uint64_t v);

}  // namespace ha::itest
