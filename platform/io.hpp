// The switching inputs and outputs of a board (reference table 3-5): the
// service contacts CMD1-CMD3 and the mode button, the outputs ACK1, ACK2
// and the alarm output (O3 on mGuard 10, FAULT on mGuard 8), behind small
// interfaces (STYLE.md 12) with a GPIO backend (gpio.hpp) and a simulated
// one whose inputs are set by hand (tests, `bulwark ctl input`).
//
// An input is read when its descriptor says it may have changed: the owner
// waits for it on its loop, consumes the events and reads the level, so the
// simulated and the GPIO inputs take the same path. An output is switched
// like an LED (on, off, and blinking where a VPN connection's ACK blinks,
// 12.1), so it is a LedDevice; simulated outputs are observed as simulated
// LEDs are.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "board.hpp"
#include "common/status.hpp"
#include "led.hpp"

namespace bulwark::platform {

class InputDevice {
 public:
  virtual ~InputDevice() = default;
  // True while the contact is closed (a button held, a switch on).
  virtual Result<bool> level() = 0;
  // A descriptor that is readable while the level may have changed (owned
  // by the device).
  virtual int eventFd() const = 0;
  // Reads what made eventFd() readable, without blocking.
  virtual Status consumeEvents() = 0;
};

using OutputDevice = LedDevice;

// The simulated inputs of a board: their levels, set by hand.
class SimulatedInputs {
 public:
  SimulatedInputs() = default;
  SimulatedInputs(const SimulatedInputs&) = delete;
  SimulatedInputs& operator=(const SimulatedInputs&) = delete;
  ~SimulatedInputs();

  // Closes or opens the simulated contact `name`; the error (an input that
  // is not simulated) changes nothing.
  Status set(const std::string& name, bool level);
  // The inputs opened so far and their levels, by name.
  std::map<std::string, bool> levels() const;

  // What the backend calls.
  Status add(const std::string& name);
  bool level(const std::string& name) const { return inputs_.at(name).level; }
  int eventFd(const std::string& name) const { return inputs_.at(name).eventFd; }

 private:
  struct Input {
    bool level = false;
    int eventFd = -1;  // an eventfd, written on every change
  };
  std::map<std::string, Input> inputs_;
};

// The backend of `input` as its board says.
Result<std::unique_ptr<InputDevice>> openInput(const Input& input, const DevicePaths& paths,
                                               SimulatedInputs& simulated);
// The backend of `output` as its board says; simulated outputs show in
// `simulated` by their names (a set of their own, not the LEDs': on mGuard 8
// boards an LED and the alarm output are both named FAULT).
Result<std::unique_ptr<OutputDevice>> openOutput(const Output& output, const DevicePaths& paths,
                                                 SimulatedLeds& simulated);

}  // namespace bulwark::platform
