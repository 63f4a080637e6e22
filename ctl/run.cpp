#include "ctl/run.hpp"

#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "ctl/cluster_commands.hpp"
#include "ctl/dcs_commands.hpp"
#include "dcs/client/log.hpp"

namespace ha::ctl {

int run_command(const CtlOptions& options, std::ostream& out, std::ostream& err, bool terminal) {
  ha::set_log_level(ha::LogLevel::kError);  // the library's retry warnings are not for the CLI
  ClusterSource source;
  const bool cluster_given = !options.config_file.empty() || !options.dcs_endpoints.empty();
  if (cluster_given) {
    if (auto e = resolve_cluster(options, source); !e.empty()) {
      err << "hactl: " << e << '\n';
      return kExitUsage;
    }
  }
  if (source.endpoints.empty()) source.endpoints.push_back({"127.0.0.1", 2379});  // version only
  dcs::ClientOptions co;
  co.endpoints = source.endpoints;
  co.default_timeout = std::chrono::milliseconds(static_cast<long long>(options.timeout_seconds * 1000));
  co.connect_timeout = std::min(co.connect_timeout, co.default_timeout);
  dcs::Client client(co);
  Context ctx{options, source, client, out, err,
              terminal && options.format == OutputFormat::kPretty};
  ctx.in = &std::cin;
  ctx.stdin_terminal = ::isatty(0) == 1;
  if (options.command.rfind("dcs ", 0) == 0) return run_dcs_command(ctx);
  return run_cluster_command(ctx);
}

}  // namespace ha::ctl
