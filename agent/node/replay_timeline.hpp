// replay_timeline(): the timeline a standby's replay has reached. pg_control and the WAL
// receiver do not tell it reliably — after the upstream dies the receiver is gone and the
// control file still names the timeline of the last restartpoint, one behind when the standby
// had followed a promotion — so it is worked out from the newest <tli>.history file in pg_wal
// and the replayed position: the first timeline that ended after that position, or the
// file's own timeline when replay went past every switch.
#pragma once

#include <cstdint>
#include <string>

#include "agent/lsn.hpp"

namespace ha::agent {

// Pure: `history_timeline` is the newest history file's timeline and `history_text` its text.
std::uint32_t replay_timeline_from_history(std::uint32_t reported, Lsn replay_lsn,
                                           std::uint32_t history_timeline,
                                           const std::string& history_text);

// Reads <data_dir>/pg_wal for the newest history file; `reported` when there is none, or when
// pg_wal holds no WAL segment of the timeline the history points to (a standby that went past
// the switch point on the old timeline: it diverged, and must not pass for the new one).
std::uint32_t replay_timeline(const std::string& data_dir, std::uint32_t reported, Lsn replay_lsn);

}  // namespace ha::agent
