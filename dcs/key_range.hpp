// A key or key range in etcd's request form (key, range_end): range_end empty = the single
// key; range_end "\0" = every key >= key; else [key, range_end). Also the prefix helper.
#pragma once

#include <string>
#include <string_view>

namespace ha::dcs {

class KeyRange {
 public:
  KeyRange() = default;
  KeyRange(std::string key, std::string range_end);

  static KeyRange single(std::string key) { return KeyRange(std::move(key), {}); }
  // Every key that starts with `prefix` (an empty prefix = every key).
  static KeyRange prefix(std::string_view prefix);

  const std::string& begin() const { return begin_; }
  // Exclusive end; meaningful only when !is_single() && !unbounded().
  const std::string& end() const { return end_; }
  bool is_single() const { return single_; }
  bool unbounded() const { return unbounded_; }
  // True for a range that can hold no key (range_end <= key).
  bool empty() const;

  bool contains(std::string_view key) const;
  // True when `key` lies past the range (iteration over sorted keys can stop).
  bool past_end(std::string_view key) const;
  bool overlaps(const KeyRange& other) const;

 private:
  std::string begin_;
  std::string end_;
  bool single_ = true;
  bool unbounded_ = false;
};

// The smallest key greater than every key with `prefix` ("" when there is none: all 0xff).
std::string prefix_end(std::string_view prefix);

}  // namespace ha::dcs
