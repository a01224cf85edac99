// An exclusive lock on a file (flock) that lives as long as the object. The
// running core holds <data-dir>/config.lock and <run-dir>/bulwark.lock for
// its lifetime; gaiconfig holds config.lock while it works on the store
// directly. So a store is never used by two processes at once, and two cores
// never share a control socket. The holder's pid is written into the file.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.hpp"

namespace bulwark {

class FileLock {
 public:
  struct Busy {
    pid_t holder = 0;  // 0 when unknown
    std::string role;  // what the holder said it is ("core", "gaiconfig")
  };
  // Takes the lock as `role` (written into the file after the pid). While it
  // is held by a process of role `waitFor`, waits up to `wait`; any other
  // holder fails the call at once. On failure `busy` (when given) tells who
  // holds it; the error says why.
  static Result<std::unique_ptr<FileLock>> acquire(const std::filesystem::path& file, std::string_view role,
                                                   Busy* busy = nullptr, std::string_view waitFor = {},
                                                   std::chrono::milliseconds wait = {});
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace bulwark
