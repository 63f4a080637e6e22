// Linearizability checker for register histories: the Wing and Gong search as Porcupine runs it
// (a doubly linked list of call and return events in real-time order; linearize a pending call,
// lift it out, backtrack on a return that cannot be reached), with P-compositionality (each key
// checked alone) and a cache of (set of linearized ops, register state) so that no configuration
// is explored twice. An unknown op's return is at infinity: it may take effect at any time after
// its invoke, or never. A step budget per key turns an explosion into "undecided", not a hang.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/chaos/history.hpp"

namespace ha::chaos {

enum class Verdict { kLinearizable, kNotLinearizable, kUndecided };
const char* to_string(Verdict v);

struct KeyResult {
  std::string key;
  Verdict verdict = Verdict::kLinearizable;
  std::size_t ops = 0;        // ops of this key that took part
  std::size_t best = 0;       // most ops linearized at once during the search
  std::uint64_t steps = 0;    // search steps spent
  std::string stuck_at;       // kNotLinearizable: the op whose completion could never be reached
  History history;            // kNotLinearizable / kUndecided: the key's ops, for the report
};

struct LinearizabilityResult {
  std::size_t keys = 0;
  std::size_t ops = 0;
  std::vector<KeyResult> anomalies;  // not linearizable
  std::vector<KeyResult> undecided;  // budget exhausted
  bool ok() const { return anomalies.empty(); }
};

struct LinearizabilityOptions {
  std::uint64_t max_steps_per_key = 20'000'000;
};

// Checks one key's ops (those of other keys are ignored only by the caller: give one key).
KeyResult check_register_key(const std::string& key, const History& ops, const LinearizabilityOptions& options = {});
// Partitions the register ops (write, read, cas) by key and checks each key. Keys with set adds
// (kAdd) are sets, not registers, and are left out.
LinearizabilityResult check_registers(const History& history, const LinearizabilityOptions& options = {});

}  // namespace ha::chaos
