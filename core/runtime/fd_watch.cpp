#include "runtime/fd_watch.hpp"

#include <poll.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

namespace bulwark::runtime {

struct FdWatch::Impl : std::enable_shared_from_this<Impl> {
  boost::asio::posix::stream_descriptor stream;
  std::function<void()> onReadable;
  bool closed = false;

  Impl(boost::asio::io_context& io, int fd, std::function<void()> fn) : stream(io, fd), onReadable(std::move(fn)) {}

  void wait() {
    stream.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                      [weak = weak_from_this()](boost::system::error_code ec) {
                        auto self = weak.lock();
                        if (!self || ec || self->closed) return;
                        self->serve();
                      });
  }

  // Asio's epoll reactor is edge-triggered: what the callback leaves unread
  // raises no new event. So while the descriptor stays readable the callback
  // runs again, on a later turn of the loop (others get theirs in between).
  void serve() {
    onReadable();
    if (closed) return;
    pollfd p{stream.native_handle(), POLLIN, 0};
    if (::poll(&p, 1, 0) == 1 && (p.revents & POLLIN)) {
      boost::asio::post(stream.get_executor(), [weak = weak_from_this()] {
        auto self = weak.lock();
        if (self && !self->closed) self->serve();
      });
    } else {
      wait();
    }
  }
};

FdWatch::FdWatch(boost::asio::io_context& io, int fd, std::function<void()> onReadable)
    : impl_(std::make_shared<Impl>(io, fd, std::move(onReadable))) {
  impl_->wait();
}

FdWatch::~FdWatch() {
  impl_->closed = true;
  boost::system::error_code ec;
  impl_->stream.cancel(ec);
  impl_->stream.release();
}

}  // namespace bulwark::runtime
