#include "runtime/control_socket.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

namespace bulwark::runtime {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;

struct ControlServer::Impl : std::enable_shared_from_this<ControlServer::Impl> {
  Impl(asio::io_context& io, std::filesystem::path p, Handler h)
      : acceptor(io), retry(io), path(std::move(p)), handler(std::move(h)) {}

  local::acceptor acceptor;
  asio::steady_timer retry;
  std::filesystem::path path;
  Handler handler;

  void accept() {
    acceptor.async_accept([self = shared_from_this()](const boost::system::error_code& ec, local::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (ec) {
        // Out of descriptors or memory: try again shortly instead of spinning.
        self->retry.expires_after(std::chrono::milliseconds(100));
        self->retry.async_wait([self](const boost::system::error_code& e) {
          if (!e && self->acceptor.is_open()) self->accept();
        });
        return;
      }
      serve(self, std::make_shared<local::socket>(std::move(socket)));
      self->accept();
    });
  }

  static void serve(std::shared_ptr<Impl> self, std::shared_ptr<local::socket> socket) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(socket->native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
        (cred.uid != 0 && cred.uid != geteuid())) {
      respond(socket, R"({"ok":false,"error":"Permission denied: only root may use the control socket."})");
      return;
    }
    auto buffer = std::make_shared<asio::streambuf>(kMaxControlMessage);
    asio::async_read_until(*socket, *buffer, '\n',
                           [self, socket, buffer, peer = Peer{cred.uid, cred.pid}](const boost::system::error_code& ec,
                                                                                    std::size_t n) {
                             if (ec) {
                               if (ec == asio::error::not_found) {
                                 respond(socket, R"({"ok":false,"error":"The request is too large."})");
                               }
                               return;
                             }
                             std::string line(asio::buffers_begin(buffer->data()),
                                              asio::buffers_begin(buffer->data()) + static_cast<std::ptrdiff_t>(n - 1));
                             self->handler(std::move(line), peer,
                                           [socket](std::string reply) { respond(socket, std::move(reply)); });
                           });
  }

  static void respond(std::shared_ptr<local::socket> socket, std::string reply) {
    auto text = std::make_shared<std::string>(std::move(reply) + "\n");
    asio::async_write(*socket, asio::buffer(*text), [socket, text](const boost::system::error_code&, std::size_t) {
      boost::system::error_code ignored;
      socket->shutdown(local::socket::shutdown_both, ignored);
    });
  }
};

Result<std::unique_ptr<ControlServer>> ControlServer::listen(asio::io_context& io, std::filesystem::path path,
                                                             Handler handler) {
  auto impl = std::make_shared<Impl>(io, path, std::move(handler));
  std::error_code fsErr;
  std::filesystem::remove(path, fsErr);  // a stale socket of an earlier run; the store lock keeps cores exclusive
  boost::system::error_code ec;
  impl->acceptor.open(local(), ec);
  if (!ec) {
    // Created with no permissions for group and others, then listened on.
    mode_t old = umask(0077);
    impl->acceptor.bind(local::endpoint(path.string()), ec);
    umask(old);
  }
  if (!ec) impl->acceptor.listen(64, ec);
  if (ec) return Error{fmt::format("cannot listen on the control socket {}: {}", path.string(), ec.message())};
  chmod(path.c_str(), 0600);
  impl->accept();
  return std::unique_ptr<ControlServer>(new ControlServer(std::move(impl)));
}

ControlServer::~ControlServer() {
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
  impl_->retry.cancel();
  std::error_code fsErr;
  std::filesystem::remove(impl_->path, fsErr);
}

Result<std::string> controlRequest(const std::filesystem::path& path, const std::string& request, bool& unavailable) {
  unavailable = false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string p = path.string();
  if (p.size() >= sizeof addr.sun_path) return Error{fmt::format("control socket path too long: {}", p)};
  std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error{fmt::format("socket: {}", std::strerror(errno))};
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno == ENOENT || errno == ECONNREFUSED) {
      unavailable = true;
      return Error{"The core is not running."};
    }
    if (errno == EACCES) return Error{fmt::format("cannot connect to {}: Permission denied (root only).", p)};
    return Error{fmt::format("cannot connect to {}: {}", p, std::strerror(errno))};
  }
  std::string out = request + "\n";
  // The core may answer (a refusal) before it has read the whole request: a
  // failed send is reported only when no answer can be read either.
  std::string sendError;
  for (std::size_t sent = 0; sent < out.size();) {
    ssize_t n = send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      sendError = fmt::format("cannot send to {}: {}", p, std::strerror(errno));
      break;
    }
    sent += static_cast<std::size_t>(n);
  }
  std::string reply;
  char buf[65536];
  while (true) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == ECONNRESET && !reply.empty()) break;
    if (n < 0) return Error{sendError.empty() ? fmt::format("cannot read from {}: {}", p, std::strerror(errno)) : sendError};
    if (n == 0) break;
    reply.append(buf, static_cast<std::size_t>(n));
    if (reply.size() > kMaxControlMessage) return Error{"The reply of the core is too large."};
  }
  if (reply.empty() || reply.back() != '\n') {
    return Error{sendError.empty() ? "The core closed the connection without an answer." : sendError};
  }
  reply.pop_back();
  return reply;
}

}  // namespace bulwark::runtime
