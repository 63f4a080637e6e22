// CtlOptions: hactl's command line (where the cluster is, which command, its arguments),
// parsed and checked. Carrying out the commands belongs to the rest of ctl/ (issue #6).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dcs/client/endpoint.hpp"

namespace ha::ctl {

enum class OutputFormat : std::uint8_t { kPretty, kJson, kYaml };

struct CtlOptions {
  // Where the cluster is: the agent's YAML (-c, --config or HACTL_CONFIG), or --dcs and --scope
  // (which win over the file's values).
  std::string config_file;
  std::vector<dcs::Endpoint> dcs_endpoints;
  std::string scope;
  // Deadline of every DCS call, in seconds (--timeout before the command).
  double timeout_seconds = 5;

  // The command, its words joined by one space: "list", "switchover", "dcs get", ...
  std::string command;

  // Arguments; each command uses the ones its --help lists.
  // list, history, dcs members/status/get/leases:
  OutputFormat format = OutputFormat::kPretty;
  double watch_seconds = 0;          // list, topology: 0 = print once
  std::string leader;                // switchover: the current leader, to confirm it
  std::string candidate;             // switchover, failover
  std::string scheduled;             // switchover, restart: "now" or an ISO 8601 time
  bool force = false;                // no confirmation prompt
  bool wait = false;                 // reinit, pause, resume: wait until done
  bool pending = false;              // restart: only members with a pending restart
  std::string role;                  // restart, reload: primary|replica|any; dsn: primary|replica
  std::vector<std::string> members;  // restart, reload, reinit; dsn and dcs move-leader: one
  std::vector<std::pair<std::string, std::string>> set_values;  // edit-config --set key=value
  std::vector<std::pair<std::string, std::string>> pg_values;   // edit-config --pg name=value
  std::string apply_file;    // edit-config --apply: merged into the config ("-" = stdin)
  std::string replace_file;  // edit-config --replace: the whole new config ("-" = stdin)
  std::string cluster_name;  // remove: the cluster to remove (must be the scope)
  std::string key;                                              // dcs get/put/del/watch
  std::string value;                                            // dcs put
  bool prefix = false;  // dcs get/del/watch: KEY is a prefix
  std::int64_t revision = 0;      // dcs get: read at; dcs watch: start at (0 = now)
  bool print_value_only = false;  // dcs get
  std::int64_t lease = 0;         // dcs put: attach to this lease (0 = none)
  int count = 0;                  // dcs watch: stop after this many events (0 = never)
  double watch_timeout = 0;       // dcs watch: stop after this many seconds (0 = never)
};

// What a command line asks for: run with `options` (run = true), or exit now with `exit_code`
// after printing `out` on stdout and `err` on stderr (help, version, or a usage error).
struct CtlCommandLine {
  bool run = false;
  int exit_code = 0;
  std::string out;
  std::string err;
  CtlOptions options;
};

// Exit codes: 0 for --help and --version, 2 for bad usage (unknown option or command, a bad
// value, no cluster given).
CtlCommandLine parse_ctl_command_line(int argc, const char* const* argv);

// True for "now" and ISO 8601 times such as 2026-12-01T02:00, 2026-12-01 02:00:00+01:00.
bool is_valid_schedule(const std::string& text);

// True for commands that need a cluster scope; false for `version` and `dcs ...`.
bool needs_scope(const std::string& command);

}  // namespace ha::ctl
