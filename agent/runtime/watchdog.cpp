#include "agent/runtime/watchdog.hpp"

#include <fcntl.h>
#include <linux/watchdog.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dcs/client/log.hpp"

namespace ha::agent {

namespace {
constexpr std::string_view kLog = "watchdog";
}

Watchdog::Watchdog(WatchdogMode mode, std::string device) : mode_(mode), device_(std::move(device)) {
  if (mode_ == WatchdogMode::off) {
    problem_ = "watchdog.mode is off";
  } else if (::access(device_.c_str(), W_OK) != 0) {
    problem_ = "the watchdog device " + device_ + " cannot be written (" + std::strerror(errno) +
               "); load a watchdog driver (e.g. softdog) and give the agent's user access";
  } else {
    usable_ = true;
  }
}

Watchdog::~Watchdog() { deactivate(); }

std::string Watchdog::activate(std::chrono::milliseconds timeout) {
  std::lock_guard lock(mu_);
  if (!usable_ || fd_ >= 0) return {};
  fd_ = ::open(device_.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd_ < 0) return "cannot open " + device_ + ": " + std::strerror(errno);
  int seconds = static_cast<int>((timeout.count() + 999) / 1000);
  if (::ioctl(fd_, WDIOC_SETTIMEOUT, &seconds) != 0) {
    log_warn(kLog, "{} did not accept a timeout of {} s: {}", device_, seconds, std::strerror(errno));
  }
  log_info(kLog, "{} active, timeout {} s", device_, seconds);
  return {};
}

void Watchdog::keepalive() {
  std::lock_guard lock(mu_);
  if (fd_ < 0) return;
  int dummy = 0;
  if (::ioctl(fd_, WDIOC_KEEPALIVE, &dummy) != 0) {
    // Some drivers only take writes.
    if (::write(fd_, "1", 1) != 1) log_warn(kLog, "keepalive to {} failed: {}", device_, std::strerror(errno));
  }
}

void Watchdog::deactivate() {
  std::lock_guard lock(mu_);
  if (fd_ < 0) return;
  if (::write(fd_, "V", 1) != 1) log_warn(kLog, "magic close of {} failed: {}", device_, std::strerror(errno));
  ::close(fd_);
  fd_ = -1;
  log_info(kLog, "{} closed", device_);
}

bool Watchdog::active() const {
  std::lock_guard lock(mu_);
  return fd_ >= 0;
}

}  // namespace ha::agent
