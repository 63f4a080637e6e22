// The register model the linearizability checker runs ops against: one value per key (kNil =
// absent) and what write, read and compare-and-set do to it, for each outcome. Pure.
#pragma once

#include <optional>

#include "tests/chaos/history.hpp"

namespace ha::chaos {

// Whether the op, linearized with the register at `state`, is consistent with what the client
// saw, and the state after it. nullopt: not at this point.
//   write ok/unknown: always, -> value.           read ok: only when state == result.
//   cas ok: only when state == expected -> value. cas fail: only when state != expected.
//   cas unknown: when state == expected it took effect (-> value), otherwise it failed; that it
//   never arrived at all is the same as linearizing it last, which the search also tries.
std::optional<Value> register_step(Value state, const Op& op);

// Whether the op takes part in the search at all: failed or unknown reads and failed writes
// have no effect and constrain nothing; set and lock ops are not register ops.
bool register_relevant(const Op& op);

}  // namespace ha::chaos
