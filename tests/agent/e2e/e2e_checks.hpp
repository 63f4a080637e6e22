// Catch2 assertions shared by the e2e test files: no two writable primaries were ever seen,
// every acknowledged id of a SqlWriter is in the table on a node, and the state and logs of
// the cluster attached to a failure. Test-only (the bench does not use Catch2).
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "tests/agent/e2e/ha_cluster.hpp"
#include "tests/agent/e2e/pg_probe.hpp"
#include "tests/agent/e2e/sql_writer.hpp"

namespace ha::e2e {

inline void require_no_split_brain(HaCluster& c) {
  c.monitor().wait_round();
  INFO(c.monitor().describe_violations());
  CHECK(c.monitor().rounds() > 10);
  REQUIRE(c.monitor().violations().empty());
}

// Runs one statement on node i; REQUIREs success with the server's error.
inline void require_exec(HaCluster& c, int i, const std::string& sql) {
  std::string error;
  const bool ok = pg_exec(c.node(i).pg_port(), sql, &error);
  INFO("on " << c.node(i).name() << ": " << sql << ": " << error);
  REQUIRE(ok);
}

// Every id `writer` saw acknowledged is in `table` on node i. Returns how many were checked.
inline std::size_t require_acked_present(HaCluster& c, int i, const SqlWriter& writer,
                                         const std::string& table) {
  std::string error;
  const auto ids = pg_column(c.node(i).pg_port(), "SELECT id FROM " + table, &error, Ms(10000));
  INFO("reading " << table << " on " << c.node(i).name() << ": " << error);
  REQUIRE(ids.has_value());
  std::set<std::int64_t> present;
  for (const auto& s : *ids) present.insert(std::stoll(s));
  std::vector<std::int64_t> lost;
  const auto acks = writer.acks();
  for (const auto& a : acks) {
    if (present.count(a.id) == 0) lost.push_back(a.id);
  }
  std::string lost_text;
  for (std::size_t k = 0; k < lost.size() && k < 50; ++k)
    lost_text += std::to_string(lost[k]) + " ";
  INFO(lost.size() << " of " << acks.size() << " acknowledged ids are missing on "
                   << c.node(i).name() << ": " << lost_text);
  CHECK(lost.empty());
  return acks.size();
}

}  // namespace ha::e2e
