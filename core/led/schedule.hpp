// What a set of LEDs shows at one instant, and when the next of them
// changes: the core drives every LED from one timer set to that instant,
// and the simulated board and `bulwark ctl leds` read the same frame.
//
// Each LED has runs (a pattern and its start), most important first; it
// shows the first run that has not ended, and is off when all have. So a run
// "ON (3 sec)" over a heartbeat lights the LED for three seconds, then hands
// it back to the heartbeat, which has kept its phase meanwhile. Pure: the
// frame is a function of the plans and the instant.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "led/pattern.hpp"

namespace bulwark::led {

struct Run {
  Pattern pattern;
  TimePoint start;
};

struct LedPlan {
  std::string led;        // "STAT"
  std::vector<Run> runs;  // most important first
};

struct LedState {
  std::string led;
  bool on = false;
  std::string pattern;  // the name of the run shown, "off" when none
  bool operator==(const LedState&) const = default;
};

struct Frame {
  std::vector<LedState> leds;  // in the order of the plans
  // The first instant after the frame's at which any LED's level changes;
  // nullopt when none ever does.
  std::optional<TimePoint> next;
};

Frame frameAt(std::span<const LedPlan> plans, TimePoint t);

}  // namespace bulwark::led
