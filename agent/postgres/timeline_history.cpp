#include "agent/postgres/timeline_history.hpp"

#include "agent/postgres/text_trim.hpp"

#include <fmt/format.h>

#include <charconv>

namespace ha::agent::pg {

PgResult<std::vector<TimelineSwitch>> parse_timeline_history(std::string_view text) {
  std::vector<TimelineSwitch> out;
  std::size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    const std::string_view line = trim(text.substr(pos, eol - pos));
    pos = eol + 1;
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    const auto bad = [&] {
      return pg_error(PgErrorKind::kInvalid,
                      fmt::format("timeline history line {} is not '<timeline> <lsn> <reason>': "
                                  "'{}'",
                                  line_no, line));
    };
    const auto tab1 = line.find_first_of(" \t");
    if (tab1 == std::string_view::npos) return bad();
    const auto tli_text = line.substr(0, tab1);
    std::string_view rest = trim(line.substr(tab1 + 1));
    const auto tab2 = rest.find_first_of(" \t");
    const auto lsn_text = rest.substr(0, tab2);
    const auto reason =
        tab2 == std::string_view::npos ? std::string_view() : trim(rest.substr(tab2));
    TimelineSwitch sw;
    const auto [end, ec] =
        std::from_chars(tli_text.data(), tli_text.data() + tli_text.size(), sw.timeline);
    if (ec != std::errc() || end != tli_text.data() + tli_text.size() || sw.timeline == 0) {
      return bad();
    }
    const auto lsn = parse_lsn(lsn_text);
    if (!lsn) return bad();
    sw.switch_lsn = *lsn;
    sw.reason = std::string(reason);
    out.push_back(std::move(sw));
  }
  return out;
}

const char* to_string(ForkVerdict verdict) {
  switch (verdict) {
    case ForkVerdict::kNoFork: return "no fork";
    case ForkVerdict::kForked: return "forked";
    case ForkVerdict::kUnknown: return "unknown";
  }
  return "unknown";
}

ForkCheck check_fork(std::uint32_t local_timeline, std::optional<Lsn> local_last_record,
                     std::uint32_t primary_timeline,
                     const std::vector<TimelineSwitch>& primary_history) {
  if (local_timeline == primary_timeline) {
    return {ForkVerdict::kNoFork, fmt::format("same timeline {} as the primary", local_timeline)};
  }
  if (local_timeline > primary_timeline) {
    return {ForkVerdict::kForked, fmt::format("local timeline {} is newer than the primary's {}",
                                              local_timeline, primary_timeline)};
  }
  const TimelineSwitch* branch = nullptr;
  for (const auto& sw : primary_history) {
    if (sw.timeline == local_timeline) {
      branch = &sw;
      break;
    }
  }
  if (branch == nullptr) {
    return {ForkVerdict::kForked,
            fmt::format("local timeline {} is not in the history of the primary's timeline {}",
                        local_timeline, primary_timeline)};
  }
  if (!local_last_record) {
    return {ForkVerdict::kUnknown,
            fmt::format("the primary left timeline {} at {}; where local WAL ends is unknown",
                        local_timeline, to_string(branch->switch_lsn))};
  }
  // The branch point is the end of the last record the new timeline kept; a record that starts
  // there or later exists only here.
  if (*local_last_record >= branch->switch_lsn) {
    return {
        ForkVerdict::kForked,
        fmt::format("local WAL on timeline {} goes to {}, at or past {} where the "
                    "primary's history left that timeline",
                    local_timeline, to_string(*local_last_record), to_string(branch->switch_lsn))};
  }
  return {
      ForkVerdict::kNoFork,
      fmt::format("local WAL on timeline {} ends at {}, before the branch point {}", local_timeline,
                  to_string(*local_last_record), to_string(branch->switch_lsn))};
}

std::optional<Lsn> last_record_if_clean_primary(const ControlData& control) {
  if (control.state != ClusterState::kShutDown) return std::nullopt;
  return control.checkpoint_lsn;
}

}  // namespace ha::agent::pg
