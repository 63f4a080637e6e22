// Context: what every hactl command runs with — its options, the cluster's location, one DCS
// client, the output streams, whether to colour, and the per-call deadline — plus the exit
// codes. Commands print errors as one "hactl: ..." line and return kExitFailure.
#pragma once

#include <chrono>
#include <istream>
#include <ostream>
#include <string>

#include "ctl/cluster_source.hpp"
#include "ctl/ctl_options.hpp"
#include "dcs/client/client.hpp"

namespace ha::ctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct Context {
  const CtlOptions& options;
  const ClusterSource& source;
  dcs::Client& client;
  std::ostream& out;
  std::ostream& err;
  bool colour = false;  // stdout is a terminal and the format is pretty
  std::istream* in = nullptr;   // where answers to prompts come from (nullptr: no answers)
  bool stdin_terminal = false;  // edit-config may open $EDITOR

  std::chrono::milliseconds timeout() const {
    return std::chrono::milliseconds(static_cast<long long>(options.timeout_seconds * 1000));
  }
  dcs::CallOptions call() const {
    dcs::CallOptions c;
    c.timeout = timeout();
    return c;
  }
  // Prints "hactl: <line>" on stderr; returns kExitFailure.
  int fail(const std::string& line) const {
    err << "hactl: " << line << '\n';
    return kExitFailure;
  }
};

}  // namespace ha::ctl
