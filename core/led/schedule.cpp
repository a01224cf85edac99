#include "led/schedule.hpp"

namespace bulwark::led {

namespace {

const Run* shown(const LedPlan& plan, TimePoint t) {
  for (const Run& run : plan.runs) {
    if (!ended(run.pattern, run.start, t)) return &run;
  }
  return nullptr;
}

bool levelOf(const LedPlan& plan, TimePoint t) {
  const Run* run = shown(plan, t);
  return run && levelAt(run->pattern, run->start, t);
}

std::optional<TimePoint> nextChangeOf(const LedPlan& plan, TimePoint t) {
  bool level = levelOf(plan, t);
  TimePoint at = t;
  // Each pass moves on to a change of the run shown or to its end. The end
  // of a run may hand the LED to a run at the same level, which is no
  // change; a run ends only once, so the passes are few.
  for (;;) {
    const Run* run = shown(plan, at);
    if (!run) return std::nullopt;
    std::optional<TimePoint> candidate = nextChange(run->pattern, run->start, at);
    if (run->pattern.lasts) {
      TimePoint end = run->start + *run->pattern.lasts;
      if (!candidate || end < *candidate) candidate = end;
    }
    if (!candidate) return std::nullopt;
    if (levelOf(plan, *candidate) != level) return candidate;
    at = *candidate;
  }
}

}  // namespace

Frame frameAt(std::span<const LedPlan> plans, TimePoint t) {
  Frame frame;
  for (const LedPlan& plan : plans) {
    const Run* run = shown(plan, t);
    frame.leds.push_back({plan.led, levelOf(plan, t), run ? run->pattern.name : "off"});
    std::optional<TimePoint> next = nextChangeOf(plan, t);
    if (next && (!frame.next || *next < *frame.next)) frame.next = next;
  }
  return frame;
}

}  // namespace bulwark::led
