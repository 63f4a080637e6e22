// prefix_range_end: the range_end that, sent with key = prefix, selects every key starting with
// the prefix (etcd's convention). Named apart from the server's prefix_end (dcs/key_range.hpp),
// which answers "" where the wire form needs "\0".
#pragma once

#include <string>
#include <string_view>

namespace ha::dcs {

// Increments the last byte below 0xff after dropping trailing 0xff bytes: "a/" -> "a0",
// "a\xff" -> "b". A prefix of only 0xff bytes (or empty) has no end: "\0", i.e. every key >= key.
std::string prefix_range_end(std::string_view prefix);

// range_end for "every key >= key".
inline std::string from_key_range_end() { return std::string(1, '\0'); }

}  // namespace ha::dcs
