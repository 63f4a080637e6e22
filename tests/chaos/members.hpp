// Members: the hadcs processes of a campaign, one per node namespace (started through
// `ip netns exec`, which execs in place, so the PID we hold is hadcs's own), with the faults
// that act on processes: kill -9 and restart, SIGSTOP and SIGCONT, and a check that no member
// died on its own. Every process it started is killed by PID when it is destroyed.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "tests/chaos/network.hpp"

namespace ha::chaos {

class Members {
 public:
  Members(const Network& net, std::string hadcs, std::string work_dir, std::string token);
  ~Members();
  Members(const Members&) = delete;
  Members& operator=(const Members&) = delete;

  int size() const { return static_cast<int>(m_.size()); }
  void start(int i);
  void start_all();
  void kill9(int i);  // SIGKILL and reap
  void pause(int i);  // SIGSTOP
  void resume(int i);  // SIGCONT
  void resume_all();
  // Copies member i's data folder aside (it must not be running: a consistent copy).
  void save_copy(int i);
  bool has_copy(int i) const;
  // kill -9 member i and replace its data folder with the saved copy; false without a copy.
  bool rollback(int i);
  void stop_all();  // SIGCONT + SIGTERM, SIGKILL after 10 s
  bool running(int i) const { return m_.at(static_cast<std::size_t>(i)).pid > 0; }
  bool paused(int i) const { return m_.at(static_cast<std::size_t>(i)).paused; }
  // Members that exited although we did not kill them: "n2 exited with code 134"; each is
  // reported once and counts as not running afterwards.
  std::vector<std::string> reap_unexpected();
  std::string endpoint(int i) const { return net_.ip(i) + ":2379"; }
  std::string metrics_url(int i) const { return "http://" + net_.ip(i) + ":2381"; }
  std::string log_path(int i) const;
  std::string data_dir(int i) const;

 private:
  struct M {
    pid_t pid = -1;
    bool paused = false;
  };
  const Network& net_;
  std::string hadcs_, work_, token_;
  std::vector<M> m_;
};

}  // namespace ha::chaos
