// Timeline history (the contents of a <tli>.history file, as TIMELINE_HISTORY returns it) and
// the fork check a former primary makes before following a new one: did it write WAL on its
// timeline past the point where the new primary branched off (then pg_rewind or a new clone is
// needed)? Pure functions; fetching the history is replication_commands' job.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/lsn.hpp"
#include "agent/postgres/controldata.hpp"
#include "agent/postgres/pg_result.hpp"

namespace ha::agent::pg {

// One line of a history file: timeline `timeline` ended at `switch_lsn`, where the next one
// in the file (or the file's own timeline) began.
struct TimelineSwitch {
  std::uint32_t timeline = 0;
  Lsn switch_lsn;
  std::string reason;
};

// Lines "<tli>\t<X/Y>\t<reason>"; blank lines and '#' comments skipped.
PgResult<std::vector<TimelineSwitch>> parse_timeline_history(std::string_view text);

enum class ForkVerdict {
  kNoFork,   // this node's WAL is a prefix of the primary's history: it can just follow
  kForked,   // it has WAL the primary does not: pg_rewind (or a new clone) first
  kUnknown,  // cannot tell from what was given (let pg_rewind decide; it says when no rewind
             // is required)
};

const char* to_string(ForkVerdict verdict);

struct ForkCheck {
  ForkVerdict verdict = ForkVerdict::kUnknown;
  std::string reason;  // one line for the log
};

// `local_last_record`: the start of the last WAL record this node has on `local_timeline`
// (for a cleanly stopped primary, its shutdown checkpoint: see last_record_if_clean_primary);
// nothing when unknown. `primary_history`: the history of the primary's `primary_timeline`.
ForkCheck check_fork(std::uint32_t local_timeline, std::optional<Lsn> local_last_record,
                     std::uint32_t primary_timeline,
                     const std::vector<TimelineSwitch>& primary_history);

// A cleanly stopped primary's last record is its shutdown checkpoint; nothing otherwise.
std::optional<Lsn> last_record_if_clean_primary(const ControlData& control);

}  // namespace ha::agent::pg
