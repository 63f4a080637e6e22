// Report: runs every checker over a campaign's history and writes the human report (faults,
// operation counts, each checker's verdict) plus the history of each anomaly to a folder, for
// replay with `chaos_campaign --check FILE`.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "tests/chaos/history.hpp"

namespace ha::chaos {

struct FaultRecord {
  std::int64_t at_ns = 0;
  int held_ms = 0;
  std::string what;
};

struct CampaignFacts {
  std::uint64_t seed = 0;
  int members = 3;
  double seconds = 0;
  std::vector<FaultRecord> faults;
  std::vector<std::string> problems;  // crashes, no heal, members that disagree ...
};

struct ReportSummary {
  std::size_t operations = 0;
  std::size_t anomalies = 0;  // checker anomalies + problems
  std::string text;           // the report
};

// Checks the history and writes `<dir>/report.txt`, `<dir>/history.txt` and, per anomaly,
// `<dir>/anomaly-<n>.txt` (the ops involved, loadable by read_history). `dir` "" = write nothing.
ReportSummary check_and_report(const History& history, const CampaignFacts& facts, const std::string& dir);

}  // namespace ha::chaos
