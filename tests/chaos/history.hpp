// History: what the chaos workloads record and the checkers read — one Op per client operation,
// with its real-time invoke and completion times and how it ended (ok, fail, unknown). Plain
// data; no I/O here (history_io.hpp saves and loads it).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace ha::chaos {

// A register value; kNil stands for "the key does not exist".
using Value = std::int64_t;
inline constexpr Value kNil = std::numeric_limits<Value>::min();

enum class OpKind { kWrite, kRead, kCas, kAdd, kLock };
// kOk: it took effect (reads: returned `result`). kFail: it surely did not take effect (a CAS
// whose compare was false, a refused request). kUnknown: it may have taken effect, at any time
// after its invoke (a timeout, a lost connection): Jepsen's "info".
enum class Outcome { kOk, kFail, kUnknown };

struct Op {
  int process = 0;        // the client thread
  OpKind kind = OpKind::kWrite;
  std::string key;        // register key; set/lock name
  Value value = kNil;     // write/cas: new value; add: the element; lock: the holder's token
  Value expected = kNil;  // cas: the value compared against
  Value result = kNil;    // read: the value returned
  Outcome outcome = Outcome::kUnknown;
  std::int64_t invoke_ns = 0;    // when the request was sent (monotonic clock)
  std::int64_t complete_ns = 0;  // when the answer came; for kLock, the end of the hold
};

using History = std::vector<Op>;

const char* to_string(OpKind kind);
const char* to_string(Outcome outcome);
// "p3 cas k1 5->9 ok [1.204s, 1.210s]", for reports.
std::string describe(const Op& op);

}  // namespace ha::chaos
