// One-line summaries of program output and server logs for error messages.
#include "agent/postgres/output_text.hpp"

#include <catch2/catch.hpp>

using namespace ha::agent::pg;

TEST_CASE("output summary: stderr first without progress dots and only the last lines",
          "[output]") {
  CHECK(summarize_output("waiting for server to start.... stopped waiting\npg_ctl: could not "
                         "start server\nExamine the log output.\n",
                         "") == "pg_ctl: could not start server; Examine the log output.");
  CHECK(summarize_output("", "only stdout\n") == "only stdout");
  CHECK(summarize_output("err\n", "out\n") == "err");
  std::string many;
  for (int i = 0; i < 10; ++i) many += "line " + std::to_string(i) + "\n";
  const auto s = summarize_output(many, "");
  CHECK_THAT(s, Catch::StartsWith("line 4;"));
  CHECK_THAT(s, Catch::EndsWith("line 9"));
  CHECK(summarize_output(std::string(5000, 'x'), "").size() < 900);
}

TEST_CASE("server log summary: the reasons without timestamps", "[output]") {
  const char* log =
      "2026-11-30 06:32:36.123 UTC [29813] LOG:  starting PostgreSQL 15.14\n"
      "2026-11-30 06:32:36.124 UTC [29813] LOG:  could not bind IPv4 address \"127.0.0.1\": "
      "Address already in use\n"
      "2026-11-30 06:32:36.124 UTC [29813] HINT:  Is another postmaster already running on port "
      "5433?\n"
      "2026-11-30 06:32:36.125 UTC [29813] FATAL:  could not create any TCP/IP sockets\n"
      "2026-11-30 06:32:36.126 UTC [29813] LOG:  database system is shut down\n";
  const auto s = summarize_server_log(log);
  CHECK_THAT(s, Catch::StartsWith("LOG: could not bind IPv4 address"));
  CHECK_THAT(s, Catch::Contains("Address already in use"));
  CHECK_THAT(s, Catch::Contains("HINT: Is another postmaster"));
  CHECK_THAT(s, Catch::Contains("FATAL: could not create any TCP/IP sockets"));
  CHECK_THAT(s, !Catch::Contains("2026-11-30"));
  CHECK_THAT(s, !Catch::Contains("starting PostgreSQL"));
  // Nothing alarming: the last lines.
  CHECK(summarize_server_log("a\nb\nc\nd\n") == "b; c; d");
  CHECK(summarize_server_log("").empty());
}
