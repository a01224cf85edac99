#include "init/power_button.hpp"

#include <fcntl.h>
#include <linux/input.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include <fmt/format.h>

#include "runtime/fd_watch.hpp"

namespace bulwark::init {

namespace {

constexpr std::size_t kLongBits = sizeof(unsigned long) * CHAR_BIT;

bool reportsPowerKey(int fd) {
  unsigned long keys[KEY_MAX / kLongBits + 1] = {};
  if (::ioctl(fd, EVIOCGBIT(EV_KEY, sizeof keys), keys) < 0) return false;
  return (keys[KEY_POWER / kLongBits] >> (KEY_POWER % kLongBits)) & 1;
}

std::string deviceName(int fd) {
  char name[128] = {};
  if (::ioctl(fd, EVIOCGNAME(sizeof name - 1), name) < 0) return "?";
  return name;
}

}  // namespace

struct PowerButton::Device {
  int fd;
  std::string name;
  Pressed pressed;
  input_event events[16];
  std::unique_ptr<runtime::FdWatch> watch;

  Device(int fd, std::string name, Pressed pressed) : fd(fd), name(std::move(name)), pressed(std::move(pressed)) {}
  ~Device() {
    watch.reset();
    ::close(fd);
  }

  void readAll() {
    for (int batch = 0; batch < 64; ++batch) {
      ssize_t n = ::read(fd, events, sizeof events);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
      if (n <= 0) {  // the device is gone (in tests: the pipe closed)
        watch.reset();
        return;
      }
      for (std::size_t i = 0; i < static_cast<std::size_t>(n) / sizeof(input_event); ++i) {
        // value 1 is the press; 0 the release, 2 an autorepeat
        if (events[i].type == EV_KEY && events[i].code == KEY_POWER && events[i].value == 1) pressed(name);
      }
    }
  }
};

PowerButton::PowerButton(Pressed pressed) : pressed_(std::move(pressed)) {}

PowerButton::~PowerButton() = default;

void PowerButton::add(boost::asio::io_context& io, int fd, const std::string& name) {
  auto device = std::make_unique<Device>(fd, name, pressed_);
  device->watch = std::make_unique<runtime::FdWatch>(io, fd, [raw = device.get()] { raw->readAll(); });
  devices_.push_back(std::move(device));
}

Result<std::unique_ptr<PowerButton>> PowerButton::open(boost::asio::io_context& io, Pressed pressed,
                                                       std::vector<std::string>* watched,
                                                       const std::filesystem::path& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> candidates;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().filename().string().rfind("event", 0) == 0) candidates.push_back(entry.path());
  }
  if (ec) return Error{fmt::format("power button: {}: {}", dir.string(), ec.message())};
  std::sort(candidates.begin(), candidates.end());
  std::unique_ptr<PowerButton> button(new PowerButton(std::move(pressed)));
  for (const auto& path : candidates) {
    int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) continue;
    if (!reportsPowerKey(fd)) {
      ::close(fd);
      continue;
    }
    std::string name = fmt::format("{} ({})", path.string(), deviceName(fd));
    button->add(io, fd, name);
    if (watched) watched->push_back(name);
  }
  return button;
}

std::unique_ptr<PowerButton> PowerButton::watch(boost::asio::io_context& io, Pressed pressed, int fd,
                                                const std::string& name) {
  std::unique_ptr<PowerButton> button(new PowerButton(std::move(pressed)));
  button->add(io, fd, name);
  return button;
}

}  // namespace bulwark::init
