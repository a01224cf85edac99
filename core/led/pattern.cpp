#include "led/pattern.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace bulwark::led {

namespace {

using namespace std::chrono_literals;

constexpr Millis kHeartbeatBeat = 70ms;
constexpr Millis kHeartbeatPeriod = 1260ms;
constexpr Millis kMorseUnit = 200ms;
constexpr Millis kRunningLightStep = 200ms;

// The length of one cycle. A step that is not positive is a bug in whoever
// made the pattern, and would make the cycle stand still.
Duration period(const Pattern& p) {
  Duration sum{0};
  for (const Step& s : p.cycle) {
    if (s.length <= Millis::zero()) throw std::logic_error("LED pattern '" + p.name + "' has a step of no length");
    sum += s.length;
  }
  return sum;
}

// Time since the start; instants before it count as the start.
Duration elapsed(TimePoint start, TimePoint t) { return t > start ? t - start : Duration::zero(); }

// Where in the cycle the pattern is `e` after its start: the step and how far into it.
struct Position {
  std::size_t step = 0;
  Duration into{0};
};
Position locate(const Pattern& p, Duration e) {
  Duration at = (e + p.offset) % period(p);
  std::size_t i = 0;
  while (at >= p.cycle[i].length) at -= p.cycle[i++].length;
  return {i, at};
}

// Appends a step, merging it into the last one when the level is the same.
void append(std::vector<Step>& cycle, bool on, Millis length) {
  if (!cycle.empty() && cycle.back().on == on) {
    cycle.back().length += length;
  } else {
    cycle.push_back({on, length});
  }
}

std::string durationText(Millis d) {
  if (d % 1000ms == 0ms) return fmt::format("{} s", d / 1000ms);
  return fmt::format("{} ms", d.count());
}

}  // namespace

Pattern off() { return {.name = "off", .steady = false}; }

Pattern on() { return {.name = "on", .steady = true}; }

Pattern heartbeat() {
  // ledtrig-heartbeat: on 70 ms, off for the rest of a quarter period, on 70 ms, off for the rest.
  Millis quarter = kHeartbeatPeriod / 4;
  return {.name = "heartbeat",
          .cycle = {{true, kHeartbeatBeat},
                    {false, quarter - kHeartbeatBeat},
                    {true, kHeartbeatBeat},
                    {false, kHeartbeatPeriod - quarter - kHeartbeatBeat}}};
}

Pattern blink(Millis onTime, Millis offTime) {
  Pattern p{.name = fmt::format("blink {}/{}", onTime.count(), offTime.count()),
            .cycle = {{true, onTime}, {false, offTime}}};
  period(p);  // refuses lengths of zero here, where the caller is
  return p;
}

Pattern morse(std::string_view name, std::string_view code, Millis unit) {
  Pattern p{.name = std::string(name)};
  for (std::size_t i = 0; i < code.size(); ++i) {
    char c = code[i];
    if (c == ' ') {
      append(p.cycle, false, 2 * unit);  // with the gap after the element: 3 units between letters
      continue;
    }
    if (c != '.' && c != '-') throw std::logic_error(fmt::format("Morse code '{}' has a '{}'", code, c));
    append(p.cycle, true, c == '.' ? unit : 3 * unit);
    append(p.cycle, false, unit);
  }
  append(p.cycle, false, 6 * unit);  // with the gap after the element: 7 units between words
  return p;
}

Pattern sos() { return morse("sos", "... --- ...", kMorseUnit); }

Pattern runningLight(unsigned position) {
  // Left, middle, right, middle: the ends are lit one step in four (the
  // right two steps after the left), the middle every other step.
  if (position > 2) throw std::logic_error(fmt::format("the running light has no LED {}", position));
  Millis step = kRunningLightStep;
  if (position == 1) return {.name = "running light", .cycle = {{true, step}, {false, step}}, .offset = step};
  Millis offset = position == 0 ? 0ms : 2 * step;
  return {.name = "running light", .cycle = {{true, step}, {false, 3 * step}}, .offset = offset};
}

Pattern lasting(Pattern p, Millis duration) {
  p.name = fmt::format("{} ({})", p.name, durationText(duration));
  p.lasts = duration;
  return p;
}

bool ended(const Pattern& p, TimePoint start, TimePoint t) { return p.lasts && elapsed(start, t) >= *p.lasts; }

bool levelAt(const Pattern& p, TimePoint start, TimePoint t) {
  if (ended(p, start, t)) return false;
  if (p.cycle.empty()) return p.steady;
  return p.cycle[locate(p, elapsed(start, t)).step].on;
}

std::optional<TimePoint> nextChange(const Pattern& p, TimePoint start, TimePoint t) {
  if (ended(p, start, t)) return std::nullopt;
  Duration e = elapsed(start, t);
  TimePoint now = start + e;
  bool level = levelAt(p, start, t);

  std::optional<TimePoint> change;
  if (!p.cycle.empty()) {
    Position at = locate(p, e);
    Duration ahead = p.cycle[at.step].length - at.into;
    for (std::size_t k = 1; k <= p.cycle.size(); ++k) {
      const Step& s = p.cycle[(at.step + k) % p.cycle.size()];
      if (s.on != level) {
        change = now + ahead;
        break;
      }
      ahead += s.length;
    }
  }
  if (p.lasts) {
    TimePoint end = start + *p.lasts;
    // At the end the LED goes off: a change if it is on then.
    if (!change || *change >= end) return level ? std::optional(end) : std::nullopt;
  }
  return change;
}

}  // namespace bulwark::led
