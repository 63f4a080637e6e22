// Running helper programs (ip, iptables, tc) to completion and starting long-lived ones in the
// background, by fork + exec with stdout and stderr appended to a log file. The background
// child gets PR_SET_PDEATHSIG(SIGKILL), so it dies with the campaign even if that crashes.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace ha::chaos {

// Runs argv[0] (searched in PATH) and waits; returns its exit code (128 + signal when killed,
// 127 when it could not be started). Output goes to `log_path` ("" = /dev/null).
int run_command(const std::vector<std::string>& argv, const std::string& log_path = {});
// The same, throwing std::runtime_error naming the command when it does not exit 0.
void must_run(const std::vector<std::string>& argv, const std::string& log_path = {});
// Starts argv in the background; returns its PID (the exec'd program's own).
pid_t spawn_command(const std::vector<std::string>& argv, const std::string& log_path);
// Whether `program` is found in PATH.
bool have_program(const std::string& program);

}  // namespace ha::chaos
