#include "led.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>
#include <fmt/format.h>

namespace bulwark::platform {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// A directory laid out like /sys/class/leds with one LED class device.
struct SysfsTree {
  SysfsTree() {
    root = fs::temp_directory_path() / fmt::format("bulwark-leds-{}-{}", getpid(), counter++);
    fs::create_directories(root / "mguard:green:stat");
    write("brightness", "0");
    write("max_brightness", "255");
    write("trigger", "[none] timer heartbeat");
  }
  ~SysfsTree() { fs::remove_all(root); }
  void write(const std::string& file, const std::string& text) const {
    std::ofstream(root / "mguard:green:stat" / file) << text << '\n';
  }
  std::string read(const std::string& file) const {
    std::ifstream in(root / "mguard:green:stat" / file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  static inline int counter = 0;
  fs::path root;
};

TEST_CASE("the sysfs backend lights an LED with its maximum brightness and darkens it with 0") {
  SysfsTree tree;
  auto led = sysfsLed(tree.root, "mguard:green:stat");
  REQUIRE(led->set(true));
  CHECK(tree.read("brightness") == "255");
  CHECK(tree.read("trigger") == "none");  // whatever trigger the kernel had is ended
  REQUIRE(led->set(false));
  CHECK(tree.read("brightness") == "0");
}

TEST_CASE("the sysfs backend hands a blink to the kernel's timer trigger") {
  SysfsTree tree;
  auto led = sysfsLed(tree.root, "mguard:green:stat");
  auto handed = led->blink(50ms, 1500ms);
  REQUIRE(handed);
  CHECK(*handed);
  CHECK(tree.read("trigger") == "timer");
  CHECK(tree.read("delay_on") == "50");
  CHECK(tree.read("delay_off") == "1500");
  // A steady level ends the blink first.
  REQUIRE(led->set(true));
  CHECK(tree.read("trigger") == "none");
  CHECK(tree.read("brightness") == "255");
}

TEST_CASE("an LED without max_brightness is lit with 1") {
  SysfsTree tree;
  fs::remove(tree.root / "mguard:green:stat" / "max_brightness");
  auto led = sysfsLed(tree.root, "mguard:green:stat");
  REQUIRE(led->set(true));
  CHECK(tree.read("brightness") == "1");
}

TEST_CASE("a write the kernel refuses is reported with the file") {
  SysfsTree tree;
  auto led = sysfsLed(tree.root, "mguard:red:err");
  Status s = led->set(true);
  REQUIRE_FALSE(s);
  CHECK(s.message() == fmt::format("cannot write {}: No such file or directory",
                                   (tree.root / "mguard:red:err" / "trigger").string()));
}

TEST_CASE("openLed finds a board's sysfs LED and refuses one that is not there") {
  SysfsTree tree;
  SimulatedLeds simulated;
  Led stat{"STAT", "green", {Driver::Kind::Sysfs, "mguard:green:stat"}};
  CHECK(openLed(stat, {tree.root}, simulated));
  Led err{"ERR", "red", {Driver::Kind::Sysfs, "mguard:red:err"}};
  auto missing = openLed(err, {tree.root}, simulated);
  REQUIRE_FALSE(missing);
  CHECK(missing.error() == fmt::format("LED ERR: no {}", (tree.root / "mguard:red:err").string()));
}

// This machine's kernel has no GPIO at all (no gpiochip, no gpio-sim or
// gpio-mockup), so only the refusals are tested here: the levels a GPIO LED
// drives need a chip.
TEST_CASE("a GPIO LED on a chip that is not there is refused with the chip and the line") {
  SysfsTree dev;  // a directory without gpiochip1
  SimulatedLeds simulated;
  Led pf1{"PF1", "green", {Driver::Kind::Gpio, "", "gpiochip1", 5}};
  auto led = openLed(pf1, {"/nonexistent", dev.root}, simulated);
  REQUIRE_FALSE(led);
  CHECK(led.error() == fmt::format("LED PF1: gpiochip1 line 5: cannot open {}: No such file or directory",
                                   (dev.root / "gpiochip1").string()));
  CHECK_FALSE(simulated.states().contains("PF1"));
}

TEST_CASE("a GPIO LED on a file that is no GPIO chip is refused") {
  SysfsTree dev;
  std::ofstream(dev.root / "gpiochip0") << "not a device\n";
  SimulatedLeds simulated;
  Led fail{"FAIL", "red", {Driver::Kind::Gpio, "", "gpiochip0", 0, true}};
  auto led = openLed(fail, {"/nonexistent", dev.root}, simulated);
  REQUIRE_FALSE(led);
  CHECK(led.error() == fmt::format("LED FAIL: gpiochip0 line 0: cannot open {}: not a GPIO character device",
                                   (dev.root / "gpiochip0").string()));
}

TEST_CASE("a character device that is no GPIO chip is refused") {
  // /dev/null: a character device, but not of the GPIO subsystem.
  auto led = gpioLed("/dev", "PF2", {Driver::Kind::Gpio, "", "null", 1});
  REQUIRE_FALSE(led);
  CHECK(led.error() == "null line 1: cannot open /dev/null: not a GPIO character device");
}

TEST_CASE("the simulated backend's state is observable") {
  SimulatedLeds simulated;
  std::vector<std::string> seen;
  simulated.observe([&](const std::string& led, const SimulatedLeds::State& state) {
    seen.push_back(fmt::format("{} {}", led, state.on ? "on" : "off"));
  });
  auto led = openLed({"STAT", "green", {}}, {"/nonexistent"}, simulated);
  REQUIRE(led);
  CHECK(simulated.states().at("STAT").on == false);
  REQUIRE((*led)->set(true));
  REQUIRE((*led)->set(true));  // no change, no event
  REQUIRE((*led)->set(false));
  CHECK(seen == std::vector<std::string>{"STAT on", "STAT off"});
}

TEST_CASE("a simulated LED takes a blink only when told to") {
  SimulatedLeds simulated;
  auto plain = simulatedLed(simulated, "MOD");
  CHECK_FALSE(*plain->blink(500ms, 500ms));
  CHECK_FALSE(simulated.states().at("MOD").blink);
  auto kernelLike = simulatedLed(simulated, "ERR", true);
  CHECK(*kernelLike->blink(50ms, 100ms));
  CHECK(simulated.states().at("ERR").blink == std::pair{50ms, 100ms});
  CHECK(simulated.states().at("ERR").on);
}

}  // namespace
}  // namespace bulwark::platform
