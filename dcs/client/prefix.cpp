#include "dcs/client/prefix.hpp"

namespace ha::dcs {

std::string prefix_range_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto last = static_cast<unsigned char>(end.back());
    if (last < 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return from_key_range_end();
}

}  // namespace ha::dcs
