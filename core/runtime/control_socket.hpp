// The local control socket, <run-dir>/bulwark.sock (mode 0600): gaiconfig
// and later CLIs talk to the running core through it. One request per
// connection: a line of JSON in, a line of JSON out. Only root (or the user
// the core runs as) may talk to it; the peer is checked with SO_PEERCRED.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "common/status.hpp"

namespace boost::asio {
class io_context;
}

namespace bulwark::runtime {

// A 16 MiB profile as a JSON string: escaping can double it (every '"' of an
// ATV escape "\"" becomes four bytes), plus room for the rest of the request.
inline constexpr std::size_t kMaxControlMessage = 2 * 16 * 1024 * 1024 + 64 * 1024;

struct Peer {
  uid_t uid;
  pid_t pid;
};

class ControlServer {
 public:
  using Reply = std::function<void(std::string)>;
  using Handler = std::function<void(std::string request, const Peer& peer, Reply reply)>;

  static Result<std::unique_ptr<ControlServer>> listen(boost::asio::io_context& io, std::filesystem::path path,
                                                       Handler handler);
  ~ControlServer();

  struct Impl;

 private:
  explicit ControlServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

// The client side, for command-line tools (blocking; never used on the loop).
// The reply line; Error when the exchange failed. `unavailable` is set when
// no core listens at `path` (no socket, or nobody accepting).
Result<std::string> controlRequest(const std::filesystem::path& path, const std::string& request, bool& unavailable);

}  // namespace bulwark::runtime
