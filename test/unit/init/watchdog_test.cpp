#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "init/watchdog.hpp"
#include "support/support.hpp"

using namespace bulwark;
using namespace bulwark::init;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

class FakeWatchdog final : public WatchdogDevice {
 public:
  std::string name() const override { return "/dev/fake-watchdog"; }
  Result<seconds> arm(seconds timeout) override {
    asked = timeout;
    if (!armError.empty()) return Error{armError};
    return driverTimeout.count() ? driverTimeout : timeout;
  }
  Status keepAlive() override {
    ++kicks;
    if (failKicks) return Error{"watchdog /dev/fake-watchdog: keep-alive: Input/output error"};
    return {};
  }
  Status disarm() override { return {}; }

  seconds asked{0};
  seconds driverTimeout{0};
  std::string armError;
  bool failKicks = false;
  int kicks = 0;
};

struct Fixture {
  runtime::ManualClock clock{std::chrono::system_clock::now()};
  runtime::ManualTimers timers{clock};
  log::Log log{clock};
  test::MemorySink sink;
  FakeWatchdog device;
  Fixture() { log.addSink(sink); }
};

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("the watchdog keeper arms the device with 30 s and kicks it every 5 s", "[init][watchdog]") {
  Fixture f;
  WatchdogKeeper keeper(f.timers, f.log, f.device);
  REQUIRE(keeper.start());
  CHECK(f.device.asked == seconds(30));
  CHECK(f.device.kicks == 1);
  f.timers.advance(milliseconds(4999));
  CHECK(f.device.kicks == 1);
  f.timers.advance(milliseconds(1));
  CHECK(f.device.kicks == 2);
  f.timers.advance(seconds(20));
  CHECK(f.device.kicks == 6);
  CHECK(f.sink.messages("init") == std::vector<std::string>{"watchdog /dev/fake-watchdog armed, timeout 30 s"});
}

TEST_CASE("a driver's shorter timeout makes the keeper kick more often", "[init][watchdog]") {
  Fixture f;
  f.device.driverTimeout = seconds(6);
  WatchdogKeeper keeper(f.timers, f.log, f.device);
  REQUIRE(keeper.start());
  f.timers.advance(seconds(6));
  CHECK(f.device.kicks == 4);  // at 0, 2, 4 and 6 s
  CHECK(f.sink.messages("init") == std::vector<std::string>{"watchdog /dev/fake-watchdog armed, timeout 6 s"});
}

TEST_CASE("a watchdog that cannot be armed is not kicked", "[init][watchdog]") {
  Fixture f;
  f.device.armError = "watchdog /dev/fake-watchdog: No such file or directory";
  WatchdogKeeper keeper(f.timers, f.log, f.device);
  Status s = keeper.start();
  REQUIRE_FALSE(s);
  CHECK(s.message() == "watchdog /dev/fake-watchdog: No such file or directory");
  CHECK(f.timers.pending() == 0);
  CHECK(f.device.kicks == 0);
}

TEST_CASE("failing kicks are logged once and the keeper goes on trying", "[init][watchdog]") {
  Fixture f;
  f.device.failKicks = true;
  WatchdogKeeper keeper(f.timers, f.log, f.device);
  REQUIRE(keeper.start());
  f.timers.advance(seconds(20));
  CHECK(f.device.kicks == 5);
  CHECK(f.sink.messages("init") == std::vector<std::string>{"watchdog /dev/fake-watchdog armed, timeout 30 s",
                                                            "watchdog /dev/fake-watchdog: keep-alive: Input/output error"});
}

TEST_CASE("destroying the keeper stops the kicks", "[init][watchdog]") {
  Fixture f;
  {
    WatchdogKeeper keeper(f.timers, f.log, f.device);
    REQUIRE(keeper.start());
  }
  CHECK(f.timers.pending() == 0);
}

TEST_CASE("a missing watchdog device is reported with its path", "[init][watchdog]") {
  test::TempDir dir;
  LinuxWatchdogDevice device(dir / "watchdog");
  auto armed = device.arm(seconds(30));
  REQUIRE_FALSE(armed);
  CHECK(armed.error() == fmt::format("watchdog {}: No such file or directory", (dir / "watchdog").string()));
  CHECK_FALSE(device.keepAlive());
}

TEST_CASE("a file that is no watchdog is refused and closed with the magic close", "[init][watchdog]") {
  test::TempDir dir;
  std::ofstream(dir / "watchdog").flush();
  LinuxWatchdogDevice device(dir / "watchdog");
  auto armed = device.arm(seconds(30));
  REQUIRE_FALSE(armed);
  CHECK(armed.error() == fmt::format("watchdog {}: cannot set a timeout (Inappropriate ioctl for device); left disarmed",
                                     (dir / "watchdog").string()));
  CHECK(readFile(dir / "watchdog") == "V");
  CHECK_FALSE(device.keepAlive());
  CHECK(device.disarm());  // nothing left to disarm
}
