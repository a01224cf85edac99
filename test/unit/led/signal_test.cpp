// The bar graph and SIM LEDs of table 12-1: the number of bars at every
// bound of its ranges, and the LEDs' plans.
#include "led/signal.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "led_support.hpp"

using namespace bulwark::led;
using namespace bulwark::led::test;

namespace {

std::string lit(const ModemSignalChanged& state) {
  std::string out;
  for (const LedState& led : frameAt(signalPlans(state), TimePoint{} + 1000h).leds) {
    if (led.pattern == "off") continue;
    if (!out.empty()) out += ", ";
    out += led.led + " " + led.pattern;
  }
  return out;
}

}  // namespace

TEST_CASE("table 12-1: -113 to -111 dBm lights no bar (very poor to none)", "[led]") {
  for (int dbm : {-140, -114, -113, -112, -111, -110}) {
    INFO(dbm);
    CHECK(signalBars(dbm) == 0);
    CHECK(receptionOf(dbm) == "very poor to none");
  }
}

TEST_CASE("table 12-1: -109 to -89 dBm lights BAR1 (sufficient)", "[led]") {
  for (int dbm : {-109, -108, -89, -88}) {
    INFO(dbm);
    CHECK(signalBars(dbm) == 1);
    CHECK(receptionOf(dbm) == "sufficient");
  }
}

TEST_CASE("table 12-1: -87 to -67 dBm lights BAR1 and BAR2 (good)", "[led]") {
  for (int dbm : {-87, -86, -67, -66}) {
    INFO(dbm);
    CHECK(signalBars(dbm) == 2);
    CHECK(receptionOf(dbm) == "good");
  }
}

TEST_CASE("table 12-1: -65 to -51 dBm lights all three bars (very good)", "[led]") {
  for (int dbm : {-65, -64, -51, -50, 0}) {
    INFO(dbm);
    CHECK(signalBars(dbm) == 3);
    CHECK(receptionOf(dbm) == "very good");
  }
}

TEST_CASE("an unknown signal strength lights no bar", "[led]") {
  CHECK(signalBars(std::nullopt) == 0);
  CHECK(lit({}) == "");
}

TEST_CASE("the bar graph lights from the bottom", "[led]") {
  CHECK(lit({-100}) == "BAR1 on");
  CHECK(lit({-80}) == "BAR1 on, BAR2 on");
  CHECK(lit({-60}) == "BAR1 on, BAR2 on, BAR3 on");
}

TEST_CASE("table 12-1: a SIM LED is on while its card is active and blinks while its PIN is missing or wrong",
          "[led]") {
  CHECK(lit({std::nullopt, {SimState::Active, SimState::Absent}}) == "SIM1 on");
  CHECK(lit({std::nullopt, {SimState::Absent, SimState::Active}}) == "SIM2 on");
  CHECK(lit({std::nullopt, {SimState::PinMissing, SimState::Absent}}) == "SIM1 blink 500/500");
  CHECK(lit({-70, {SimState::PinMissing, SimState::Active}}) == "BAR1 on, BAR2 on, SIM1 blink 500/500, SIM2 on");
}
