// The dynamic config edits of `hactl edit-config` (and pause/resume): --set key.path=value and
// --pg name=value with YAML-typed values (an empty value removes the key), --apply as a JSON
// merge patch, the unified diff of the YAML before and after, and the validation that refuses
// only the problems the change would introduce. Pure: reading and writing the key is elsewhere.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ha::ctl {

// Sets the dotted `path` (postgresql.parameters.<name> keeps dots in <name>) to the YAML value
// `value_text`; "" or null removes the key. "" on success, else one line.
std::string set_config_value(nlohmann::json& config, const std::string& path,
                             const std::string& value_text);

// A YAML or JSON document (file contents) as JSON; `source` names it in errors.
std::string parse_config_document(const std::string& text, const std::string& source,
                                  nlohmann::json& out);

// Lines of a unified diff between the configs as YAML ("" when they are the same), with 3
// lines of context; red/green when `colour`.
std::string render_config_diff(const nlohmann::json& before, const nlohmann::json& after,
                               bool colour);

struct ConfigCheck {
  std::vector<std::string> new_errors;  // refuse the change
  std::vector<std::string> old_errors;  // were there before: warn only
};
// parse_dynamic_config on both; errors of `after` that `before` had too are old.
ConfigCheck check_config_change(const nlohmann::json& before, const nlohmann::json& after);

}  // namespace ha::ctl
