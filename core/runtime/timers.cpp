#include "runtime/timers.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace bulwark::runtime {

struct AsioTimers::Impl {
  explicit Impl(boost::asio::io_context& i) : io(i) {}
  boost::asio::io_context& io;
  Id next = 1;
  std::map<Id, std::unique_ptr<boost::asio::steady_timer>> timers;
};

AsioTimers::AsioTimers(boost::asio::io_context& io) : impl_(std::make_shared<Impl>(io)) {}

AsioTimers::~AsioTimers() {
  for (auto& [id, timer] : impl_->timers) timer->cancel();
}

Timers::Id AsioTimers::after(std::chrono::milliseconds delay, std::function<void()> fn) {
  Id id = impl_->next++;
  auto timer = std::make_unique<boost::asio::steady_timer>(impl_->io, delay);
  timer->async_wait([weak = std::weak_ptr<Impl>(impl_), id, fn = std::move(fn)](const boost::system::error_code& ec) {
    auto impl = weak.lock();
    // A timer cancelled after it expired still gets here, without an error:
    // only a timer still listed may fire.
    if (ec || !impl || impl->timers.erase(id) == 0) return;
    fn();
  });
  impl_->timers.emplace(id, std::move(timer));
  return id;
}

void AsioTimers::cancel(Id id) {
  auto it = impl_->timers.find(id);
  if (it == impl_->timers.end()) return;
  it->second->cancel();
  impl_->timers.erase(it);
}

Timers::Id ManualTimers::after(std::chrono::milliseconds delay, std::function<void()> fn) {
  Id id = next_++;
  pending_.emplace(id, Pending{now_ + delay, std::move(fn)});
  return id;
}

void ManualTimers::advance(std::chrono::milliseconds d) {
  auto end = now_ + d;
  while (true) {
    auto due = pending_.end();
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (it->second.due <= end && (due == pending_.end() || it->second.due < due->second.due)) due = it;
    }
    if (due == pending_.end()) break;
    clock_.advance(due->second.due - now_);
    now_ = due->second.due;
    auto fn = std::move(due->second.fn);
    pending_.erase(due);
    fn();
  }
  clock_.advance(end - now_);
  now_ = end;
}

}  // namespace bulwark::runtime
