// The board's hardware watchdog (PID 1 on a board that has one): opened and
// armed with a timeout when the core starts, then kicked from a timer on the
// loop, so that a loop that hangs resets the device. The device belongs to
// PID 1 and outlives the core: through the shutdown it stays armed (a
// shutdown that hangs resets the device too); before a power-off PID 1
// disarms it with the magic close, before a reboot it leaves it armed.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "common/status.hpp"
#include "log/log.hpp"
#include "runtime/timers.hpp"

namespace bulwark::init {

// The kernel's watchdog interface (linux/watchdog.h), behind a narrow
// interface so that the keeping is testable without hardware.
class WatchdogDevice {
 public:
  virtual ~WatchdogDevice() = default;
  virtual std::string name() const = 0;
  // Opens the device (which starts the watchdog) and asks for `timeout`;
  // returns the timeout the driver took. On an error the device is left
  // disarmed.
  virtual Result<std::chrono::seconds> arm(std::chrono::seconds timeout) = 0;
  virtual Status keepAlive() = 0;
  // The magic close: the watchdog stops. Nothing when it is not armed.
  virtual Status disarm() = 0;
};

// A watchdog device node such as /dev/watchdog. Destroying it closes the
// device without the magic close: an armed watchdog stays armed.
class LinuxWatchdogDevice final : public WatchdogDevice {
 public:
  explicit LinuxWatchdogDevice(std::filesystem::path path) : path_(std::move(path)) {}
  ~LinuxWatchdogDevice() override;
  LinuxWatchdogDevice(const LinuxWatchdogDevice&) = delete;
  LinuxWatchdogDevice& operator=(const LinuxWatchdogDevice&) = delete;
  std::string name() const override { return path_.string(); }
  Result<std::chrono::seconds> arm(std::chrono::seconds timeout) override;
  Status keepAlive() override;
  Status disarm() override;

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

// Arms the device and kicks it every `interval` on the loop (more often when
// the driver took a timeout shorter than three intervals). start() logs,
// with tag "init", "watchdog /dev/watchdog armed, timeout 30 s", or returns
// why it could not; a kick that fails is logged once, until one succeeds
// again. Destroying it stops the kicking only.
class WatchdogKeeper {
 public:
  static constexpr std::chrono::seconds kTimeout{30};
  static constexpr std::chrono::seconds kInterval{5};

  WatchdogKeeper(runtime::Timers& timers, log::Log& log, WatchdogDevice& device,
                 std::chrono::seconds timeout = kTimeout, std::chrono::seconds interval = kInterval);
  ~WatchdogKeeper();
  WatchdogKeeper(const WatchdogKeeper&) = delete;
  WatchdogKeeper& operator=(const WatchdogKeeper&) = delete;

  Status start();

 private:
  void kick();

  runtime::Timers& timers_;
  log::Log& log_;
  WatchdogDevice& device_;
  std::chrono::seconds timeout_;
  std::chrono::seconds interval_;
  runtime::Timers::Id timer_ = 0;
  bool kickFailed_ = false;
};

}  // namespace bulwark::init
