// Boards the core can run on. Issue 7 turns boards into data files
// (platform/boards/*.json) with ports, LEDs, inputs and modems; until then
// there are "sim", the simulated board of development and tests (the core
// as a process, the host's network untouched), and "qemu", the virtual
// machine ./scripts/run boots (eth0 = XF1 external, eth1 = XF2 internal).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"

namespace bulwark::platform {

// A network port: its name on the housing and in the reference's second
// generation (table 3-4), the kernel interface behind it, and its role.
struct Port {
  std::string name;       // "XF1"
  std::string interface;  // "eth0"
  enum class Role { External, Internal, Dmz } role;
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

  const Port* port(Port::Role role) const;
};

Result<Board> findBoard(std::string_view name);

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
