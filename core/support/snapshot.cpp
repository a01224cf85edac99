#include "support/snapshot.hpp"

#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include <cstring>

#include <fmt/format.h>

#include "log/log_store.hpp"

namespace bulwark::support {

namespace {

constexpr std::size_t kBlock = 512;

void octal(char* field, std::size_t width, std::uint64_t value) {
  // width - 1 digits and a NUL, as ustar wants.
  std::string digits = fmt::format("{:0{}o}", value, width - 1);
  std::memcpy(field, digits.data(), width - 1);
  field[width - 1] = '\0';
}

Result<std::string> header(const ArchiveFile& file, std::time_t mtime) {
  char block[kBlock] = {};
  std::string name = file.name;
  std::string prefix;
  if (name.size() > 100) {
    auto slash = name.rfind('/', 155);
    if (slash == std::string::npos || name.size() - slash - 1 > 100) {
      return Error{fmt::format("archive name too long: {}", name)};
    }
    prefix = name.substr(0, slash);
    name = name.substr(slash + 1);
  }
  std::memcpy(block, name.data(), name.size());
  octal(block + 100, 8, 0644);
  octal(block + 108, 8, 0);
  octal(block + 116, 8, 0);
  octal(block + 124, 12, file.content.size());
  octal(block + 136, 12, static_cast<std::uint64_t>(mtime));
  std::memset(block + 148, ' ', 8);
  block[156] = '0';
  std::memcpy(block + 257, "ustar", 6);
  std::memcpy(block + 263, "00", 2);
  std::memcpy(block + 265, "root", 4);
  std::memcpy(block + 297, "root", 4);
  std::memcpy(block + 345, prefix.data(), prefix.size());
  unsigned sum = 0;
  for (unsigned char c : block) sum += c;
  octal(block + 148, 7, sum);
  block[155] = ' ';
  return std::string(block, kBlock);
}

class GzFile {
 public:
  explicit GzFile(const std::filesystem::path& path) : file_(gzopen(path.c_str(), "wb6")) {}
  ~GzFile() {
    if (file_) gzclose(file_);
  }
  bool ok() const { return file_ != nullptr && ok_; }
  void write(std::string_view data) {
    while (ok_ && !data.empty()) {
      unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(data.size(), 1 << 20));
      if (gzwrite(file_, data.data(), chunk) != static_cast<int>(chunk)) ok_ = false;
      data.remove_prefix(chunk);
    }
  }
  bool close() {
    int rc = gzclose(file_);
    file_ = nullptr;
    return ok_ && rc == Z_OK;
  }

 private:
  gzFile file_;
  bool ok_ = true;
};

}  // namespace

Status writeTarGz(const std::filesystem::path& path, const std::vector<ArchiveFile>& files, std::time_t mtime) {
  GzFile out(path);
  if (!out.ok()) return Error{fmt::format("cannot write {}", path.string())};
  static const std::string kZeros(kBlock * 2, '\0');
  for (const ArchiveFile& file : files) {
    auto head = header(file, mtime);
    if (!head) return Error{head.error()};
    out.write(*head);
    out.write(file.content);
    std::size_t pad = (kBlock - file.content.size() % kBlock) % kBlock;
    out.write(std::string_view(kZeros).substr(0, pad));
  }
  out.write(kZeros);  // two zero blocks end the archive
  if (!out.close()) return Error{fmt::format("cannot write {}", path.string())};
  return {};
}

Result<std::filesystem::path> writeSnapshot(const SnapshotInput& input, const std::filesystem::path& dir) {
  auto entries = log::query(input.logDatabase, {});
  std::string logs;
  if (entries) {
    for (const log::Entry& e : *entries) {
      logs += log::formatLine(e);
      logs += '\n';
    }
  } else {
    logs = fmt::format("The log could not be read: {}\n", entries.error());
  }
  std::vector<ArchiveFile> files{
      {input.directory + "/config.atv", input.configAtv},
      {input.directory + "/runtime.txt", input.runtimeText},
      {input.directory + "/versions.txt", input.versionsText},
      {input.directory + "/logs.txt", std::move(logs)},
  };
  if (!input.vpnDiagnostics.empty()) files.push_back({input.directory + "/vpn-diagnostics.txt", input.vpnDiagnostics});
  std::string pattern = (dir / "snapshot.XXXXXX").string();
  int fd = mkstemp(pattern.data());
  if (fd < 0) return Error{fmt::format("cannot create a file in {}", dir.string())};
  ::close(fd);
  std::filesystem::path path(pattern);
  if (Status s = writeTarGz(path, files, std::time(nullptr)); !s) {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
    return Error{s.message()};
  }
  return path;
}

}  // namespace bulwark::support
