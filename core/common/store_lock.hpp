// The exclusive lock on a data directory (<data-dir>/config.lock, flock):
// the running core holds it for its lifetime, gaiconfig holds it while it
// works on the store directly. So the store is never used by both at once.
#pragma once

#include <filesystem>
#include <memory>

#include "common/status.hpp"

namespace bulwark {

class StoreLock {
 public:
  // Fails, without waiting, when another process holds the lock.
  static Result<std::unique_ptr<StoreLock>> acquire(const std::filesystem::path& dataDir);
  ~StoreLock();
  StoreLock(const StoreLock&) = delete;
  StoreLock& operator=(const StoreLock&) = delete;

 private:
  explicit StoreLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace bulwark
