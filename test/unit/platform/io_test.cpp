#include "io.hpp"

#include <poll.h>
#include <unistd.h>

#include <filesystem>

#include <catch2/catch.hpp>
#include <fmt/format.h>

namespace bulwark::platform {
namespace {

// Whether `fd` is readable now.
bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

TEST_CASE("a simulated input reports each change through its descriptor, then its level") {
  SimulatedInputs simulated;
  auto input = openInput({"CMD1", Input::Kind::ServiceContact, {}}, {}, simulated);
  REQUIRE(input);
  InputDevice& cmd1 = **input;
  CHECK_FALSE(*cmd1.level());
  CHECK_FALSE(readable(cmd1.eventFd()));
  REQUIRE(simulated.set("CMD1", true));
  CHECK(readable(cmd1.eventFd()));
  REQUIRE(cmd1.consumeEvents());
  CHECK_FALSE(readable(cmd1.eventFd()));
  CHECK(*cmd1.level());
  CHECK(simulated.levels() == std::map<std::string, bool>{{"CMD1", true}});
  REQUIRE(cmd1.consumeEvents());  // nothing waiting: does not block
}

TEST_CASE("only an input that is simulated can be set by hand, and a refusal changes nothing") {
  SimulatedInputs simulated;
  REQUIRE(openInput({"CMD2", Input::Kind::ServiceContact, {}}, {}, simulated));
  Status s = simulated.set("CMD9", true);
  REQUIRE_FALSE(s);
  CHECK(s.message() == "No simulated input is named CMD9.");
  CHECK(simulated.levels() == std::map<std::string, bool>{{"CMD2", false}});
}

TEST_CASE("a GPIO input or output on a chip that is not there is refused with its name, the chip and the line") {
  auto dev = std::filesystem::temp_directory_path() / fmt::format("bulwark-dev-{}", getpid());
  std::filesystem::create_directories(dev);
  SimulatedInputs inputs;
  SimulatedLeds outputs;
  auto input = openInput({"CMD3", Input::Kind::ServiceContact, {Driver::Kind::Gpio, "", "gpiochip0", 3}},
                         {"/nonexistent", dev}, inputs);
  REQUIRE_FALSE(input);
  CHECK(input.error() == fmt::format("input CMD3: gpiochip0 line 3: cannot open {}: No such file or directory",
                                     (dev / "gpiochip0").string()));
  auto output = openOutput({"O3", Output::Kind::Alarm, {Driver::Kind::Gpio, "", "gpiochip0", 6}},
                           {"/nonexistent", dev}, outputs);
  REQUIRE_FALSE(output);
  CHECK(output.error() == fmt::format("output O3: gpiochip0 line 6: cannot open {}: No such file or directory",
                                      (dev / "gpiochip0").string()));
  CHECK(inputs.levels().empty());
  CHECK(outputs.states().empty());
  std::filesystem::remove_all(dev);
}

TEST_CASE("a simulated output is switched and observed like a simulated LED") {
  SimulatedLeds outputs;
  auto ack1 = openOutput({"ACK1", Output::Kind::Acknowledge, {}}, {}, outputs);
  REQUIRE(ack1);
  CHECK_FALSE(outputs.states().at("ACK1").on);
  REQUIRE((*ack1)->set(true));
  CHECK(outputs.states().at("ACK1").on);
}

}  // namespace
}  // namespace bulwark::platform
