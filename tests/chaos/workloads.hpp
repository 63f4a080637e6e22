// The campaign's workload clients, each a thread with its own dcs::Client over every member,
// recording into a Recorder:
//   register: put, linearizable get and compare-and-set (Txn on the value) on a few keys, which
//             are replaced by fresh ones every `key_epoch` so that each key's history stays short;
//   set:      puts of unique keys under one prefix (an "add"), read whole once at the end;
//   lock:     a lease (TTL 2 s) kept alive by a LeaseKeeper, a create-if-absent Txn on one lock
//             key bound to it, held a while, released by a delete guarded on its value, as the
//             agents hold the leader key.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "dcs/client/endpoint.hpp"
#include "tests/chaos/recorder.hpp"

namespace ha::chaos {

struct WorkloadOptions {
  std::vector<dcs::Endpoint> endpoints;
  int register_clients = 4;
  int set_clients = 2;
  int lock_clients = 3;
  int keys = 3;
  std::chrono::seconds key_epoch{10};
  std::chrono::milliseconds op_timeout{1500};
  std::int64_t lock_ttl_seconds = 2;
  std::uint64_t seed = 1;
};

class Workloads {
 public:
  Workloads(WorkloadOptions options, Recorder& recorder);
  ~Workloads();  // stops and joins
  Workloads(const Workloads&) = delete;
  Workloads& operator=(const Workloads&) = delete;

  void start();
  void stop();
  // The set's final read, retried until it succeeds or `timeout` passes; recorded as one kRead
  // per element (a kRead of kNil when empty). False when no read succeeded.
  bool final_set_read(std::chrono::milliseconds timeout);
  static constexpr const char* kSetKey = "set";
  static constexpr const char* kLockKey = "lock";

 private:
  void register_client(int process);
  void set_client(int process);
  void lock_client(int process);

  WorkloadOptions options_;
  Recorder& rec_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

}  // namespace ha::chaos
