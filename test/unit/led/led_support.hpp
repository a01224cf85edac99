// Helpers of the LED tests: a fake monotonic clock, the on/off edges of a
// pattern found two independent ways, by following nextChange and by
// sampling levelAt every millisecond, so that each checks the other, and
// what the LEDs of a set show for asserted conditions.
#pragma once

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "led/pattern.hpp"
#include "led/states.hpp"

namespace bulwark::led::test {

using namespace std::chrono_literals;

// A monotonic clock that moves only when told to, far from its epoch so that
// nothing can get away with assuming a start at zero.
struct FakeClock {
  TimePoint now = TimePoint{} + 1000h;
  void advance(Duration d) { now += d; }
};

// The level becomes `on` `ms` after the start (the first edge, at 0, is the
// initial level).
struct Edge {
  long ms = 0;
  bool on = false;
  bool operator==(const Edge&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Edge& e) { return os << (e.on ? "on@" : "off@") << e.ms; }

inline long msSince(TimePoint start, TimePoint t) {
  return static_cast<long>(std::chrono::duration_cast<Millis>(t - start).count());
}

// The edges in [start, start + untilMs), by following nextChange.
inline std::vector<Edge> edgesByNextChange(const Pattern& p, TimePoint start, long untilMs) {
  std::vector<Edge> edges{{0, levelAt(p, start, start)}};
  TimePoint t = start;
  while (auto next = nextChange(p, start, t)) {
    if (msSince(start, *next) >= untilMs) break;
    t = *next;
    edges.push_back({msSince(start, t), levelAt(p, start, t)});
  }
  return edges;
}

// The same, by looking at every millisecond.
inline std::vector<Edge> edgesBySampling(const Pattern& p, TimePoint start, long untilMs) {
  std::vector<Edge> edges{{0, levelAt(p, start, start)}};
  for (long ms = 1; ms < untilMs; ++ms) {
    bool on = levelAt(p, start, start + Millis(ms));
    if (on != edges.back().on) edges.push_back({ms, on});
  }
  return edges;
}

// The edges of `periods` repetitions of a cycle given as alternating on and
// off lengths in milliseconds, starting on.
inline std::vector<Edge> repeated(std::vector<long> onOff, int periods) {
  std::vector<Edge> edges;
  long at = 0;
  for (int i = 0; i < periods; ++i) {
    for (std::size_t k = 0; k < onOff.size(); ++k) {
      edges.push_back({at, k % 2 == 0});
      at += onOff[k];
    }
  }
  return edges;
}

// The LEDs of a set from `t0` on a fake clock, and its conditions.
struct LedsOf {
  explicit LedsOf(const LedSet& s) : set(s) {}
  const LedSet& set;
  FakeClock clock;
  TimePoint t0 = clock.now;
  Conditions conditions;

  // What it shows at `t`: "LED pattern" for each LED with a pattern, in the order of the set.
  std::string shows(TimePoint t) const {
    std::string out;
    for (const LedState& led : display(conditions, set, t).leds) {
      if (led.pattern == "off") continue;
      if (!out.empty()) out += ", ";
      out += led.led + " " + led.pattern;
    }
    return out;
  }

  // The LEDs lit at `t`.
  std::string lit(TimePoint t) const {
    std::string out;
    for (const LedState& led : display(conditions, set, t).leds) {
      if (!led.on) continue;
      if (!out.empty()) out += " ";
      out += led.led;
    }
    return out;
  }

  std::optional<TimePoint> next(TimePoint t) const { return display(conditions, set, t).next; }

  // A row whose LED is steadily on for as long as the condition holds.
  void checkSteady(const ConditionId& id, const std::string& led) {
    REQUIRE(conditions.set(id, t0));
    CHECK(shows(t0) == led + " on");
    CHECK(lit(t0) == led);
    CHECK(lit(t0 + 24h) == led);
    CHECK_FALSE(next(t0));
    REQUIRE(conditions.clear(id));
    CHECK(shows(t0 + 24h) == "");
    CHECK(lit(t0 + 24h) == "");
  }

  // A row whose LED is on for `seconds` from the assertion, then off although the condition holds.
  void checkOnFor(Condition condition, const std::string& led, std::chrono::seconds seconds) {
    REQUIRE(conditions.set(condition, t0));
    CHECK(shows(t0) == led + " on (" + std::to_string(seconds.count()) + " s)");
    CHECK(lit(t0 + seconds - 1ms) == led);
    CHECK(next(t0) == t0 + seconds);
    CHECK(lit(t0 + seconds) == "");
    CHECK(shows(t0 + seconds) == "");
    CHECK(conditions.holds(condition));
  }
};

}  // namespace bulwark::led::test
