#include "ctl/ctl_options.hpp"

#include <CLI/CLI.hpp>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ha_version.hpp>
#include <regex>

namespace ha::ctl {

namespace {

// The command line as text, before it is checked and converted.
struct RawFlags {
  std::string dcs;
  std::string format = "pretty";
  std::vector<std::string> sets;
  std::vector<std::string> pgs;
  std::string dsn_member;
  std::string move_leader_member;
  std::string lease;
};

// A lease ID in hex as etcdctl and `hactl dcs leases` print it, with or without "0x".
bool parse_lease_id(const std::string& text, std::int64_t& out) {
  std::string digits = text;
  if (digits.rfind("0x", 0) == 0 || digits.rfind("0X", 0) == 0) digits = digits.substr(2);
  if (digits.empty() || digits.size() > 16) return false;
  std::uint64_t v = 0;
  for (const char c : digits) {
    const int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                  : (c >= 'a' && c <= 'f')                   ? c - 'a' + 10
                  : (c >= 'A' && c <= 'F')                   ? c - 'A' + 10
                                                             : -1;
    if (d < 0) return false;
    v = v * 16 + static_cast<std::uint64_t>(d);
  }
  out = static_cast<std::int64_t>(v);
  return out > 0;
}

std::string split_assignment(const char* flag, const std::vector<std::string>& items,
                             const char* example,
                             std::vector<std::pair<std::string, std::string>>& out) {
  for (const auto& item : items) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      return std::string(flag) + " '" + item + "' must be name=value, e.g. " + flag + " " + example;
    }
    out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  return {};
}

CLI::App* add_format(CLI::App* cmd, RawFlags& raw) {
  cmd->add_option("--format", raw.format, "Output: pretty, json or yaml")->capture_default_str();
  return cmd;
}

}  // namespace

bool is_valid_schedule(const std::string& text) {
  static const std::regex kIso(
      R"(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?)"
      R"((Z|[+-]([01]\d|2[0-3]):?[0-5]\d)?)");
  return text == "now" || std::regex_match(text, kIso);
}

bool needs_scope(const std::string& command) {
  return command != "version" && command.rfind("dcs", 0) != 0;
}

