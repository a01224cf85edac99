// Helpers of the LED tests: a fake monotonic clock, and the on/off edges of
// a pattern found two independent ways, by following nextChange and by
// sampling levelAt every millisecond, so that each checks the other.
#pragma once

#include <chrono>
#include <ostream>
#include <vector>

#include "led/pattern.hpp"

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

}  // namespace bulwark::led::test
