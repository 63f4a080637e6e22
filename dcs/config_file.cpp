#include "dcs/config_file.hpp"

#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace ha::dcs {

std::string apply_yaml_config(CLI::App& app, const std::string& path) {
  const std::string where = "config file '" + path + "'";
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return where + " is a directory";
  std::ifstream in(path);
  if (!in) return "cannot read " + where + ": " + std::strerror(errno);

  YAML::Node root;
  try {
    root = YAML::Load(in);
  } catch (const YAML::Exception& e) {
    return where + ": " + e.what();
  }
  if (root.IsNull()) return {};  // an empty file sets nothing
  if (!root.IsMap()) return where + ": expected a map of option names to values";

  for (const auto& item : root) {
    if (!item.first.IsScalar()) return where + ": keys must be option names";
    const std::string key = item.first.Scalar();
    CLI::Option* opt = app.get_option_no_throw("--" + key);
    if (opt == nullptr || !opt->get_configurable() || key == "help" || key == "version") {
      return where + ": unknown key '" + key + "' (keys are the long option names, e.g. data-dir)";
    }
    if (opt->count() > 0) continue;  // given on the command line

    std::string value;
    const YAML::Node& v = item.second;
    if (v.IsScalar()) {
      value = v.Scalar();
    } else if (v.IsSequence()) {
      for (const auto& element : v) {
        if (!element.IsScalar()) return where + ": " + key + ": list items must be plain values";
        if (!value.empty()) value += ',';
        value += element.Scalar();
      }
    } else {
      return where + ": " + key + ": expected a value or a list of values";
    }
    try {
      opt->add_result(value);
      opt->run_callback();
    } catch (const CLI::ParseError& e) {
      return where + ": " + key + ": " + e.what();
    }
  }
  return {};
}

}  // namespace ha::dcs
