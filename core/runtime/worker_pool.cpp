#include "runtime/worker_pool.hpp"

#include <condition_variable>
#include <mutex>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

namespace bulwark::runtime {

struct WorkerPool::Impl {
  Impl(boost::asio::io_context& l, std::size_t threads, std::size_t max)
      : loop(l), pool(threads), serial(boost::asio::make_strand(pool)), maxQueued(max) {}

  boost::asio::io_context& loop;
  boost::asio::thread_pool pool;
  boost::asio::strand<boost::asio::thread_pool::executor_type> serial;
  std::size_t maxQueued;
  std::mutex mutex;
  std::condition_variable idle;
  std::size_t queued = 0;
};

WorkerPool::WorkerPool(boost::asio::io_context& loop, std::size_t threads, std::size_t maxQueued)
    : impl_(std::make_unique<Impl>(loop, threads, maxQueued)) {}

WorkerPool::~WorkerPool() {
  impl_->pool.join();
}

bool WorkerPool::enqueueErased(std::function<void()> work, std::function<void()> done, Lane lane) {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->queued >= impl_->maxQueued && lane != Lane::SerialAlways) return false;
    ++impl_->queued;
  }
  // The loop counts a job as pending work until its `done` is posted, so
  // io_context::run() does not return while a worker still owes an answer.
  auto guard = std::make_shared<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
      impl_->loop.get_executor());
  auto job = [impl = impl_.get(), work = std::move(work), done = std::move(done), guard]() mutable {
    work();
    // The work is counted as finished before `done` is posted, so a `done`
    // that submits again is never refused by its own predecessor.
    {
      std::lock_guard lock(impl->mutex);
      --impl->queued;
    }
    impl->idle.notify_all();
    boost::asio::post(impl->loop, std::move(done));
    guard->reset();
  };
  if (lane != Lane::Parallel) {
    boost::asio::post(impl_->serial, std::move(job));
  } else {
    boost::asio::post(impl_->pool, std::move(job));
  }
  return true;
}

void WorkerPool::drain() {
  std::unique_lock lock(impl_->mutex);
  impl_->idle.wait(lock, [&] { return impl_->queued == 0; });
}

}  // namespace bulwark::runtime
