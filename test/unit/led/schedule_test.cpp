// The frame of several LEDs: the run each shows, hand-over when a run ends,
// and the one timer that drives them all (the next instant any LED changes).
#include <catch2/catch.hpp>

#include <string>

#include "led/schedule.hpp"
#include "led_support.hpp"

using namespace bulwark::led;
using namespace bulwark::led::test;

namespace {

// Every LED change from `start` until `untilMs`, as "ms LED on|off", found by
// waking only at the instants the frames announce, as the core's timer will.
std::vector<std::string> drive(const std::vector<LedPlan>& plans, TimePoint start, long untilMs) {
  std::vector<std::string> changes;
  Frame frame = frameAt(plans, start);
  for (const LedState& led : frame.leds) changes.push_back("0 " + led.led + (led.on ? " on" : " off"));
  while (frame.next && msSince(start, *frame.next) < untilMs) {
    Frame now = frameAt(plans, *frame.next);
    for (std::size_t i = 0; i < now.leds.size(); ++i) {
      if (now.leds[i].on != frame.leds[i].on) {
        changes.push_back(std::to_string(msSince(start, *frame.next)) + " " + now.leds[i].led +
                          (now.leds[i].on ? " on" : " off"));
      }
    }
    frame = now;
  }
  return changes;
}

}  // namespace

TEST_CASE("a frame says each LED's level and pattern, and the next instant any of them changes", "[led]") {
  FakeClock clock;
  TimePoint start = clock.now;
  std::vector<LedPlan> plans = {{"STAT", {{heartbeat(), start}}}, {"MOD", {{blink(50ms, 1500ms), start}}}, {"ERR", {}}};
  clock.advance(60ms);
  Frame frame = frameAt(plans, clock.now);
  CHECK(frame.leds ==
        std::vector<LedState>{{"STAT", true, "heartbeat"}, {"MOD", false, "blink 50/1500"}, {"ERR", false, "off"}});
  CHECK(frame.next == start + 70ms);  // the heartbeat's first beat ends
  clock.advance(20ms);
  CHECK(frameAt(plans, clock.now).next == start + 315ms);
}

TEST_CASE("one timer drives every LED through its changes in order", "[led]") {
  FakeClock clock;
  TimePoint start = clock.now;
  std::vector<LedPlan> plans = {{"A", {{heartbeat(), start}}}, {"B", {{blink(500ms, 500ms), start - 100ms}}}};
  CHECK(drive(plans, start, 1400) == std::vector<std::string>{"0 A on", "0 B on", "70 A off", "315 A on", "385 A off",
                                                              "400 B off", "900 B on", "1260 A on", "1330 A off"});
}

TEST_CASE("LEDs with the same pattern and start are in phase whenever the timer fires", "[led]") {
  FakeClock clock;
  TimePoint start = clock.now;
  std::vector<LedPlan> plans = {{"STAT", {{blink(50ms, 800ms), start}}},
                                {"MOD", {{blink(50ms, 800ms), start}}},
                                {"INFO2", {{blink(50ms, 800ms), start}}}};
  for (long ms = 0; ms < 20 * 850; ms += 11) {
    Frame frame = frameAt(plans, start + Millis(ms));
    INFO("at " << ms << " ms");
    CHECK(frame.leds[0].on == (ms % 850 < 50));
    CHECK(frame.leds[1].on == frame.leds[0].on);
    CHECK(frame.leds[2].on == frame.leds[0].on);
  }
}

TEST_CASE("a run that ends hands the LED to the next run, which has kept its phase", "[led]") {
  FakeClock clock;
  TimePoint start = clock.now;
  std::vector<LedPlan> plans = {{"STAT", {{lasting(on(), 3s), start}, {heartbeat(), start}}}};
  Frame first = frameAt(plans, start + 2s);
  CHECK(first.leds == std::vector<LedState>{{"STAT", true, "on (3 s)"}});
  CHECK(first.next == start + 3s);
  // 3000 ms into the heartbeat is 480 ms into its third period: off, next beat at 3780.
  Frame after = frameAt(plans, start + 3s);
  CHECK(after.leds == std::vector<LedState>{{"STAT", false, "heartbeat"}});
  CHECK(after.next == start + 3780ms);
}

TEST_CASE("a hand-over at the same level is no change", "[led]") {
  FakeClock clock;
  TimePoint start = clock.now;
  std::vector<LedPlan> steady = {{"ERR", {{lasting(on(), 3s), start}, {on(), start + 1s}}}};
  CHECK_FALSE(frameAt(steady, start).next);
  CHECK(frameAt(steady, start + 3s).leds == std::vector<LedState>{{"ERR", true, "on"}});
  // Handed to a heartbeat that is on at the hand-over: the change is its beat's end.
  std::vector<LedPlan> beat = {{"STAT", {{lasting(on(), 1260ms), start}, {heartbeat(), start}}}};
  CHECK(frameAt(beat, start).next == start + 1330ms);
}

TEST_CASE("a run that ends while off hands the LED to a run that is on: a change at the end", "[led]") {
  FakeClock clock;
  TimePoint start = clock.now;
  // 4900 ms is 100 ms into a 150 ms cycle: the blink is off when it ends.
  std::vector<LedPlan> plans = {{"ERR", {{lasting(blink(50ms, 100ms), 4900ms), start}, {on(), start}}}};
  CHECK_FALSE(frameAt(plans, start + 4850ms).leds[0].on);
  CHECK(frameAt(plans, start + 4850ms).next == start + 4900ms);
  CHECK(frameAt(plans, start + 4900ms).leds == std::vector<LedState>{{"ERR", true, "on"}});
}

TEST_CASE("when every run has ended the LED is off for good", "[led]") {
  FakeClock clock;
  TimePoint start = clock.now;
  std::vector<LedPlan> plans = {{"MOD", {{lasting(on(), 3s), start}, {lasting(blink(50ms, 100ms), 2s), start}}}};
  CHECK(frameAt(plans, start).next == start + 3s);
  Frame frame = frameAt(plans, start + 3s);
  CHECK(frame.leds == std::vector<LedState>{{"MOD", false, "off"}});
  CHECK_FALSE(frame.next);
}

TEST_CASE("no LEDs: an empty frame that never changes", "[led]") {
  FakeClock clock;
  Frame frame = frameAt({}, clock.now);
  CHECK(frame.leds.empty());
  CHECK_FALSE(frame.next);
}
