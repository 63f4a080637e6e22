#include "tests/chaos/campaign_options.hpp"

namespace ha::chaos {

std::string walk_options(int argc, char** argv,
                         const std::function<bool(const std::string& key, const OptionValue& value)>& take) {
  std::string err;
  for (int i = 1; i < argc && err.empty(); ++i) {
    const std::string k = argv[i];
    const OptionValue value = [&]() -> std::string {
      if (i + 1 >= argc) {
        err = k + " needs a value";
        return {};
      }
      return argv[++i];
    };
    try {
      if (!take(k, value)) err = "unknown option " + k;
    } catch (...) {
      err = "bad value for " + k;
    }
  }
  return err;
}

}  // namespace ha::chaos
