// haagent's command line: the ways to name the config file, and one case per error message.
#include "agent/agent_options.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <ha_version.hpp>

#include "tests/common/args.hpp"
#include "tests/common/temp_file.hpp"

using ha::agent::AgentCommandLine;
using ha::test::Args;
using ha::test::TempFile;

namespace {

AgentCommandLine parse(std::vector<std::string> words) {
  ::unsetenv("HAAGENT_CONFIG");
  Args args("haagent", std::move(words));
  return ha::agent::parse_agent_command_line(args.argc(), args.argv());
}

std::string error_of(std::vector<std::string> words) {
  const auto cl = parse(std::move(words));
  CHECK_FALSE(cl.run);
  CHECK(cl.exit_code == 2);
  CHECK(cl.out.empty());
  CHECK(cl.err.find('\n') == std::string::npos);
  return cl.err;
}

}  // namespace

TEST_CASE("the config file as an argument, with --config or -c") {
  TempFile file("scope: demo\n");
  for (const auto& words :
       std::vector<std::vector<std::string>>{{file.path()},
                                             {"--config", file.path()},
                                             {"-c", file.path()},
                                             {file.path(), "-c", file.path()}}) {
    const auto cl = parse(words);
    INFO(cl.err);
    REQUIRE(cl.run);
    CHECK(cl.options.config_file == file.path());
    CHECK_FALSE(cl.options.validate_config);
  }
  const auto cl = parse({"--validate-config", file.path()});
  REQUIRE(cl.run);
  CHECK(cl.options.validate_config);
}

TEST_CASE("HAAGENT_CONFIG names the config file when no argument does") {
  TempFile file("scope: demo\n");
  ::setenv("HAAGENT_CONFIG", file.path().c_str(), 1);
  Args args("haagent", {});
  const auto cl = ha::agent::parse_agent_command_line(args.argc(), args.argv());
  ::unsetenv("HAAGENT_CONFIG");
  REQUIRE(cl.run);
  CHECK(cl.options.config_file == file.path());
}

TEST_CASE("haagent --help and --version") {
  const auto help = parse({"--help"});
  CHECK(help.exit_code == 0);
  CHECK_FALSE(help.run);
  CHECK(help.out.find("--config") != std::string::npos);
  CHECK(help.out.find("--validate-config") != std::string::npos);
  const auto version = parse({"--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.out == std::string("haagent ") + ha::kVersionFull + "\n");
}

TEST_CASE("each bad haagent command line gets its one-line error") {
  TempFile a("scope: a\n");
  TempFile b("scope: b\n");
  CHECK(error_of({"--bogus"}) ==
        "haagent: The following argument was not expected: --bogus (see haagent --help)");
  CHECK(error_of({}) ==
        "haagent: no config file given; run haagent CONFIG.yml (or --config, or set "
        "HAAGENT_CONFIG)");
  CHECK(error_of({a.path(), "--config", b.path()}) == "haagent: two config files given ('" +
                                                          a.path() + "' and --config '" + b.path() +
                                                          "'); give one");
  CHECK(error_of({"/nonexistent/haagent.yml"}) ==
        "haagent: cannot read config file '/nonexistent/haagent.yml': No such file or directory");
  CHECK(error_of({"/"}) == "haagent: config file '/' is a directory");
  CHECK(error_of({a.path(), b.path()}) ==
        "haagent: The following argument was not expected: " + b.path() + " (see haagent --help)");
}
