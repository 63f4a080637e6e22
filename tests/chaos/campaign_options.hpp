// walk_options: the command-line loop both chaos campaigns share: "--key [value]" arguments in
// order, the first problem as one line.
#pragma once

#include <functional>
#include <string>

namespace ha::chaos {

// Consumes and returns the option's value (the next argument).
using OptionValue = std::function<std::string()>;

// Calls `take(key, value)` for each argument. `value()` records "KEY needs a value" when there
// is no next argument; `take` returns false for an option it does not know ("unknown option
// KEY"); an exception from it (a number that does not parse) becomes "bad value for KEY".
// Stops at the first problem and returns it; "" when every argument was taken.
std::string walk_options(int argc, char** argv,
                         const std::function<bool(const std::string& key, const OptionValue& value)>& take);

}  // namespace ha::chaos
