// The clock modules read time from. Injected, so that timers, retention,
// uptime texts and backoff are testable without sleeping.
#pragma once

#include <chrono>

namespace bulwark::runtime {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (for time stamps).
  virtual std::chrono::system_clock::time_point now() const = 0;
  // Time since the system started (CLOCK_BOOTTIME).
  virtual std::chrono::seconds uptime() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override;
  std::chrono::seconds uptime() const override;
};

// A clock that only moves when told to; for tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::chrono::system_clock::time_point start = {}) : now_(start) {}
  std::chrono::system_clock::time_point now() const override { return now_; }
  std::chrono::seconds uptime() const override { return std::chrono::duration_cast<std::chrono::seconds>(uptime_); }
  void advance(std::chrono::nanoseconds d) {
    now_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
    uptime_ += d;
  }
  void set(std::chrono::system_clock::time_point t) { now_ = t; }
  void setUptime(std::chrono::seconds u) { uptime_ = u; }

 private:
  std::chrono::system_clock::time_point now_;
  std::chrono::nanoseconds uptime_{0};
};

}  // namespace bulwark::runtime
