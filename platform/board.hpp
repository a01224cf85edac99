// Boards the core can run on. Issue 7 turns boards into data files
// (platform/boards/*.json) with ports, LEDs, inputs and modems; until then
// the only board is "sim", the simulated board of development and tests.
#pragma once

#include <string>
#include <string_view>

#include "common/status.hpp"

namespace bulwark::platform {

struct Board {
  std::string name;
  std::string description;
};

Result<Board> findBoard(std::string_view name);

}  // namespace bulwark::platform
