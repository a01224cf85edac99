#include <catch2/catch.hpp>

#include <fcntl.h>
#include <linux/input.h>
#include <unistd.h>

#include <fstream>

#include <boost/asio/io_context.hpp>

#include "init/power_button.hpp"
#include "support/support.hpp"

using namespace bulwark;
using namespace bulwark::init;

namespace {

void send(int fd, unsigned short type, unsigned short code, int value) {
  input_event event{};
  event.type = type;
  event.code = code;
  event.value = value;
  REQUIRE(::write(fd, &event, sizeof event) == static_cast<ssize_t>(sizeof event));
}

struct Pipe {
  int read = -1, write = -1;
  Pipe() {
    int fds[2];
    REQUIRE(::pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0);
    read = fds[0];
    write = fds[1];
  }
  ~Pipe() {
    if (write >= 0) ::close(write);
  }
};

}  // namespace

TEST_CASE("a press of the power key is reported once, with the device", "[init][power]") {
  boost::asio::io_context io;
  Pipe pipe;
  std::vector<std::string> presses;
  auto button = PowerButton::watch(io, [&](const std::string& device) { presses.push_back(device); }, pipe.read,
                                   "/dev/input/event0 (Power Button)");
  send(pipe.write, EV_KEY, KEY_POWER, 1);
  send(pipe.write, EV_SYN, SYN_REPORT, 0);
  send(pipe.write, EV_KEY, KEY_POWER, 0);
  send(pipe.write, EV_SYN, SYN_REPORT, 0);
  test::runUntil(io, [&] { return !presses.empty(); });
  io.run_for(std::chrono::milliseconds(50));
  CHECK(presses == std::vector<std::string>{"/dev/input/event0 (Power Button)"});
}

TEST_CASE("other keys, releases and repeats of the power key are not a press", "[init][power]") {
  boost::asio::io_context io;
  Pipe pipe;
  int presses = 0;
  auto button = PowerButton::watch(io, [&](const std::string&) { ++presses; }, pipe.read, "keyboard");
  send(pipe.write, EV_KEY, KEY_A, 1);
  send(pipe.write, EV_KEY, KEY_SLEEP, 1);
  send(pipe.write, EV_KEY, KEY_POWER, 0);
  send(pipe.write, EV_KEY, KEY_POWER, 2);
  send(pipe.write, EV_MSC, MSC_SCAN, KEY_POWER);
  ::close(pipe.write);
  pipe.write = -1;
  io.run_for(std::chrono::milliseconds(200));
  CHECK(presses == 0);
}

TEST_CASE("only input devices that report the power key are watched", "[init][power]") {
  boost::asio::io_context io;
  test::TempDir dir;
  std::ofstream(dir / "event0").flush();  // a file: no capabilities to ask
  std::ofstream(dir / "mice").flush();
  std::vector<std::string> watched;
  auto button = PowerButton::open(io, [](const std::string&) {}, &watched, dir.path());
  REQUIRE(button);
  CHECK(watched.empty());
}

TEST_CASE("a missing input directory is an error that names it", "[init][power]") {
  boost::asio::io_context io;
  test::TempDir dir;
  auto button = PowerButton::open(io, [](const std::string&) {}, nullptr, dir / "input");
  REQUIRE_FALSE(button);
  CHECK(button.error() == "power button: " + (dir / "input").string() + ": No such file or directory");
}
