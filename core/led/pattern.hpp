// The lighting and blinking patterns of reference table 12-2 as data: a
// cycle of on and off steps that repeats from a start instant, shifted by an
// offset (the three LEDs of the running light are one cycle at three
// offsets) and optionally ending after a while ("ON (n sec)", then off).
// Whether an LED is lit at t is a pure function of (pattern, start, t), and
// so is the next instant it changes: nothing is carried from one tick to the
// next, so a timer that fires late does not shift the pattern, and LEDs with
// the same start stay in phase for as long as they run.
//
// Timings. The reference gives the blinks (50/1500, 50/800, 50/100, 500/500
// ms) and nothing else; where it is silent:
// - heartbeat: Linux's heartbeat LED trigger at rest (ledtrig-heartbeat.c,
//   load 0): on 70, off 245, on 70, off 875 ms, a period of 1260 ms. Fixed
//   here, not load-dependent, so that it stays a pure function of time.
// - Morse SOS: the proportions of ITU-R M.1677-1 (dot 1 unit, dash 3, gap
//   within a letter 1, between letters 3, between words 7) with a unit of
//   200 ms: "... --- ..." and a word gap, 34 units = 6.8 s a cycle.
// - running light: 200 ms on each LED, left, middle, right, middle, left...:
//   800 ms a cycle.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::led {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;
using Millis = std::chrono::milliseconds;

struct Step {
  bool on = false;
  Millis length{0};  // > 0
  bool operator==(const Step&) const = default;
};

struct Pattern {
  // What `bulwark ctl leds` shows: "off", "on", "heartbeat", "blink 50/1500",
  // "sos", "running light", "on (12 s)".
  std::string name;
  // Repeated from the start, first step first. Empty: the LED stays at `steady`.
  std::vector<Step> cycle;
  bool steady = false;
  // At the start, the cycle is already this far in.
  Millis offset{0};
  // The pattern ends this long after its start (the LED is off from then
  // on); nullopt: it runs for as long as it is shown.
  std::optional<Millis> lasts;

  bool operator==(const Pattern&) const = default;
};

// Table 12-2.
Pattern off();
Pattern on();
Pattern heartbeat();
Pattern blink(Millis on, Millis off);  // "Blink 50/1500": blink(50ms, 1500ms)
Pattern sos();
// One LED of the running light: position 0, 1 or 2 from left to right.
Pattern runningLight(unsigned position);
// `pattern` for `duration` after its start, then off: "ON (n sec)" is
// lasting(on(), n), "Blink 50/100 (5 sec)" lasting(blink(50ms, 100ms), 5s).
Pattern lasting(Pattern pattern, Millis duration);

// A Morse code cycle from dots, dashes and single spaces between letters
// ("... --- ..."), followed by the gap between words; `unit` is a dot.
Pattern morse(std::string_view name, std::string_view code, Millis unit);

// Whether `pattern`, started at `start`, has ended by `t` (only patterns
// with `lasts` end). Instants before `start` count as `start`.
bool ended(const Pattern& pattern, TimePoint start, TimePoint t);

// Whether the LED is lit at `t`.
bool levelAt(const Pattern& pattern, TimePoint start, TimePoint t);

// The first instant after `t` at which the level differs from levelAt(t);
// nullopt when it never changes again (steady, or ended).
std::optional<TimePoint> nextChange(const Pattern& pattern, TimePoint start, TimePoint t);

}  // namespace bulwark::led
