// The power button (PID 1): input devices that report KEY_POWER (on a PC or
// in QEMU, the ACPI button driver's "Power Button", which QEMU's
// system_powerdown presses) are read on the loop; a press calls `pressed`,
// which powers the device off the way SIGUSR2 does. The devices present at
// start are watched; there is no hot-plug.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.hpp"

namespace boost::asio {
class io_context;
}

namespace bulwark::init {

class PowerButton {
 public:
  using Pressed = std::function<void(const std::string& device)>;

  // Watches every dir/event* that reports KEY_POWER; names them in
  // `watched` ("/dev/input/event0 (Power Button)"). An error only when
  // `dir` cannot be read.
  static Result<std::unique_ptr<PowerButton>> open(boost::asio::io_context& io, Pressed pressed,
                                                   std::vector<std::string>* watched,
                                                   const std::filesystem::path& dir = "/dev/input");
  // Watches an open, non-blocking descriptor of struct input_event records
  // (tests: a pipe).
  static std::unique_ptr<PowerButton> watch(boost::asio::io_context& io, Pressed pressed, int fd,
                                            const std::string& name);
  ~PowerButton();

 private:
  struct Device;
  explicit PowerButton(Pressed pressed);
  void add(boost::asio::io_context& io, int fd, const std::string& name);

  Pressed pressed_;
  std::vector<std::unique_ptr<Device>> devices_;
};

}  // namespace bulwark::init
