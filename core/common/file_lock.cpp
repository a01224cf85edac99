#include "common/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <thread>

#include <fmt/format.h>

namespace bulwark {

namespace {

FileLock::Busy readHolder(int fd) {
  FileLock::Busy who;
  char text[64] = {};
  ssize_t n = pread(fd, text, sizeof text - 1, 0);
  if (n <= 0) return who;
  std::string_view line(text, static_cast<std::size_t>(n));
  auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), who.holder);
  if (ec != std::errc{}) return {};
  std::string_view rest = line.substr(static_cast<std::size_t>(end - line.data()));
  if (rest.starts_with(' ')) who.role = rest.substr(1, rest.find('\n') - 1);
  return who;
}

}  // namespace

Result<std::unique_ptr<FileLock>> FileLock::acquire(const std::filesystem::path& file, std::string_view role,
                                                    Busy* busy, std::string_view waitFor,
                                                    std::chrono::milliseconds wait) {
  int fd = open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Error{fmt::format("cannot open {}: {}", file.string(), std::strerror(errno))};
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    Busy who = readHolder(fd);
    // An empty file: the holder has locked it but not yet written its name.
    if (err == EWOULDBLOCK && !waitFor.empty() && (who.role == waitFor || who.holder == 0) &&
        std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    pid_t holder = who.holder;
    close(fd);
    if (busy) *busy = who;
    if (err == EWOULDBLOCK) {
      return Error{holder ? fmt::format("{} is held by pid {}", file.string(), holder)
                          : fmt::format("{} is held by another process", file.string())};
    }
    return Error{fmt::format("cannot lock {}: {}", file.string(), std::strerror(err))};
  }
  std::string me = fmt::format("{} {}\n", getpid(), role);
  if (ftruncate(fd, 0) == 0) (void)!pwrite(fd, me.data(), me.size(), 0);
  return std::unique_ptr<FileLock>(new FileLock(fd));
}

FileLock::~FileLock() { close(fd_); }

}  // namespace bulwark
