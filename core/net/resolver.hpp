// Host names to IPv4 addresses on the loop, with c-ares: it asks only the
// name servers it is given (the network module's: DNS_MODE, DNS_SERVERS or
// the lease), never the host's /etc/resolv.conf or /etc/hosts, so it gives
// the same answers as a process, in a namespace and in the image. For NTP
// server names; the VPN's remote gateways later.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.hpp"
#include "runtime/timers.hpp"

namespace boost::asio {
class io_context;
}

namespace bulwark::net {

class Resolver {
 public:
  // Dotted IPv4 addresses, or why there are none.
  using Done = std::function<void(Result<std::vector<std::string>>)>;

  static Result<std::unique_ptr<Resolver>> create(boost::asio::io_context& io, runtime::Timers& timers);
  ~Resolver();

  // "a.b.c.d" or "a.b.c.d:port" each; none: names cannot be resolved.
  // Lookups in flight end with an error (c-ares changes servers only when idle).
  Status setServers(const std::vector<std::string>& servers);
  // An address literal answers at once; `done` runs on the loop, also when
  // the resolver is destroyed first (with an error) -- never after that.
  void resolve(const std::string& name, Done done);

 private:
  struct Impl;
  explicit Resolver(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace bulwark::net
