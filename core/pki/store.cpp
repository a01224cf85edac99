#include "pki/store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <system_error>
#include <vector>

namespace bulwark::pki {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxFileSize = 1 << 20;
constexpr mode_t kKeyMode = 0600;
constexpr mode_t kCertificateMode = 0644;
constexpr std::size_t kMaxRowIdLength = 64;

std::string reason(int error) { return std::generic_category().message(error); }

Error systemError(std::string_view what, const fs::path& path, int error = errno) {
  return Error{fmt::format("Cannot {} {}: {}", what, path.string(), reason(error))};
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // close() reports what a delayed write-back failure would otherwise hide.
  int close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

// Creates `dir` (not its parents) or takes the one there, and makes it 0700.
Status ensurePrivateDirectory(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return systemError("create", dir);
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) return systemError("inspect", dir);
  if (!S_ISDIR(st.st_mode)) return Error{fmt::format("{} is not a directory.", dir.string())};
  if ((st.st_mode & 07777) != 0700 && ::chmod(dir.c_str(), 0700) != 0) return systemError("restrict", dir);
  return {};
}

// The file's bytes, or nothing when it does not exist.
Result<std::optional<std::string>> readFile(const fs::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return systemError("open", path);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return systemError("inspect", path);
  if (!S_ISREG(st.st_mode)) return Error{fmt::format("{} is not a regular file.", path.string())};
  if (static_cast<std::size_t>(st.st_size) > kMaxFileSize) {
    return Error{fmt::format("{} is larger than 1 MiB.", path.string())};
  }
  std::string data;
  char buffer[16384];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return systemError("read", path);
    if (n == 0) break;
    data.append(buffer, static_cast<std::size_t>(n));
    if (data.size() > kMaxFileSize) return Error{fmt::format("{} is larger than 1 MiB.", path.string())};
  }
  return std::optional<std::string>(std::move(data));
}

Status writeAll(int fd, std::string_view data, const fs::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return systemError("write", path);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Status syncDirectory(const fs::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) return systemError("sync", dir);
  return {};
}

struct NewFile {
  std::string name;
  std::string_view content;
  mode_t mode;
};

// Writes every file to a temporary file beside it and fsyncs it; only when
// all are written are they renamed into place, then the directory is synced.
class AtomicWrite {
 public:
  explicit AtomicWrite(fs::path dir) : dir_(std::move(dir)) {}
  ~AtomicWrite() {
    for (const auto& temp : temps_) {
      if (!temp.empty()) ::unlink(temp.c_str());
    }
  }
  AtomicWrite(const AtomicWrite&) = delete;
  AtomicWrite& operator=(const AtomicWrite&) = delete;

  Status run(const std::vector<NewFile>& files) {
    for (const NewFile& file : files) {
      if (Status s = stage(file); !s) return s;
    }
    for (std::size_t i = 0; i < files.size(); ++i) {
      fs::path target = dir_ / files[i].name;
      if (::rename(temps_[i].c_str(), target.c_str()) != 0) return systemError("replace", target);
      temps_[i].clear();
    }
    return syncDirectory(dir_);
  }

 private:
  Status stage(const NewFile& file) {
    std::string temp = (dir_ / ("." + file.name + ".XXXXXX")).string();
    Fd fd(::mkostemp(temp.data(), O_CLOEXEC));
    if (fd.get() < 0) return systemError("create a temporary file in", dir_);
    temps_.push_back(temp);
    if (::fchmod(fd.get(), file.mode) != 0) return systemError("set the mode of", temp);
    if (Status s = writeAll(fd.get(), file.content, temp); !s) return s;
    if (::fsync(fd.get()) != 0 || fd.close() != 0) return systemError("sync", temp);
    return {};
  }

  fs::path dir_;
  std::vector<std::string> temps_;  // an empty one has been renamed
};

Status removeFiles(const fs::path& dir, const std::vector<std::string>& names) {
  for (const auto& name : names) {
    fs::path path = dir / name;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return systemError("remove", path);
  }
  return syncDirectory(dir);
}

