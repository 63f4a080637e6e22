// TempDir: a fresh directory under /tmp (mkdtemp) removed with everything in it when the test
// ends; store() is a not-yet-existing path inside it for a store to be created in.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace ha::raft::test {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/ha-raft-storage-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string store() const { return path_ + "/raft"; }

 private:
  std::string path_;
};

}  // namespace ha::raft::test
