#include "common/replace_file.hpp"

#include <sys/stat.h>

#include <fstream>

#include <fmt/format.h>

namespace bulwark {

Status replaceFile(const std::filesystem::path& path, const std::string& text, mode_t mode) {
  auto temporary = path;
  temporary += ".new";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << text;
    if (!out.flush()) return Error{fmt::format("cannot write {}", path.string())};
  }
  chmod(temporary.c_str(), mode);
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) return Error{fmt::format("cannot write {}: {}", path.string(), ec.message())};
  return {};
}

}  // namespace bulwark
