// A small, bounded pool of threads for blocking or CPU-heavy work (password
// hashing, SQLite commits, CMS verification). Work runs on a worker; its
// result is posted back to the loop. Module code never waits for a worker.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>

namespace boost::asio {
class io_context;
}

namespace bulwark::runtime {

class WorkerPool {
 public:
  WorkerPool(boost::asio::io_context& loop, std::size_t threads, std::size_t maxQueued);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `work` on a worker, then `done(result)` on the loop. False when the
  // queue is full: the caller reports that the device is busy.
  template <typename R>
  bool submit(std::function<R()> work, std::function<void(R)> done) {
    return enqueue<R>(std::move(work), std::move(done), Lane::Parallel);
  }

  // Jobs of the serial lane run one at a time, in order (the configuration
  // store uses this lane: one SQLite connection, one thread at a time).
  template <typename R>
  bool submitSerial(std::function<R()> work, std::function<void(R)> done) {
    return enqueue<R>(std::move(work), std::move(done), Lane::Serial);
  }

  // A serial job that is queued even beyond the bound: for work that must not
  // be refused, such as restoring the previous configuration after a failed change.
  template <typename R>
  void submitSerialAlways(std::function<R()> work, std::function<void(R)> done) {
    enqueue<R>(std::move(work), std::move(done), Lane::SerialAlways);
  }

  // Waits for every queued job; for shutdown and tests.
  void drain();

 private:
  enum class Lane { Parallel, Serial, SerialAlways };

  template <typename R>
  bool enqueue(std::function<R()> work, std::function<void(R)> done, Lane lane) {
    auto result = std::make_shared<std::optional<R>>();
    return enqueueErased([work = std::move(work), result] { result->emplace(work()); },
                         [done = std::move(done), result] { done(std::move(**result)); }, lane);
  }
  bool enqueueErased(std::function<void()> work, std::function<void()> done, Lane lane);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bulwark::runtime
