// The LEDs of a board behind one small interface (STYLE.md 12): the core
// says on, off, or "blink on/off" and a backend does it. Backends:
// - sysfs: the Linux LED class, /sys/class/leds/<name>/brightness; a simple
//   two-step blink is handed to the kernel's `timer` trigger (delay_on,
//   delay_off in ms), so that the core's loop need not wake for it. The
//   kernel keeps its own phase for such a blink.
// - simulated: no hardware; its state is observable (SimulatedLeds), for the
//   sim and qemu boards and the tests.
// - gpio: a GPIO line (gpio.hpp), lit while active; it cannot blink by
//   itself, so the core's timer switches it.
// Writes to sysfs attributes are short and do not sleep, so they are made on
// the loop (as phosphor-led-sysfs does).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "board.hpp"
#include "common/status.hpp"

namespace bulwark::platform {

class LedDevice {
 public:
  virtual ~LedDevice() = default;
  // Lights or darkens the LED (and ends a blink handed over before).
  virtual Status set(bool on) = 0;
  // Hands "on for `on`, off for `off`, repeated", starting lit, to the
  // hardware. false, and nothing changed, where the backend cannot; the
  // caller then switches the LED itself.
  virtual Result<bool> blink(std::chrono::milliseconds on, std::chrono::milliseconds off) = 0;
};

// The observable state of the simulated LEDs of a board.
class SimulatedLeds {
 public:
  struct State {
    bool on = false;
    // The blink handed over (on, off), if any.
    std::optional<std::pair<std::chrono::milliseconds, std::chrono::milliseconds>> blink;
    bool operator==(const State&) const = default;
  };
  using Observer = std::function<void(const std::string& led, const State& state)>;

  // Called on every change, after it is made.
  void observe(Observer observer) { observer_ = std::move(observer); }
  // The LEDs opened so far, by name.
  const std::map<std::string, State>& states() const { return states_; }

  // What the simulated LED `led` does (the backend calls these).
  void add(const std::string& led) { states_.try_emplace(led); }
  void update(const std::string& led, State state);

 private:
  std::map<std::string, State> states_;
  Observer observer_;
};

// A simulated LED; `acceptsBlink` says whether it takes blinks as the
// kernel's timer trigger does (the tests of both ways of driving).
std::unique_ptr<LedDevice> simulatedLed(SimulatedLeds& leds, const std::string& name, bool acceptsBlink = false);

// The LED class device `name` under `root` (/sys/class/leds on a device, a
// directory laid out the same way in tests).
std::unique_ptr<LedDevice> sysfsLed(std::filesystem::path root, const std::string& name);

// A LED on GPIO line `driver.line` of the chip `devDir`/`driver.chip`
// (devDir is /dev on a device); the error says why it cannot be requested.
Result<std::unique_ptr<LedDevice>> gpioLed(const std::filesystem::path& devDir, const std::string& name,
                                           const Driver& driver);

// Where the backends find the devices: /sys/class/leds and /dev on a
// device, directories laid out the same way in tests.
struct DevicePaths {
  std::filesystem::path sysfsLeds = "/sys/class/leds";
  std::filesystem::path dev = "/dev";
};

// The backend of `led` as its board says; a simulated LED for a driver that
// is "simulated".
Result<std::unique_ptr<LedDevice>> openLed(const Led& led, const DevicePaths& paths, SimulatedLeds& simulated);

}  // namespace bulwark::platform
