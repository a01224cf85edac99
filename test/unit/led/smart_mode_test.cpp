// Smart mode of the FL MGUARD GT/GT (reference 2.16.4.3, table 2-4) on a
// fake clock, one button sequence a test: the display and the mode LEDs
// ACT, SPD, FD it leads to and the function it executes.
#include "led/smart_mode.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "led_support.hpp"

using namespace bulwark::led;
using namespace bulwark::led::test;

namespace {

// A GT/GT powered up at `t0`.
struct PowerUp {
  FakeClock clock;
  TimePoint t0 = clock.now;

  // The mode LEDs lit at `t`, in table 2-4's order.
  static std::string lit(const SmartMode& mode, TimePoint t) {
    std::string out;
    for (const LedState& led : frameAt(mode.modeLeds(), t).leds) {
      if (!led.on) continue;
      if (!out.empty()) out += " ";
      out += led.led;
    }
    return out;
  }

  // Held from power-up into smart mode; released at t0 + 11 s.
  SmartMode entered() const {
    SmartMode mode(t0, true);
    mode.advance(t0 + 10s);
    mode.released(t0 + 11s);
    return mode;
  }

  // A short press from `t` to `t` + 300 ms.
  static void tap(SmartMode& mode, TimePoint t) {
    REQUIRE_FALSE(mode.pressed(t));
    REQUIRE_FALSE(mode.released(t + 300ms));
  }
};

}  // namespace

TEST_CASE_METHOD(PowerUp, "smart mode: a button not held at power-up leaves smart mode off; presses do nothing",
                 "[led]") {
  SmartMode mode(t0, false);
  CHECK(mode.state() == SmartMode::State::Off);
  CHECK_FALSE(mode.deadline());
  CHECK_FALSE(mode.pressed(t0 + 1s));
  CHECK_FALSE(mode.advance(t0 + 30s));
  CHECK_FALSE(mode.released(t0 + 31s));
  CHECK(mode.state() == SmartMode::State::Off);
  CHECK(mode.display() == "");
  CHECK(mode.modeLeds().empty());
}

TEST_CASE_METHOD(PowerUp, "smart mode: released before 10 s from power-up, smart mode is not entered", "[led]") {
  SmartMode mode(t0, true);
  CHECK(mode.state() == SmartMode::State::PowerUp);
  CHECK(mode.deadline() == t0 + 10s);
  CHECK_FALSE(mode.advance(t0 + 10s - 1ms));
  CHECK_FALSE(mode.released(t0 + 10s - 1ms));
  CHECK(mode.state() == SmartMode::State::Off);
  CHECK_FALSE(mode.pressed(t0 + 11s));
  CHECK_FALSE(mode.advance(t0 + 30s));
  CHECK(mode.state() == SmartMode::State::Off);
}

TEST_CASE_METHOD(PowerUp, "smart mode: held 10 s from power-up enters it at 51; the mode LEDs flash three times, then FD",
                 "[led]") {
  SmartMode mode(t0, true);
  CHECK_FALSE(mode.advance(t0 + 10s));
  CHECK(mode.state() == SmartMode::State::Selecting);
  CHECK(mode.display() == "51");
  CHECK(mode.selected().function == SmartFunction::ExitWithoutChanges);
  TimePoint in = t0 + 10s;
  std::vector<std::string> seen;
  for (long ms = 100; ms < 1600; ms += 200) seen.push_back(lit(mode, in + Millis(ms)));
  CHECK(seen == std::vector<std::string>{"ACT SPD FD", "", "ACT SPD FD", "", "ACT SPD FD", "", "FD", "FD"});
  CHECK(frameAt(mode.modeLeds(), in + 1200ms).next == std::nullopt);
}

TEST_CASE_METHOD(PowerUp, "smart mode: the hold that entered it selects and executes nothing, however long", "[led]") {
  SmartMode mode(t0, true);
  mode.advance(t0 + 10s);
  CHECK_FALSE(mode.deadline());
  CHECK_FALSE(mode.advance(t0 + 20s));
  CHECK_FALSE(mode.released(t0 + 20s));
  CHECK(mode.state() == SmartMode::State::Selecting);
  CHECK(mode.display() == "51");
}

TEST_CASE_METHOD(PowerUp, "smart mode: a short press goes 51, 55, 56, 57 and back to 51 with table 2-4's LEDs", "[led]") {
  SmartMode mode = entered();
  TimePoint t = t0 + 12s;  // the greeting is over
  CHECK(mode.display() == "51");
  CHECK(lit(mode, t) == "FD");
  tap(mode, t += 1s);
  CHECK(mode.display() == "55");
  CHECK(lit(mode, t) == "ACT FD");
  tap(mode, t += 1s);
  CHECK(mode.display() == "56");
  CHECK(lit(mode, t) == "ACT SPD");
  tap(mode, t += 1s);
  CHECK(mode.display() == "57");
  CHECK(lit(mode, t) == "ACT SPD FD");
  tap(mode, t += 1s);
  CHECK(mode.display() == "51");
  CHECK(lit(mode, t) == "FD");
}

