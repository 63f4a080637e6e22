#include "tests/chaos/report.hpp"

#include <fmt/format.h>

#include <fstream>
#include <map>

#include "tests/chaos/history_io.hpp"
#include "tests/chaos/linearizability.hpp"
#include "tests/chaos/lock_checker.hpp"
#include "tests/chaos/set_checker.hpp"

namespace ha::chaos {

namespace {

void save(const std::string& dir, int n, const History& h, std::string& text) {
  if (dir.empty()) return;
  const std::string path = fmt::format("{}/anomaly-{}.txt", dir, n);
  std::ofstream out(path);
  write_history(out, h);
  text += fmt::format("    history saved: {} (chaos_campaign --check {})\n", path, path);
}

}  // namespace

ReportSummary check_and_report(const History& history, const CampaignFacts& facts, const std::string& dir) {
  ReportSummary s;
  std::string& t = s.text;
  s.operations = history.size();
  t += fmt::format("chaos campaign: seed {}, {} members, {:.0f} s\n", facts.seed, facts.members, facts.seconds);

  std::map<std::string, int> by_kind;
  for (const FaultRecord& f : facts.faults) by_kind[f.what.substr(0, f.what.find(' '))]++;
  t += fmt::format("faults injected: {}\n", facts.faults.size());
  for (const FaultRecord& f : facts.faults) {
    t += fmt::format("  [{:7.1f}s] {} (held {} ms)\n", static_cast<double>(f.at_ns) / 1e9, f.what, f.held_ms);
  }

  std::map<std::string, std::map<std::string, int>> counts;
  for (const Op& op : history) counts[to_string(op.kind)][to_string(op.outcome)]++;
  t += fmt::format("operations: {}\n", history.size());
  for (const auto& [kind, outcomes] : counts) {
    t += fmt::format("  {:6}", kind);
    for (const auto& [o, n] : outcomes) t += fmt::format(" {} {}", o, n);
    t += "\n";
  }

  int saved = 0;
  LinearizabilityResult lin = check_registers(history);
  t += fmt::format("register: {} keys, {} ops: {} not linearizable, {} undecided\n", lin.keys, lin.ops,
                   lin.anomalies.size(), lin.undecided.size());
  for (const KeyResult& k : lin.anomalies) {
    ++s.anomalies;
    t += fmt::format("  ANOMALY key {}: not linearizable ({} ops, at most {} linearized); stuck at: {}\n", k.key,
                     k.ops, k.best, k.stuck_at);
    save(dir, ++saved, k.history, t);
  }
  for (const KeyResult& k : lin.undecided) {
    t += fmt::format("  undecided key {} ({} ops, {} steps)\n", k.key, k.ops, k.steps);
  }

  for (const SetResult& r : check_sets(history)) {
    t += fmt::format(
        "set {}: {} adds ({} acknowledged, {} unknown of which {} present), final read {} elements{}: {} lost, "
        "{} invented, {} duplicated\n",
        r.key, r.attempted, r.acknowledged, r.unknown, r.unknown_present, r.read, r.final_read ? "" : " (NO FINAL READ)",
        r.lost.size(), r.invented.size(), r.duplicated.size());
    if (!r.ok()) {
      ++s.anomalies;
      auto list = [](const std::vector<Value>& v) {
        std::string out;
        for (std::size_t i = 0; i < v.size() && i < 20; ++i) out += " " + std::to_string(v[i]);
        return out;
      };
      t += fmt::format("  ANOMALY set {}: lost [{} ] invented [{} ] duplicated [{} ]\n", r.key, list(r.lost),
                       list(r.invented), list(r.duplicated));
      History h;
      for (const Op& op : history) {
        if ((op.kind == OpKind::kAdd || op.kind == OpKind::kRead) && op.key == r.key) h.push_back(op);
      }
      save(dir, ++saved, h, t);
    }
  }

  for (const LockResult& r : check_locks(history)) {
    t += fmt::format("lock {}: {} holds, {} overlapping pairs\n", r.key, r.holds, r.overlaps.size());
    if (!r.ok()) {
      ++s.anomalies;
      History h;
      for (const LockOverlap& o : r.overlaps) {
        t += fmt::format("  ANOMALY two holders for {} ms: {} / {}\n", static_cast<double>(o.overlap_ns) / 1e6,
                         describe(o.first), describe(o.second));
        h.push_back(o.first);
        h.push_back(o.second);
      }
      save(dir, ++saved, h, t);
    }
  }

  for (const std::string& p : facts.problems) {
    ++s.anomalies;
    t += "PROBLEM: " + p + "\n";
  }
  t += fmt::format("anomalies: {}\nVERDICT: {}\n", s.anomalies, s.anomalies == 0 ? "PASS" : "FAIL");

  if (!dir.empty()) {
    std::ofstream(dir + "/report.txt") << t;
    std::ofstream h(dir + "/history.txt");
    write_history(h, history);
  }
  return s;
}

}  // namespace ha::chaos
