#include "init/watchdog.hpp"

#include <fcntl.h>
#include <linux/watchdog.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace bulwark::init {

using std::chrono::seconds;

LinuxWatchdogDevice::~LinuxWatchdogDevice() {
  if (fd_ >= 0) ::close(fd_);
}

Result<seconds> LinuxWatchdogDevice::arm(seconds timeout) {
  if (fd_ >= 0) return Error{fmt::format("watchdog {}: already armed", name())};
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd_ < 0) return Error{fmt::format("watchdog {}: {}", name(), std::strerror(errno))};
  int value = static_cast<int>(timeout.count());
  if (::ioctl(fd_, WDIOC_SETTIMEOUT, &value) != 0) {
    int setError = errno;
    // A driver with a fixed timeout refuses to set one: the one in force will do.
    value = 0;
    if (::ioctl(fd_, WDIOC_GETTIMEOUT, &value) != 0 || value <= 0) {
      (void)disarm();
      return Error{fmt::format("watchdog {}: cannot set a timeout ({}); left disarmed", name(), std::strerror(setError))};
    }
  }
  return seconds(value);
}

Status LinuxWatchdogDevice::keepAlive() {
  if (fd_ < 0) return Error{fmt::format("watchdog {}: not armed", name())};
  int unused = 0;
  if (::ioctl(fd_, WDIOC_KEEPALIVE, &unused) != 0) {
    return Error{fmt::format("watchdog {}: keep-alive: {}", name(), std::strerror(errno))};
  }
  return {};
}

Status LinuxWatchdogDevice::disarm() {
  if (fd_ < 0) return {};
  bool written = ::write(fd_, "V", 1) == 1;
  int writeError = errno;
  ::close(fd_);
  fd_ = -1;
  if (!written) return Error{fmt::format("watchdog {}: magic close: {}", name(), std::strerror(writeError))};
  return {};
}

WatchdogKeeper::WatchdogKeeper(runtime::Timers& timers, log::Log& log, WatchdogDevice& device, seconds timeout,
                               seconds interval)
    : timers_(timers), log_(log), device_(device), timeout_(timeout), interval_(interval) {}

WatchdogKeeper::~WatchdogKeeper() {
  if (timer_ != 0) timers_.cancel(timer_);
}

Status WatchdogKeeper::start() {
  auto taken = device_.arm(timeout_);
  if (!taken) return taken.status();
  timeout_ = *taken;
  interval_ = std::min(interval_, std::max(seconds(1), timeout_ / 3));
  log_.write("init", fmt::format("watchdog {} armed, timeout {} s", device_.name(), timeout_.count()));
  kick();
  return {};
}

void WatchdogKeeper::kick() {
  Status s = device_.keepAlive();
  if (!s && !kickFailed_) log_.write("init", s.message());
  kickFailed_ = !s;
  timer_ = timers_.after(interval_, [this] { kick(); });
}

}  // namespace bulwark::init