// Why the stored device identity cannot be used; empty when it can (then
// `identity` holds it).
Result<std::string> deviceProblem(const fs::path& dir, std::string_view serial, std::time_t now,
                                  TlsIdentity& identity) {
  auto certificate = readFile(dir / "device.crt");
  if (!certificate) return Error{certificate.error()};
  auto key = readFile(dir / "device.key");
  if (!key) return Error{key.error()};
  if (!*certificate && !*key) return std::string("none existed yet");
  if (!*certificate) return std::string("device.crt was missing");
  if (!*key) return std::string("device.key was missing");
  identity = {std::move(**certificate), std::move(**key)};
  if (Status s = checkIdentity(identity); !s) return "the stored pair was unusable: " + s.message();
  auto info = describeCertificate(identity.certificateChainPem);
  if (!info) return "device.crt was unusable: " + info.error();
  if (info->commonName != serial) {
    return fmt::format("device.crt was made out to \"{}\", not to this device", info->commonName);
  }
  if (info->notAfter <= now) return fmt::format("device.crt expired on {}", formatUtc(info->notAfter));
  return std::string();
}

fs::path machineDir(const fs::path& dataDir) { return dataDir / "pki" / "machine"; }

Error badRowId() {
  return Error{fmt::format("A machine certificate row id must be 1 to {} letters and digits.", kMaxRowIdLength)};
}

}  // namespace

Result<DeviceIdentity> ensureDeviceCertificate(const fs::path& dataDir, std::string_view deviceSerial,
                                               const runtime::Clock& clock) {
  if (deviceSerial.empty()) return Error{"The device serial number is empty."};
  fs::path dir = dataDir / "pki";
  if (Status s = ensurePrivateDirectory(dir); !s) return Error{s.message()};
  auto now = clock.now();
  DeviceIdentity device;
  auto problem = deviceProblem(dir, deviceSerial, std::chrono::system_clock::to_time_t(now), device.identity);
  if (!problem) return Error{problem.error()};
  if (problem->empty()) {
    // A key file someone made readable is put back to 0600.
    if (::chmod((dir / "device.key").c_str(), kKeyMode) != 0) return systemError("restrict", dir / "device.key");
    return device;
  }
  auto made = makeSelfSignedCertificate(deviceSerial, now);
  if (!made) return Error{made.error()};
  AtomicWrite write(dir);
  if (Status s = write.run({{"device.key", made->privateKeyPem, kKeyMode},
                            {"device.crt", made->certificateChainPem, kCertificateMode}});
      !s) {
    return Error{s.message()};
  }
  return DeviceIdentity{std::move(*made), true, std::move(*problem)};
}

bool isValidRowId(std::string_view rowId) {
  return !rowId.empty() && rowId.size() <= kMaxRowIdLength && std::all_of(rowId.begin(), rowId.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
         });
}

Status storeMachineIdentity(const fs::path& dataDir, std::string_view rowId, const TlsIdentity& identity) {
  if (!isValidRowId(rowId)) return badRowId();
  if (Status s = checkIdentity(identity); !s) return Error{"The machine certificate is unusable: " + s.message()};
  for (const fs::path& dir : {dataDir / "pki", machineDir(dataDir)}) {
    if (Status s = ensurePrivateDirectory(dir); !s) return s;
  }
  std::string id(rowId);
  AtomicWrite write(machineDir(dataDir));
  return write.run({{id + ".key", identity.privateKeyPem, kKeyMode},
                    {id + ".crt", identity.certificateChainPem, kCertificateMode}});
}

Result<TlsIdentity> loadMachineIdentity(const fs::path& dataDir, std::string_view rowId) {
  if (!isValidRowId(rowId)) return badRowId();
  std::string id(rowId);
  auto certificate = readFile(machineDir(dataDir) / (id + ".crt"));
  if (!certificate) return Error{certificate.error()};
  auto key = readFile(machineDir(dataDir) / (id + ".key"));
  if (!key) return Error{key.error()};
  if (!*certificate || !*key) return Error{fmt::format("No machine certificate is stored for row {}.", id)};
  TlsIdentity identity{std::move(**certificate), std::move(**key)};
  if (Status s = checkIdentity(identity); !s) {
    return Error{fmt::format("The stored machine certificate of row {} is unusable: {}", id, s.message())};
  }
  return identity;
}

Status removeMachineIdentity(const fs::path& dataDir, std::string_view rowId) {
  if (!isValidRowId(rowId)) return badRowId();
  std::error_code ec;
  if (!fs::is_directory(machineDir(dataDir), ec)) return {};
  std::string id(rowId);
  return removeFiles(machineDir(dataDir), {id + ".crt", id + ".key"});
}

}  // namespace bulwark::pki
