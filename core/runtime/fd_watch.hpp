// Calls a function on the loop whenever a file descriptor becomes readable,
// until the watch is destroyed: the one place where netlink sockets, the
// kernel log and UDP sockets meet Asio (which only this file's .cpp sees).
// The watch does not own the descriptor; destroy the watch before closing it.
#pragma once

#include <functional>
#include <memory>

namespace boost::asio {
class io_context;
}

namespace bulwark::runtime {

class FdWatch {
 public:
  // `onReadable` runs on the loop, and again on later turns for as long as
  // the descriptor stays readable: it may read a bounded batch, but must
  // consume something (or destroy the watch) each time. It is never called
  // after the watch is destroyed.
  FdWatch(boost::asio::io_context& io, int fd, std::function<void()> onReadable);
  ~FdWatch();
  FdWatch(const FdWatch&) = delete;
  FdWatch& operator=(const FdWatch&) = delete;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace bulwark::runtime
