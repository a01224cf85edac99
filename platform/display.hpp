// The 7-segment display of a board (FL MGUARD GT/GT, reference 2.16.4.3)
// behind one small interface (STYLE.md 12): the core says which characters
// it shows ("51"; "" dark). The only backend so far is the simulated one,
// whose text is observable (SimulatedDisplay: the tests, `bulwark ctl
// leds`); the GT/GT's driver for it is not known (its board file says
// "simulated"), so a display on sysfs or GPIO is refused and the caller
// simulates it instead.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "board.hpp"
#include "common/status.hpp"

namespace bulwark::platform {

class DisplayDevice {
 public:
  virtual ~DisplayDevice() = default;
  // Shows `text` (as many characters as the display has digits; "" darkens it).
  virtual Status show(const std::string& text) = 0;
};

// The observable text of a simulated display.
class SimulatedDisplay {
 public:
  using Observer = std::function<void(const std::string& text)>;
  void observe(Observer observer) { observer_ = std::move(observer); }
  const std::string& text() const { return text_; }
  void update(const std::string& text);

 private:
  std::string text_;
  Observer observer_;
};

std::unique_ptr<DisplayDevice> simulatedDisplay(SimulatedDisplay& display, unsigned digits);

// The backend of `display` as its board says.
Result<std::unique_ptr<DisplayDevice>> openDisplay(const Display& display, SimulatedDisplay& simulated);

}  // namespace bulwark::platform
