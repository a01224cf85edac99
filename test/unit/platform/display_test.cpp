// The 7-segment display behind its interface: the simulated backend shows
// what it is told and says so; a driver with no backend yet is refused.
#include "display.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace bulwark::platform {
namespace {

TEST_CASE("a simulated display shows its text and tells its observer of each change") {
  SimulatedDisplay simulated;
  std::vector<std::string> seen;
  simulated.observe([&seen](const std::string& text) { seen.push_back(text); });
  auto display = openDisplay({2, {}}, simulated);
  REQUIRE(display);
  CHECK((*display)->show("51"));
  CHECK((*display)->show("51"));
  CHECK((*display)->show(""));
  CHECK(simulated.text() == "");
  CHECK(seen == std::vector<std::string>{"51", ""});
}

TEST_CASE("a simulated display refuses more characters than it has digits") {
  SimulatedDisplay simulated;
  auto display = openDisplay({2, {}}, simulated);
  REQUIRE(display);
  CHECK((*display)->show("123").message() == "the display has 2 digits, not enough for \"123\"");
  CHECK(simulated.text() == "");
}

TEST_CASE("a display on GPIO has no backend yet") {
  SimulatedDisplay simulated;
  auto display = openDisplay({2, {Driver::Kind::Gpio, "", "gpiochip0", 7}}, simulated);
  REQUIRE_FALSE(display);
  CHECK(display.error() == "7-segment display: no backend drives one on sysfs or GPIO yet");
}

}  // namespace
}  // namespace bulwark::platform
