#include "agent/node/replay_timeline.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include "agent/postgres/timeline_history.hpp"

namespace ha::agent {

std::uint32_t replay_timeline_from_history(std::uint32_t reported, Lsn replay_lsn,
                                           std::uint32_t history_timeline,
                                           const std::string& history_text) {
  if (history_timeline <= reported) return reported;
  auto history = pg::parse_timeline_history(history_text);
  if (!history) return reported;
  // Lines in timeline order: timeline T ended at switch_lsn. A record replayed past that point
  // belongs to a later timeline.
  std::uint32_t tli = history_timeline;
  for (const auto& sw : *history) {
    if (replay_lsn <= sw.switch_lsn) {
      tli = sw.timeline;
      break;
    }
  }
  return std::max(reported, tli);
}

std::uint32_t replay_timeline(const std::string& data_dir, std::uint32_t reported, Lsn replay_lsn) {
  std::error_code ec;
  std::uint32_t newest = 0;
  std::filesystem::path newest_path;
  std::set<std::uint32_t> segment_timelines;  // timelines this server holds WAL segments of
  for (const auto& entry : std::filesystem::directory_iterator(data_dir + "/pg_wal", ec)) {
    const std::string name = entry.path().filename();
    if (name.size() == 24 && name.find_first_not_of("0123456789ABCDEF") == std::string::npos) {
      segment_timelines.insert(static_cast<std::uint32_t>(std::stoul(name.substr(0, 8), nullptr, 16)));
      continue;
    }
    if (name.size() != 16 || name.substr(8) != ".history") continue;
    std::uint32_t tli = 0;
    try {
      tli = static_cast<std::uint32_t>(std::stoul(name.substr(0, 8), nullptr, 16));
    } catch (...) {
      continue;
    }
    if (tli > newest) {
      newest = tli;
      newest_path = entry.path();
    }
  }
  if (newest <= reported) return reported;
  std::ifstream f(newest_path);
  std::stringstream text;
  text << f.rdbuf();
  const std::uint32_t tli = replay_timeline_from_history(reported, replay_lsn, newest, text.str());
  // Replay past a switch point says "a later timeline" only if WAL of that timeline arrived: a
  // standby that received more of the old timeline than the new primary had (it diverged) has
  // the new history file but no segment of the new timeline, and stays where it is.
  return segment_timelines.count(tli) != 0 ? tli : reported;
}

}  // namespace ha::agent