CtlCommandLine parse_ctl_command_line(int argc, const char* const* argv) {
  CtlCommandLine result;
  CtlOptions& o = result.options;
  RawFlags raw;

  CLI::App app{"hactl: the operator CLI for a haagent/hadcs PostgreSQL cluster and its DCS.",
               "hactl"};
  app.set_version_flag("--version", std::string("hactl ") + ha::kVersionFull,
                       "Print the version and exit");
  app.footer(
      "The cluster is found from -c FILE (the agent's YAML), from --dcs and --scope, or from\n"
      "the HACTL_CONFIG environment variable. Run 'hactl COMMAND --help' for a command's options.\n"
      "Exit codes: 0 success, 1 the command failed, 2 bad usage.");
  app.require_subcommand(0, 1);  // a missing or unknown command is reported below
  app.allow_extras();
  app.fallthrough();  // global options may also follow the command
  app.add_option("-c,--config", o.config_file, "The agent's YAML config file")
      ->envname("HACTL_CONFIG");
  app.add_option("--dcs", raw.dcs, "hadcs client endpoints, host:port,... (instead of -c)");
  app.add_option("--scope", o.scope, "The cluster's name (its scope in the agent's config)");
  app.add_option("--timeout", o.timeout_seconds, "Deadline of every DCS call in seconds")
      ->capture_default_str();

  CLI::App* list = app.add_subcommand("list", "Show the members: role, state, timeline, lag");
  list->add_option("--watch", o.watch_seconds, "Refresh every SECONDS until interrupted");
  add_format(list, raw);

  CLI::App* topology = app.add_subcommand("topology", "Show who replicates from whom, as a tree");
  topology->add_option("--watch", o.watch_seconds, "Refresh every SECONDS until interrupted");

  CLI::App* switchover =
      app.add_subcommand("switchover", "Planned hand-over of the primary role to a replica");
  switchover->add_option("--leader,--primary", o.leader, "The current leader (a safety check)");
  switchover->add_option("--candidate", o.candidate, "The member to promote (default: the best)");
  switchover->add_option("--scheduled", o.scheduled, "When: 'now' or an ISO 8601 time");
  switchover->add_flag("--force", o.force, "Do not ask for confirmation");

  CLI::App* failover =
      app.add_subcommand("failover", "Promote a replica when there is no healthy leader");
  failover->add_option("--candidate", o.candidate, "The member to promote");
  failover->add_flag("--force", o.force, "Do not ask for confirmation");

  CLI::App* restart = app.add_subcommand("restart", "Restart PostgreSQL on members");
  restart->add_option("MEMBER", o.members, "Members to restart (default: all)");
  restart->add_option("--role", o.role, "Only members with this role: primary, replica or any");
  restart->add_flag("--pending", o.pending, "Only members whose restart is pending");
  restart->add_option("--scheduled", o.scheduled, "When: 'now' or an ISO 8601 time");
  restart->add_flag("--force", o.force, "Do not ask for confirmation");

  CLI::App* reload = app.add_subcommand("reload", "Reload the PostgreSQL config on members");
  reload->add_option("MEMBER", o.members, "Members to reload (default: all)");
  reload->add_option("--role", o.role, "Only members with this role: primary, replica or any");
  reload->add_flag("--force", o.force, "Do not ask for confirmation");

  CLI::App* reinit = app.add_subcommand("reinit", "Wipe a replica and clone it again");
  reinit->add_option("MEMBER", o.members, "Members to rebuild")->required();
  reinit->add_flag("--wait", o.wait, "Wait until the members stream again");
  reinit->add_flag("--force", o.force, "Do not ask for confirmation");

  CLI::App* pause = app.add_subcommand("pause", "Maintenance mode: no automatic failover");
  pause->add_flag("--wait", o.wait, "Wait until every member has paused");
  CLI::App* resume = app.add_subcommand("resume", "Leave maintenance mode");
  resume->add_flag("--wait", o.wait, "Wait until every member has resumed");

  app.add_subcommand("show-config", "Print the cluster's dynamic config");
  CLI::App* edit =
      app.add_subcommand("edit-config", "Change the dynamic config ($EDITOR or --set)");
  edit->add_option("-s,--set", raw.sets,
                   "Set a key, e.g. --set ttl=30 or --set postgresql.use_slots=false; an empty "
                   "value (--set ttl=) removes the key (repeatable)");
  edit->add_option("-p,--pg", raw.pgs, "Set a PostgreSQL parameter, e.g. --pg work_mem=64MB");
  edit->add_option("--apply", o.apply_file,
                   "Merge this YAML or JSON file into the config ('-' reads stdin; null removes "
                   "a key)");
  edit->add_option("--replace", o.replace_file,
                   "Replace the whole config with this YAML or JSON file ('-' reads stdin)");
  edit->add_flag("--force", o.force, "Apply without asking for confirmation");

  add_format(app.add_subcommand("history", "Show the timeline switches"), raw);
  CLI::App* dsn = app.add_subcommand("dsn", "Print a connection string for a member or role");
  dsn->add_option("MEMBER", raw.dsn_member, "The member (default: by --role)");
  dsn->add_option("--role", o.role, "primary or replica (default: primary)");
  app.add_subcommand("remove", "Delete every key of the cluster (asks for the cluster name)")
      ->add_option("CLUSTER", o.cluster_name, "The cluster to remove (its scope), as a check")
      ->required();
  app.add_subcommand("version", "Print hactl's version and every agent's");

  CLI::App* dcs = app.add_subcommand("dcs", "Work with the hadcs store itself");
  dcs->require_subcommand(0, 1);
  dcs->fallthrough();
  add_format(dcs->add_subcommand("members", "List the DCS members"), raw);
  add_format(dcs->add_subcommand("status", "Leader, term and index of every DCS member"), raw);
  CLI::App* get = add_format(dcs->add_subcommand("get", "Read a key"), raw);
  get->add_option("KEY", o.key, "The key")->required();
  get->add_flag("--prefix", o.prefix, "Read every key starting with KEY");
  get->add_option("--rev", o.revision, "Read the store as it was at this revision");
  get->add_flag("--print-value-only", o.print_value_only, "Print only the values");
  CLI::App* put = dcs->add_subcommand("put", "Write a key");
  put->add_option("KEY", o.key, "The key")->required();
  put->add_option("VALUE", o.value, "The value")->required();
  put->add_option("--lease", raw.lease, "Attach the key to this lease (hex ID, as 'dcs leases' shows)");
  CLI::App* del = dcs->add_subcommand("del", "Delete a key");
  del->add_option("KEY", o.key, "The key")->required();
  del->add_flag("--prefix", o.prefix, "Delete every key starting with KEY");
  CLI::App* watch = dcs->add_subcommand("watch", "Print changes to a key as they happen");
  watch->add_option("KEY", o.key, "The key")->required();
  watch->add_flag("--prefix", o.prefix, "Watch every key starting with KEY");
  watch->add_option("--rev", o.revision, "Start at this revision (replays history)");
  watch->add_option("--count", o.count, "Stop after this many events");
  watch->add_option("--timeout", o.watch_timeout, "Stop after this many seconds");
  add_format(watch, raw);
  add_format(dcs->add_subcommand("leases", "List the leases and their time to live"), raw);
  CLI::App* move_leader = dcs->add_subcommand("move-leader", "Hand Raft leadership to a member");
  move_leader->add_option("MEMBER", raw.move_leader_member, "The DCS member")->required();

  const auto usage_error = [&](const std::string& what) {
    result.run = false;
    result.exit_code = 2;
    result.err = "hactl: " + what;
    return result;
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    result.out = app.help();
    return result;
  } catch (const CLI::CallForAllHelp&) {
    result.out = app.help("", CLI::AppFormatMode::All);
    return result;
  } catch (const CLI::CallForVersion& e) {
    result.out = std::string(e.what()) + "\n";
    return result;
  } catch (const CLI::ParseError& e) {
    return usage_error(std::string(e.what()) + " (see hactl --help)");
  }

  for (const CLI::App* cmd = &app; !cmd->get_subcommands().empty();) {
    cmd = cmd->get_subcommands().front();
    if (!o.command.empty()) o.command += ' ';
    o.command += cmd->get_name();
  }
  const std::vector<std::string> extras = app.remaining();
  const bool dcs_without_command = o.command == "dcs";
  if (o.command.empty() || dcs_without_command) {
    const std::string prefix = dcs_without_command ? "hactl dcs" : "hactl";
    for (const auto& word : extras) {
      if (!word.empty() && word[0] != '-') {
        return usage_error("unknown command '" + word + "' (see " + prefix + " --help)");
      }
    }
    if (extras.empty()) return usage_error("no command given (see " + prefix + " --help)");
  }
  if (!extras.empty()) {
    std::string words;
    bool all_options = true;
    for (const auto& word : extras) {
      words += " " + word;
      all_options = all_options && !word.empty() && word[0] == '-';
    }
    const std::string what = all_options ? "unknown option" : "unexpected argument";
    return usage_error(what + (extras.size() > 1 ? "s:" : ":") + words + " (see hactl " +
                       (o.command.empty() ? "" : o.command + " ") + "--help)");
  }

  // Arguments.
  if (raw.format == "pretty") {
    o.format = OutputFormat::kPretty;
  } else if (raw.format == "json") {
    o.format = OutputFormat::kJson;
  } else if (raw.format == "yaml") {
    o.format = OutputFormat::kYaml;
  } else {
    return usage_error("--format must be pretty, json or yaml, not '" + raw.format + "'");
  }
  if (o.watch_seconds < 0 ||
      (o.watch_seconds == 0 && (list->get_option("--watch")->count() > 0 ||
                                topology->get_option("--watch")->count() > 0))) {
    return usage_error("--watch must be a positive number of seconds");
  }
  if (!o.scheduled.empty() && !is_valid_schedule(o.scheduled)) {
    return usage_error("--scheduled '" + o.scheduled +
                       "' must be 'now' or an ISO 8601 time, e.g. 2026-12-01T02:00+00:00");
  }
  if (o.command == "restart" || o.command == "reload") {
    if (o.role.empty()) o.role = "any";
    if (o.role != "primary" && o.role != "replica" && o.role != "any") {
      return usage_error("--role must be primary, replica or any, not '" + o.role + "'");
    }
  }
  if (o.command == "dsn") {
    if (!raw.dsn_member.empty() && !o.role.empty()) {
      return usage_error("dsn: give a MEMBER or --role, not both");
    }
    if (!raw.dsn_member.empty()) o.members = {raw.dsn_member};
    if (raw.dsn_member.empty() && o.role.empty()) o.role = "primary";
    if (!o.role.empty() && o.role != "primary" && o.role != "replica") {
      return usage_error("--role must be primary or replica, not '" + o.role + "'");
    }
  }
  if (o.command == "dcs move-leader") o.members = {raw.move_leader_member};
  if (o.apply_file == "-" && o.replace_file == "-") {
    return usage_error("edit-config: --apply - and --replace - cannot both read stdin");
  }

  if (!(o.timeout_seconds > 0) || o.timeout_seconds > 3600) {
    return usage_error("--timeout must be a number of seconds between 0 and 3600");
  }
  if (o.revision < 0) return usage_error("--rev must be a revision number (0 = the newest)");
  if (o.count < 0) return usage_error("--count must be a positive number of events");
  if (o.watch_timeout < 0) return usage_error("--timeout must be a positive number of seconds");
  if (!raw.lease.empty() && !parse_lease_id(raw.lease, o.lease)) {
    return usage_error("--lease '" + raw.lease + "' must be a lease ID in hex, as 'hactl dcs leases' shows");
  }
  if (auto err = split_assignment("--set", raw.sets, "ttl=30", o.set_values); !err.empty()) {
    return usage_error(err);
  }
  if (auto err = split_assignment("--pg", raw.pgs, "work_mem=64MB", o.pg_values); !err.empty()) {
    return usage_error(err);
  }
  if (o.command == "dcs get" || o.command == "dcs put" || o.command == "dcs del" ||
      o.command == "dcs watch") {
    if (o.key.empty()) return usage_error(o.command + ": KEY must not be empty");
  }

  // Where the cluster is.
  if (!raw.dcs.empty()) {
    if (auto err = dcs::parse_endpoint_list(raw.dcs, o.dcs_endpoints); !err.empty()) {
      return usage_error("--dcs: " + err);
    }
  } else if (app.get_option("--dcs")->count() > 0) {
    return usage_error("--dcs: no endpoint given; e.g. --dcs 10.0.0.1:2379,10.0.0.2:2379");
  }
  if (!o.config_file.empty()) {
    std::error_code ec;
    if (std::filesystem::is_directory(o.config_file, ec)) {
      return usage_error("config file '" + o.config_file + "' is a directory");
    }
    std::ifstream in(o.config_file);
    if (!in) {
      return usage_error("cannot read config file '" + o.config_file +
                         "': " + std::strerror(errno));
    }
  }
  const bool has_config = !o.config_file.empty();
  if (o.command.rfind("dcs", 0) == 0) {
    if (!has_config && o.dcs_endpoints.empty()) {
      return usage_error(
          "no DCS given: pass --dcs HOST:PORT,... or -c FILE (the agent's "
          "config), or set HACTL_CONFIG");
    }
  } else if (needs_scope(o.command)) {
    if (!has_config && o.dcs_endpoints.empty()) {
      return usage_error(
          "no cluster given: pass -c FILE (the agent's config), or --dcs "
          "HOST:PORT,... with --scope NAME, or set HACTL_CONFIG");
    }
    if (!has_config && o.scope.empty()) {
      return usage_error("--scope NAME is needed with --dcs (or pass -c FILE)");
    }
  }
  result.run = true;
  return result;
}

}  // namespace ha::ctl
