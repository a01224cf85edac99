// Boards the core can run on, as data: one file a board in platform/boards/
// (NAME.json), validated against platform/board.schema.json and embedded
// into the binary at build time (boards.cmake), so that the image stays one
// static binary. "sim" is the simulated board of development and tests (the
// core as a process, the host's network untouched), "qemu" the virtual
// machine ./scripts/run boots (eth0 = XF1 external, eth1 = XF2 internal);
// the others are the reference's devices.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"

namespace bulwark::platform {

// A network port: its name on the housing, the kernel interface behind it,
// its role, and its names in both generations of the reference (table 3-4).
struct Port {
  std::string name;       // on the housing: "XF1" (mGuard 10), "WAN" (mGuard 8)
  std::string interface;  // "eth0"
  enum class Role { External, Internal, Dmz } role;
  std::string name10;      // "XF1", "" where table 3-4 has none
  std::string name8;       // "WAN", "" where table 3-4 has none
  std::string switchPort;  // the internal switch port of the board's generation ("swp0", "dmz0"), "" = none
};

// How a LED, an input, an output or a display is driven.
struct Driver {
  enum class Kind { Simulated, Sysfs, Gpio } kind = Kind::Simulated;
  std::string name;  // Sysfs: the LED class device, /sys/class/leds/<name>
  std::string chip;  // Gpio: "gpiochip0"
  unsigned line = 0;
  bool activeLow = false;
};

struct Led {
  std::string name;   // the label on the housing, upper case: "STAT", "PF1"
  std::string color;  // "green", "" = not known
  Driver driver;
};

struct Input {
  std::string name;  // "MODE", "CMD1"
  enum class Kind { ModeButton, ServiceContact } kind;
  Driver driver;
};

struct Output {
  std::string name;  // "ACK1", "O3", "FAULT"
  enum class Kind { Acknowledge, Alarm } kind;
  Driver driver;
};

struct Display {
  unsigned digits = 2;  // a 7-segment display
  Driver driver;
};

struct Modem {
  std::string type;                 // "lte", "3g"
  std::vector<std::string> models;  // the modems the device has been built with
  unsigned simSlots = 1;
};

struct Board {
  std::string name;
  std::string description;
  // What nph-vpn.cgi?cmd=sysinfo reports (reference 11.4.5).
  std::string productName;
  std::string hardware;
  std::string hardwareVersion;
  bool hasSwitch = false;  // a managed switch (switch/purge-arlt, reference 11.6)
  bool hasEcs = false;     // a slot for the exchangeable configuration storage
  std::vector<Port> ports;  // empty: the core leaves the host's interfaces alone (sim)
  // Kernel modules PID 1 loads (with their dependencies from modules.dep).
  std::vector<std::string> modules;
  // The block device of the persistent data partition ("" = none: /data is a tmpfs).
  std::string dataDevice;
  // The hardware watchdog's device node ("" = none), which PID 1 arms
  // (core/init/watchdog.hpp).
  std::string watchdog;
  std::vector<std::string> orderNumbers;
  int generation = 10;       // whose port names the housing has: 8 or 10 (table 3-4)
  std::string architecture;  // "mpc83xx", "aarch64", "x86_64", "host"
  std::vector<Led> leds;
  // How table 12-3 shows on the LEDs (led::LedSet): "rs4000", "platform-3";
  // "" = on none of them.
  std::string ledSet;
  std::optional<Display> display;
  // The mode button runs smart mode at power-up (GT/GT, reference 2.16.4.3).
  bool smartMode = false;
  std::vector<Input> inputs;
  std::vector<Output> outputs;
  std::optional<Modem> modem;

  const Port* port(Port::Role role) const;
};

Result<Board> findBoard(std::string_view name);

// The names of the boards built in, sorted.
std::vector<std::string> boardNames();

// A board from the text of its file, validated against the schema and
// checked for consistency (portsMatch); the loader of findBoard.
Result<Board> parseBoard(std::string_view text);

// The text of a built-in board file and of the schema (for the tests).
struct BoardFile {
  std::string_view name;  // "qemu.json"
  std::string_view text;
};
std::vector<BoardFile> boardFiles();
std::string_view boardSchema();

// Whether the ports are what table 3-4 says of the board's generation: the
// housing's names of its generation, the other generation's names as the
// table pairs them, unique names and interfaces, a switch port's interface
// being the switch port, at most one external port; and whether the LEDs,
// inputs and outputs are named once each. (That the board has the LEDs of
// its LED set, the LED engine's, is checked by a test of both.)
Status checkBoard(const Board& board);

// What `bulwark board NAME` prints: one "key: value" line a fact (a port,
// LED, input, output a line); lists are separated by spaces.
std::string describe(const Board& board);

// The device's serial number. Real boards read it from their hardware; the
// simulated board makes a random ten-digit one at first start and keeps it
// in <dataDir>/serial.
Result<std::string> deviceSerial(const Board& board, const std::filesystem::path& dataDir);

// The switch of a board (reference 11.6: switch/purge-arlt,
// switch/reset-phy-counters). Boards without one have none.
class SwitchControl {
 public:
  virtual ~SwitchControl() = default;
  virtual Status purgeAddressTable() = 0;
  virtual Status resetPhyCounters() = 0;
};

}  // namespace bulwark::platform
