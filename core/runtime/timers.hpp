// One-shot timers on the loop, behind an interface so that periodic work
// (uptime-audit, retention, backoff) is testable without sleeping:
// AsioTimers runs them on the io_context, ManualTimers when a test says so.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "runtime/clock.hpp"

namespace boost::asio {
class io_context;
}

namespace bulwark::runtime {

class Timers {
 public:
  using Id = std::uint64_t;
  virtual ~Timers() = default;
  // Calls `fn` on the loop once `delay` has passed; the id cancels it.
  virtual Id after(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
  virtual void cancel(Id id) = 0;
};

class AsioTimers final : public Timers {
 public:
  explicit AsioTimers(boost::asio::io_context& io);
  ~AsioTimers() override;
  Id after(std::chrono::milliseconds delay, std::function<void()> fn) override;
  void cancel(Id id) override;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Timers that fire when advance() moves time past them, in due order; the
// ManualClock moves along.
class ManualTimers final : public Timers {
 public:
  explicit ManualTimers(ManualClock& clock) : clock_(clock) {}
  Id after(std::chrono::milliseconds delay, std::function<void()> fn) override;
  void cancel(Id id) override { pending_.erase(id); }
  void advance(std::chrono::milliseconds d);
  std::size_t pending() const { return pending_.size(); }

 private:
  struct Pending {
    std::chrono::milliseconds due;
    std::function<void()> fn;
  };
  ManualClock& clock_;
  std::chrono::milliseconds now_{0};
  Id next_ = 1;
  std::map<Id, Pending> pending_;
};

}  // namespace bulwark::runtime
