#include "io.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>

#include "gpio.hpp"

namespace bulwark::platform {

SimulatedInputs::~SimulatedInputs() {
  for (auto& [name, input] : inputs_) ::close(input.eventFd);
}

Status SimulatedInputs::add(const std::string& name) {
  if (inputs_.contains(name)) return {};
  int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return Error{fmt::format("input {}: no eventfd: {}", name, std::strerror(errno))};
  inputs_[name].eventFd = fd;
  return {};
}

Status SimulatedInputs::set(const std::string& name, bool level) {
  auto it = inputs_.find(name);
  if (it == inputs_.end()) return Error{fmt::format("No simulated input is named {}.", name)};
  it->second.level = level;
  std::uint64_t one = 1;
  if (::write(it->second.eventFd, &one, sizeof one) != sizeof one) {
    return Error{fmt::format("input {}: cannot signal the change: {}", name, std::strerror(errno))};
  }
  return {};
}

std::map<std::string, bool> SimulatedInputs::levels() const {
  std::map<std::string, bool> out;
  for (const auto& [name, input] : inputs_) out[name] = input.level;
  return out;
}

namespace {

class SimulatedInput final : public InputDevice {
 public:
  SimulatedInput(SimulatedInputs& inputs, std::string name) : inputs_(inputs), name_(std::move(name)) {}

  Result<bool> level() override { return inputs_.level(name_); }
  int eventFd() const override { return inputs_.eventFd(name_); }
  Status consumeEvents() override {
    std::uint64_t count = 0;
    if (::read(eventFd(), &count, sizeof count) < 0 && errno != EAGAIN) {
      return Error{fmt::format("input {}: {}", name_, std::strerror(errno))};
    }
    return {};
  }

 private:
  SimulatedInputs& inputs_;
  std::string name_;
};

class GpioInput final : public InputDevice {
 public:
  explicit GpioInput(std::unique_ptr<GpioLine> line) : line_(std::move(line)) {}

  Result<bool> level() override { return line_->get(); }
  int eventFd() const override { return line_->eventFd(); }
  Status consumeEvents() override { return line_->consumeEvents(); }

 private:
  std::unique_ptr<GpioLine> line_;
};

}  // namespace

Result<std::unique_ptr<InputDevice>> openInput(const Input& input, const DevicePaths& paths,
                                               SimulatedInputs& simulated) {
  switch (input.driver.kind) {
    case Driver::Kind::Simulated: {
      if (Status s = simulated.add(input.name); !s) return Error{s.message()};
      return std::unique_ptr<InputDevice>(std::make_unique<SimulatedInput>(simulated, input.name));
    }
    case Driver::Kind::Gpio: {
      auto line = GpioLine::request(paths.dev, input.driver, GpioLine::Direction::Input, "bulwark " + input.name);
      if (!line) return Error{fmt::format("input {}: {}", input.name, line.error())};
      return std::unique_ptr<InputDevice>(std::make_unique<GpioInput>(std::move(*line)));
    }
    case Driver::Kind::Sysfs: break;  // an LED class device is no input
  }
  return Error{fmt::format("input {}: only GPIO lines and simulated inputs can be read", input.name)};
}

Result<std::unique_ptr<OutputDevice>> openOutput(const Output& output, const DevicePaths& paths,
                                                 SimulatedLeds& simulated) {
  switch (output.driver.kind) {
    case Driver::Kind::Simulated: return simulatedLed(simulated, output.name);
    case Driver::Kind::Gpio: {
      auto device = gpioLed(paths.dev, output.name, output.driver);
      if (!device) return Error{fmt::format("output {}: {}", output.name, device.error())};
      return device;
    }
    case Driver::Kind::Sysfs: break;  // nor an output: it has no contact
  }
  return Error{fmt::format("output {}: only GPIO lines and simulated outputs can be switched", output.name)};
}

}  // namespace bulwark::platform
