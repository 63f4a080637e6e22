#include "agent/agent_options.hpp"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ha_version.hpp>

namespace ha::agent {

namespace {

// Empty when `path` is a readable regular file, else why not.
std::string check_readable(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return "config file '" + path + "' is a directory";
  std::ifstream in(path);
  if (!in) return "cannot read config file '" + path + "': " + std::strerror(errno);
  return {};
}

}  // namespace

AgentCommandLine parse_agent_command_line(int argc, const char* const* argv) {
  AgentCommandLine result;
  AgentOptions& o = result.options;
  std::string positional;

  CLI::App app{
      "haagent: the PostgreSQL high-availability agent, one per database node. It runs "
      "PostgreSQL, holds or follows the leader lock in hadcs and serves a REST API.",
      "haagent"};
  app.set_version_flag("--version", std::string("haagent ") + ha::kVersionFull,
                       "Print the version and exit");
  app.footer("Exit codes: 0 success, 1 runtime failure, 2 bad usage.");
  app.add_option("CONFIG", positional, "The agent's YAML config file");
  app.add_option("-c,--config", o.config_file, "The agent's YAML config file (same as CONFIG)")
      ->envname("HAAGENT_CONFIG");
  app.add_flag("--validate-config", o.validate_config, "Check the config file and exit");

  const auto usage_error = [&](const std::string& what) {
    result.run = false;
    result.exit_code = 2;
    result.err = "haagent: " + what;
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
    return usage_error(std::string(e.what()) + " (see haagent --help)");
  }

  if (!positional.empty()) {
    if (app.get_option("--config")->count() > 0 && o.config_file != positional) {
      return usage_error("two config files given ('" + positional + "' and --config '" +
                         o.config_file + "'); give one");
    }
    o.config_file = positional;
  }
  if (o.config_file.empty()) {
    return usage_error(
        "no config file given; run haagent CONFIG.yml (or --config, or set "
        "HAAGENT_CONFIG)");
  }
  if (auto err = check_readable(o.config_file); !err.empty()) return usage_error(err);
  result.run = true;
  return result;
}

}  // namespace ha::agent
