// What `bulwark ctl leds` prints for the core's answer: a line an LED, and
// one for a 7-segment display.
#include "init/ctl.hpp"

#include <catch2/catch.hpp>

namespace bulwark::init {
namespace {

using Lines = std::vector<std::pair<std::string, std::string>>;

TEST_CASE("ctl leds prints a line an LED, in the answer's order") {
  CHECK(ledLines(R"({"ok": true, "leds": [{"name": "STAT", "pattern": "heartbeat", "on": false},
                                          {"name": "ERR", "pattern": "off", "on": false}]})") ==
        Lines{{"STAT", "heartbeat"}, {"ERR", "off"}});
}

TEST_CASE("ctl leds prints the 7-segment display as 7SEG, and off while it is dark") {
  CHECK(ledLines(R"({"ok": true, "leds": [{"name": "FD", "pattern": "on", "on": true}], "display": "51"})") ==
        Lines{{"FD", "on"}, {"7SEG", "51"}});
  CHECK(ledLines(R"({"ok": true, "leds": [], "display": ""})") == Lines{{"7SEG", "off"}});
}

TEST_CASE("ctl leds prints nothing for an answer that is not the LEDs'") {
  CHECK(ledLines("not json").empty());
  CHECK(ledLines(R"({"ok": true})").empty());
  CHECK(ledLines(R"({"ok": true, "leds": [1, {"name": "STAT"}]})").empty());
}

}  // namespace
}  // namespace bulwark::init
