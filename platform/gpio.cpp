#include "gpio.hpp"

#include <gpiod.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

namespace bulwark::platform {

namespace {

// What errno says, in the words of a GPIO line's user.
std::string reason(int error) {
  switch (error) {
    case ENOTTY: return "not a GPIO character device";
    case EBUSY: return "in use";
    default: return std::strerror(error);
  }
}

}  // namespace

Result<std::unique_ptr<GpioLine>> GpioLine::request(const std::filesystem::path& devDir, const Driver& driver,
                                                    Direction direction, const std::string& consumer) {
  std::string what = fmt::format("{} line {}", driver.chip, driver.line);
  std::filesystem::path path = devDir / driver.chip;
  gpiod_chip* chip = ::gpiod_chip_open(path.c_str());
  if (!chip) return Error{fmt::format("{}: cannot open {}: {}", what, path.string(), reason(errno))};
  unsigned lines = ::gpiod_chip_num_lines(chip);
  if (driver.line >= lines) {
    ::gpiod_chip_close(chip);
    return Error{fmt::format("{}: {} has {} lines (0-{})", what, driver.chip, lines, lines == 0 ? 0 : lines - 1)};
  }
  gpiod_line* line = ::gpiod_chip_get_line(chip, driver.line);
  if (!line) {
    int error = errno;
    ::gpiod_chip_close(chip);
    return Error{fmt::format("{}: {}", what, reason(error))};
  }
  int flags = driver.activeLow ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;
  int rc = direction == Direction::Output
               ? ::gpiod_line_request_output_flags(line, consumer.c_str(), flags, 0)
               : ::gpiod_line_request_both_edges_events_flags(line, consumer.c_str(), flags);
  if (rc < 0) {
    int error = errno;
    std::string user = error == EBUSY && ::gpiod_line_consumer(line)
                           ? fmt::format(" by \"{}\"", ::gpiod_line_consumer(line))
                           : std::string();
    ::gpiod_chip_close(chip);
    return Error{fmt::format("{}: cannot request it as an {}: {}{}", what,
                             direction == Direction::Output ? "output" : "input", reason(error), user)};
  }
  return std::unique_ptr<GpioLine>(new GpioLine(chip, line, std::move(what)));
}

// Closing the chip releases its requested line.
GpioLine::~GpioLine() { ::gpiod_chip_close(chip_); }

Status GpioLine::set(bool active) {
  if (::gpiod_line_set_value(line_, active ? 1 : 0) < 0) {
    return Error{fmt::format("{}: cannot set it: {}", what_, reason(errno))};
  }
  return {};
}

Result<bool> GpioLine::get() {
  int value = ::gpiod_line_get_value(line_);
  if (value < 0) return Error{fmt::format("{}: cannot read it: {}", what_, reason(errno))};
  return value == 1;
}

int GpioLine::eventFd() const { return ::gpiod_line_event_get_fd(line_); }

Status GpioLine::consumeEvents() {
  const timespec now{0, 0};
  for (;;) {
    int waiting = ::gpiod_line_event_wait(line_, &now);
    if (waiting == 0) return {};
    gpiod_line_event event;
    if (waiting < 0 || ::gpiod_line_event_read(line_, &event) < 0) {
      return Error{fmt::format("{}: cannot read its edges: {}", what_, reason(errno))};
    }
  }
}

}  // namespace bulwark::platform
