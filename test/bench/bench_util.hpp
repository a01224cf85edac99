// What the benchmark helpers (config_bench, firewall_bench) share: reading
// their numeric arguments and writing their generated inputs.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

namespace bulwark::bench {

// A whole number > 0, all of `text`; nullopt otherwise.
std::optional<long> positiveNumber(std::string_view text);

// Writes `text` to `path` (replacing it); on failure says so on standard
// error, as `program`, and returns false.
bool writeFile(const std::filesystem::path& path, std::string_view text, std::string_view program);

}  // namespace bulwark::bench
