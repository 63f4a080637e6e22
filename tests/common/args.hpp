// Args: builds an argc/argv pair from strings, for tests of command-line parsers.
#pragma once

#include <string>
#include <vector>

namespace ha::test {

class Args {
 public:
  // `words` excludes the program name, which is `program`.
  Args(std::string program, std::vector<std::string> words) : words_(std::move(words)) {
    words_.insert(words_.begin(), std::move(program));
    for (const auto& w : words_) pointers_.push_back(w.c_str());
    pointers_.push_back(nullptr);
  }
  Args(const Args&) = delete;
  Args& operator=(const Args&) = delete;

  int argc() const { return static_cast<int>(words_.size()); }
  const char* const* argv() const { return pointers_.data(); }

 private:
  std::vector<std::string> words_;
  std::vector<const char*> pointers_;
};

}  // namespace ha::test
