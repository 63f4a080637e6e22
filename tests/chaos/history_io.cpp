#include "tests/chaos/history_io.hpp"

#include <istream>
#include <ostream>
#include <sstream>

namespace ha::chaos {

namespace {

bool parse_kind(const std::string& s, OpKind& out) {
  for (OpKind k : {OpKind::kWrite, OpKind::kRead, OpKind::kCas, OpKind::kAdd, OpKind::kLock}) {
    if (s == to_string(k)) {
      out = k;
      return true;
    }
  }
  return false;
}

bool parse_outcome(const std::string& s, Outcome& out) {
  for (Outcome o : {Outcome::kOk, Outcome::kFail, Outcome::kUnknown}) {
    if (s == to_string(o)) {
      out = o;
      return true;
    }
  }
  return false;
}

}  // namespace

void write_history(std::ostream& out, const History& history) {
  for (const Op& op : history) {
    out << op.process << ' ' << to_string(op.kind) << ' ' << op.key << ' ' << op.value << ' ' << op.expected << ' '
        << op.result << ' ' << to_string(op.outcome) << ' ' << op.invoke_ns << ' ' << op.complete_ns << '\n';
  }
}

std::string read_history(std::istream& in, History& out) {
  History h;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    Op op;
    std::string kind, outcome;
    if (!(ls >> op.process >> kind >> op.key >> op.value >> op.expected >> op.result >> outcome >> op.invoke_ns >>
          op.complete_ns) ||
        !parse_kind(kind, op.kind) || !parse_outcome(outcome, op.outcome)) {
      return "line " + std::to_string(n) + ": not an op: " + line;
    }
    h.push_back(std::move(op));
  }
  out = std::move(h);
  return {};
}

}  // namespace ha::chaos
