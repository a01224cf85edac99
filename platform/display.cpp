#include "display.hpp"

#include <fmt/format.h>

namespace bulwark::platform {

void SimulatedDisplay::update(const std::string& text) {
  if (text == text_) return;
  text_ = text;
  if (observer_) observer_(text_);
}

namespace {

class Simulated final : public DisplayDevice {
 public:
  Simulated(SimulatedDisplay& display, unsigned digits) : display_(display), digits_(digits) {}
  Status show(const std::string& text) override {
    if (text.size() > digits_) return Error{fmt::format("the display has {} digits, not enough for \"{}\"", digits_, text)};
    display_.update(text);
    return {};
  }

 private:
  SimulatedDisplay& display_;
  unsigned digits_;
};

}  // namespace

std::unique_ptr<DisplayDevice> simulatedDisplay(SimulatedDisplay& display, unsigned digits) {
  return std::make_unique<Simulated>(display, digits);
}

Result<std::unique_ptr<DisplayDevice>> openDisplay(const Display& display, SimulatedDisplay& simulated) {
  if (display.driver.kind != Driver::Kind::Simulated) {
    return Error{"7-segment display: no backend drives one on sysfs or GPIO yet"};
  }
  return simulatedDisplay(simulated, display.digits);
}

}  // namespace bulwark::platform
