// TempFile: a file with given contents in the temp directory, removed when the object dies.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>

namespace ha::test {

class TempFile {
 public:
  explicit TempFile(const std::string& contents, const std::string& suffix = ".yml") {
    static std::atomic<int> counter{0};
    path_ = (std::filesystem::temp_directory_path() /
             ("ha-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + suffix))
                .string();
    std::ofstream(path_) << contents;
  }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace ha::test
