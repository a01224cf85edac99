// Writing a file that others read (a daemon's configuration in the run
// directory): the text goes to a new file beside it, which is renamed over
// it, so that a reader sees the old or the new file, never a part.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

#include "common/status.hpp"

namespace bulwark {

Status replaceFile(const std::filesystem::path& path, const std::string& text, mode_t mode = 0600);

}  // namespace bulwark
