#include "ctl/prompt.hpp"

#include <algorithm>
#include <cctype>
#include <istream>

namespace ha::ctl {

std::optional<std::string> ask(Context& ctx, const std::string& question) {
  ctx.out << question << ' ';
  ctx.out.flush();
  std::string line;
  if (ctx.in == nullptr || !std::getline(*ctx.in, line)) {
    ctx.out << '\n';
    return std::nullopt;
  }
  const auto first = line.find_first_not_of(" \t\r");
  const auto last = line.find_last_not_of(" \t\r");
  return first == std::string::npos ? std::string() : line.substr(first, last - first + 1);
}

bool confirm(Context& ctx, const std::string& question) {
  auto answer = ask(ctx, question + " [y/N]:");
  if (!answer) return false;
  std::transform(answer->begin(), answer->end(), answer->begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return *answer == "y" || *answer == "yes";
}

}  // namespace ha::ctl
