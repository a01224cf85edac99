#include "bench_util.hpp"

#include <charconv>
#include <cstdio>
#include <fstream>
#include <string>

namespace bulwark::bench {

std::optional<long> positiveNumber(std::string_view text) {
  long n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end != text.data() + text.size() || n <= 0) return std::nullopt;
  return n;
}

bool writeFile(const std::filesystem::path& path, std::string_view text, std::string_view program) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!out) std::fprintf(stderr, "%s: cannot write %s\n", std::string(program).c_str(), path.c_str());
  return out.good();
}

}  // namespace bulwark::bench
