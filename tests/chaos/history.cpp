#include "tests/chaos/history.hpp"

#include <cstdio>

namespace ha::chaos {

const char* to_string(OpKind kind) {
  switch (kind) {
    case OpKind::kWrite: return "write";
    case OpKind::kRead: return "read";
    case OpKind::kCas: return "cas";
    case OpKind::kAdd: return "add";
    case OpKind::kLock: return "lock";
  }
  return "?";
}

const char* to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk: return "ok";
    case Outcome::kFail: return "fail";
    case Outcome::kUnknown: return "unknown";
  }
  return "?";
}

namespace {
std::string value_text(Value v) { return v == kNil ? "nil" : std::to_string(v); }
}  // namespace

std::string describe(const Op& op) {
  std::string what;
  switch (op.kind) {
    case OpKind::kWrite: what = value_text(op.value); break;
    case OpKind::kRead: what = op.outcome == Outcome::kOk ? "-> " + value_text(op.result) : ""; break;
    case OpKind::kCas: what = value_text(op.expected) + "->" + value_text(op.value); break;
    case OpKind::kAdd: what = value_text(op.value); break;
    case OpKind::kLock: what = "token " + value_text(op.value); break;
  }
  char times[64];
  std::snprintf(times, sizeof times, "[%.3fs, %.3fs]", static_cast<double>(op.invoke_ns) / 1e9,
                static_cast<double>(op.complete_ns) / 1e9);
  return "p" + std::to_string(op.process) + " " + to_string(op.kind) + " " + op.key + " " + what + " " +
         to_string(op.outcome) + " " + times;
}

}  // namespace ha::chaos
