// Watchdog: the Linux watchdog device (/dev/watchdog), used as Patroni does — opened with a
// timeout when this member starts leading, kept alive with every lock refresh, and closed with
// the magic character when it stops leading. If the agent and its fence guard both hang, the
// machine resets before the lock can expire. Mode off: never used; automatic: used when the
// device is there; required: a member without a usable device does not take the lock.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "agent/config.hpp"

namespace ha::agent {

class Watchdog {
 public:
  Watchdog(WatchdogMode mode, std::string device);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // The device can be opened for writing (checked without opening it: opening starts it).
  bool usable() const { return usable_; }
  // Why it is not usable, for the log.
  const std::string& problem() const { return problem_; }

  // Opens the device with this timeout (rounded up to whole seconds). "" or why not.
  std::string activate(std::chrono::milliseconds timeout);
  void keepalive();
  // Magic close: the device stops counting.
  void deactivate();
  bool active() const;

 private:
  WatchdogMode mode_;
  std::string device_;
  bool usable_ = false;
  std::string problem_;
  mutable std::mutex mu_;
  int fd_ = -1;
};

}  // namespace ha::agent
