// Boards the core can run on. Issue 7 turns boards into data files
// (platform/boards/*.json) with ports, LEDs, inputs and modems; until then
// the only board is "sim", the simulated board of development and tests.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/status.hpp"

namespace bulwark::platform {

struct Board {
  std::string name;
  std::string description;
  // What nph-vpn.cgi?cmd=sysinfo reports (reference 11.4.5).
  std::string productName;
  std::string hardware;
  std::string hardwareVersion;
  bool hasSwitch = false;  // a managed switch (switch/purge-arlt, reference 11.6)
  bool hasEcs = false;     // a slot for the exchangeable configuration storage
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
