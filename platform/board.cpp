#include "board.hpp"

#include <fmt/format.h>

namespace bulwark::platform {

Result<Board> findBoard(std::string_view name) {
  if (name == "sim") return Board{"sim", "simulated board (development and tests)"};
  return Error{fmt::format("Unknown board \"{}\" (known boards: sim).", name)};
}

}  // namespace bulwark::platform
