// The postmaster.pid file of a data directory (pid, port, socket directory, listen address,
// status line) and whether the process it names is alive: how the agent tells "running" from
// "stopped" from "crashed" without asking the server. Not a replacement for a libpq check.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ha::agent::pg {

struct PostmasterPid {
  pid_t pid = 0;
  std::string data_dir;
  std::int64_t start_epoch = 0;  // seconds since the epoch
  int port = 0;
  std::string socket_dir;  // first of unix_socket_directories; may be empty
  std::string listen_address;
  std::string status;  // "starting", "stopping", "ready", "standby" (may be empty)
  long shm_key = -1;   // the System V shared memory segment PostgreSQL uses as an interlock
  long shm_id = -1;
};

// Parses the file's text; nothing when even the pid line is unusable.
std::optional<PostmasterPid> parse_postmaster_pid(std::string_view text);

enum class PostmasterState {
  kStopped,  // no postmaster.pid: a clean stop (or never started)
  kRunning,  // postmaster.pid names a live postgres process
  kCrashed,  // postmaster.pid is left but its process is gone (kill -9, OOM, power loss)
};

const char* to_string(PostmasterState state);

struct PostmasterStatus {
  PostmasterState state = PostmasterState::kStopped;
  std::optional<PostmasterPid> pid_file;  // when the file exists and parses
};

// Whether processes are still attached to the postmaster's shared memory segment: after a
// kill -9 of the postmaster its children linger for a moment, and PostgreSQL refuses to start
// until they are gone ("pre-existing shared memory block is still in use").
bool shared_memory_in_use(const PostmasterPid& pid_file);

// Reads <data_dir>/postmaster.pid and probes the process (signal 0, and /proc/<pid>/stat when
// readable, so that a zombie or a reused pid of another program counts as gone). An unreadable
// or garbled file counts as crashed.
PostmasterStatus probe_postmaster(const std::string& data_dir);

}  // namespace ha::agent::pg
