#include "dcs/key_range.hpp"

#include <utility>

namespace ha::dcs {

KeyRange::KeyRange(std::string key, std::string range_end)
    : begin_(std::move(key)), end_(std::move(range_end)) {
  single_ = end_.empty();
  unbounded_ = end_.size() == 1 && end_[0] == '\0';
}

KeyRange KeyRange::prefix(std::string_view p) {
  std::string end = prefix_end(p);
  if (end.empty()) end.assign(1, '\0');  // no upper bound
  return KeyRange(std::string(p), std::move(end));
}

bool KeyRange::empty() const {
  if (single_ || unbounded_) return false;
  return end_ <= begin_;
}

bool KeyRange::contains(std::string_view key) const {
  if (single_) return key == begin_;
  if (key < begin_) return false;
  return unbounded_ || key < end_;
}

bool KeyRange::past_end(std::string_view key) const {
  if (single_) return key > begin_;
  if (unbounded_) return false;
  return key >= end_;
}

bool KeyRange::overlaps(const KeyRange& o) const {
  if (single_) return o.contains(begin_);
  if (o.single_) return contains(o.begin_);
  if (empty() || o.empty()) return false;
  // [a, b) and [c, d) overlap when a < d and c < b (an unbounded end is +infinity).
  const bool a_before_d = o.unbounded_ || begin_ < o.end_;
  const bool c_before_b = unbounded_ || o.begin_ < end_;
  return a_before_d && c_before_b;
}

std::string prefix_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& last = end.back();
    if (static_cast<unsigned char>(last) != 0xff) {
      last = static_cast<char>(static_cast<unsigned char>(last) + 1);
      return end;
    }
    end.pop_back();
  }
  return end;
}

}  // namespace ha::dcs
