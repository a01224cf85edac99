#include "led.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "gpio.hpp"

namespace bulwark::platform {

void SimulatedLeds::update(const std::string& led, State state) {
  State& current = states_[led];
  if (current == state) return;
  current = state;
  if (observer_) observer_(led, current);
}

namespace {

class SimulatedLed final : public LedDevice {
 public:
  SimulatedLed(SimulatedLeds& leds, std::string name, bool acceptsBlink)
      : leds_(leds), name_(std::move(name)), acceptsBlink_(acceptsBlink) {
    leds_.add(name_);
  }

  Status set(bool on) override {
    leds_.update(name_, {on, std::nullopt});
    return {};
  }

  Result<bool> blink(std::chrono::milliseconds on, std::chrono::milliseconds off) override {
    if (!acceptsBlink_) return false;
    leds_.update(name_, {true, std::pair{on, off}});
    return true;
  }

 private:
  SimulatedLeds& leds_;
  std::string name_;
  bool acceptsBlink_;
};

// One write to a sysfs attribute (which exists; in a test directory it is
// created).
Status writeAttribute(const std::filesystem::path& path, std::string_view value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Error{fmt::format("cannot write {}: {}", path.string(), std::strerror(errno))};
  ssize_t written = ::write(fd, value.data(), value.size());
  int error = errno;
  ::close(fd);
  if (written != static_cast<ssize_t>(value.size())) {
    return Error{fmt::format("cannot write {}: {}", path.string(), written < 0 ? std::strerror(error) : "short write")};
  }
  return {};
}

class SysfsLed final : public LedDevice {
 public:
  SysfsLed(std::filesystem::path root, const std::string& name) : dir_(std::move(root) / name) {}

  Status set(bool on) override {
    if (blinking_) {
      // Without its trigger the LED keeps the brightness written next.
      if (Status s = writeAttribute(dir_ / "trigger", "none"); !s) return s;
      blinking_ = false;
    }
    return writeAttribute(dir_ / "brightness", on ? maxBrightness() : "0");
  }

  Result<bool> blink(std::chrono::milliseconds on, std::chrono::milliseconds off) override {
    // The timer trigger makes delay_on and delay_off appear; writing them
    // (re)starts the blink.
    if (Status s = writeAttribute(dir_ / "trigger", "timer"); !s) return Error{s.message()};
    blinking_ = true;
    if (Status s = writeAttribute(dir_ / "delay_on", std::to_string(on.count())); !s) return Error{s.message()};
    if (Status s = writeAttribute(dir_ / "delay_off", std::to_string(off.count())); !s) return Error{s.message()};
    return true;
  }

 private:
  // The brightness of "on": max_brightness as the driver says, 1 if unreadable.
  const std::string& maxBrightness() {
    if (max_.empty()) {
      std::ifstream in(dir_ / "max_brightness");
      unsigned value = 0;
      max_ = (in >> value) && value > 0 ? std::to_string(value) : "1";
    }
    return max_;
  }

  std::filesystem::path dir_;
  std::string max_;
  bool blinking_ = true;  // unknown at first: whatever trigger the kernel set is ended on the first set()
};

class GpioLed final : public LedDevice {
 public:
  explicit GpioLed(std::unique_ptr<GpioLine> line) : line_(std::move(line)) {}

  Status set(bool on) override { return line_->set(on); }
  Result<bool> blink(std::chrono::milliseconds, std::chrono::milliseconds) override { return false; }

 private:
  std::unique_ptr<GpioLine> line_;
};

}  // namespace

std::unique_ptr<LedDevice> simulatedLed(SimulatedLeds& leds, const std::string& name, bool acceptsBlink) {
  return std::make_unique<SimulatedLed>(leds, name, acceptsBlink);
}

std::unique_ptr<LedDevice> sysfsLed(std::filesystem::path root, const std::string& name) {
  return std::make_unique<SysfsLed>(std::move(root), name);
}

Result<std::unique_ptr<LedDevice>> gpioLed(const std::filesystem::path& devDir, const std::string& name,
                                           const Driver& driver) {
  auto line = GpioLine::request(devDir, driver, GpioLine::Direction::Output, "bulwark " + name);
  if (!line) return Error{line.error()};
  return std::unique_ptr<LedDevice>(std::make_unique<GpioLed>(std::move(*line)));
}

Result<std::unique_ptr<LedDevice>> openLed(const Led& led, const DevicePaths& paths, SimulatedLeds& simulated) {
  switch (led.driver.kind) {
    case Driver::Kind::Simulated: return simulatedLed(simulated, led.name);
    case Driver::Kind::Sysfs: {
      std::error_code ec;
      if (!std::filesystem::is_directory(paths.sysfsLeds / led.driver.name, ec)) {
        return Error{fmt::format("LED {}: no {}", led.name, (paths.sysfsLeds / led.driver.name).string())};
      }
      return sysfsLed(paths.sysfsLeds, led.driver.name);
    }
    case Driver::Kind::Gpio: {
      auto device = gpioLed(paths.dev, led.name, led.driver);
      if (!device) return Error{fmt::format("LED {}: {}", led.name, device.error())};
      return device;
    }
  }
  return Error{"unknown LED driver"};
}

}  // namespace bulwark::platform