TEST_CASE_METHOD(PowerUp, "smart mode: a press shorter than 5 s selects the next function on its release", "[led]") {
  SmartMode mode = entered();
  CHECK_FALSE(mode.pressed(t0 + 12s));
  CHECK(mode.deadline() == t0 + 17s);
  CHECK(mode.display() == "51");
  CHECK_FALSE(mode.released(t0 + 17s - 1ms));
  CHECK(mode.display() == "55");
  CHECK(mode.state() == SmartMode::State::Selecting);
}

TEST_CASE_METHOD(PowerUp, "smart mode: held 5 s on 51, it exits without changes at that instant", "[led]") {
  SmartMode mode = entered();
  CHECK_FALSE(mode.pressed(t0 + 12s));
  CHECK_FALSE(mode.advance(t0 + 17s - 1ms));
  CHECK(mode.advance(t0 + 17s) == SmartFunction::ExitWithoutChanges);
  CHECK(mode.state() == SmartMode::State::Off);
  CHECK(mode.display() == "");
  CHECK(mode.modeLeds().empty());
  CHECK_FALSE(mode.released(t0 + 18s));
  CHECK_FALSE(mode.pressed(t0 + 19s));
  CHECK_FALSE(mode.advance(t0 + 30s));
}

TEST_CASE_METHOD(PowerUp, "smart mode: 55 held 5 s activates the recovery procedure", "[led]") {
  SmartMode mode = entered();
  tap(mode, t0 + 12s);
  mode.pressed(t0 + 13s);
  CHECK(mode.advance(t0 + 18s) == SmartFunction::Recovery);
}

TEST_CASE_METHOD(PowerUp, "smart mode: 56 held 5 s activates the flash procedure", "[led]") {
  SmartMode mode = entered();
  tap(mode, t0 + 12s);
  tap(mode, t0 + 13s);
  mode.pressed(t0 + 14s);
  CHECK(mode.advance(t0 + 19s) == SmartFunction::Flash);
}

TEST_CASE_METHOD(PowerUp, "smart mode: 57 held 5 s applies the customized default profile, also when only the release "
                          "is seen",
                 "[led]") {
  SmartMode mode = entered();
  tap(mode, t0 + 12s);
  tap(mode, t0 + 13s);
  tap(mode, t0 + 14s);
  CHECK(mode.display() == "57");
  mode.pressed(t0 + 15s);
  CHECK(mode.released(t0 + 21s) == SmartFunction::ApplyCustomDefaultProfile);
  CHECK(mode.state() == SmartMode::State::Off);
}

TEST_CASE_METHOD(PowerUp, "smart mode: the functions of table 2-4 and their codes", "[led]") {
  CHECK(smartFunction(SmartFunction::ExitWithoutChanges).code == "51");
  CHECK(smartFunction(SmartFunction::Recovery).code == "55");
  CHECK(smartFunction(SmartFunction::Flash).code == "56");
  CHECK(smartFunction(SmartFunction::ApplyCustomDefaultProfile).code == "57");
  CHECK(smartFunction(SmartFunction::Flash).description == "Activate the flash procedure");
}

TEST_CASE_METHOD(PowerUp, "the GT/GT's display: smart mode's code, else 05 once the flash procedure succeeded, else dark",
                 "[led]") {
  Conditions conditions;
  CHECK(sevenSegment(nullptr, conditions) == "");
  conditions.set(Condition::FlashSucceeded, t0);
  CHECK(sevenSegment(nullptr, conditions) == "05");
  SmartMode mode = entered();
  CHECK(sevenSegment(&mode, conditions) == "51");
  SmartMode off(t0, false);
  CHECK(sevenSegment(&off, conditions) == "05");
  conditions.clear(Condition::FlashSucceeded);
  CHECK(sevenSegment(&off, conditions) == "");
}

TEST_CASE_METHOD(PowerUp, "the GT/GT's mode LEDs blink together once the flash procedure succeeded, and show nothing "
                          "else of table 12-3",
                 "[led]") {
  for (std::size_t i = 0; i < kConditionCount; ++i) {
    auto condition = static_cast<Condition>(i);
    INFO(definition(condition).name);
    Conditions conditions;
    conditions.set(condition, t0);
    Frame frame = display(conditions, kGtGt, t0);
    REQUIRE(frame.leds.size() == 3);
    for (const LedState& led : frame.leds) {
      CHECK(led.pattern == (condition == Condition::FlashSucceeded ? "blink 50/800" : "off"));
    }
  }
}
