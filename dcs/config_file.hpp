// Applies a flat YAML file of "option-name: value" to a parsed CLI11 app, so that hadcs's config
// file uses exactly the long option names. Values already given on the command line win.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace ha::dcs {

// Each key is a long option name without "--" (e.g. `data-dir: /var/lib/hadcs`); a value is a
// scalar or a list of scalars (joined with commas). Returns an empty string when applied, else
// one line saying what is wrong (unreadable file, bad YAML, unknown key, bad value).
std::string apply_yaml_config(CLI::App& app, const std::string& path);

}  // namespace ha::dcs
