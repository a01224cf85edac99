// One GPIO line of a board (a driver of kind "gpio": an LED, a service
// contact, a switching output), requested through libgpiod for as long as
// its object lives. Debian 12's libgpiod is 1.6 (API v1); it talks to the
// kernel's GPIO character device /dev/gpiochipN with the kernel's v1 uAPI,
// so the image's kernel needs CONFIG_GPIO_CDEV_V1 (the kernel's default).
// Debian ships libgpiod.a too, so the static binary links it like the rest.
//
// A line is requested either as an output (at its inactive level) or as an
// input that reports both edges through a descriptor. Levels are logical:
// a line that is active-low in its board file is active when low (libgpiod
// inverts it). Every error names the chip, the line and what the kernel said.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "board.hpp"
#include "common/status.hpp"

struct gpiod_chip;
struct gpiod_line;

namespace bulwark::platform {

class GpioLine {
 public:
  enum class Direction { Output, Input };

  // Line `driver.line` of the chip `devDir`/`driver.chip` (devDir is /dev on
  // a device), requested for `consumer` (what the kernel shows as the line's
  // user: "bulwark STAT").
  static Result<std::unique_ptr<GpioLine>> request(const std::filesystem::path& devDir, const Driver& driver,
                                                   Direction direction, const std::string& consumer);
  ~GpioLine();
  GpioLine(const GpioLine&) = delete;
  GpioLine& operator=(const GpioLine&) = delete;

  // Outputs: drives the line active or inactive.
  Status set(bool active);
  // The line's level now (true: active).
  Result<bool> get();
  // Inputs: a descriptor that is readable while edges wait to be read.
  int eventFd() const;
  // Inputs: reads the edges that wait (without blocking).
  Status consumeEvents();

  // "gpiochip0 line 3", for messages.
  const std::string& what() const { return what_; }

 private:
  GpioLine(gpiod_chip* chip, gpiod_line* line, std::string what) : chip_(chip), line_(line), what_(std::move(what)) {}

  gpiod_chip* chip_;
  gpiod_line* line_;
  std::string what_;
};

}  // namespace bulwark::platform
