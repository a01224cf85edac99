#include "net/link_monitor.hpp"

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "runtime/fd_watch.hpp"

namespace bulwark::net {

struct LinkMonitor::Impl : std::enable_shared_from_this<Impl> {
  mnl_socket* socket;
  std::unique_ptr<runtime::FdWatch> watch;
  runtime::Timers& timers;
  log::Log& log;
  runtime::EventBus& bus;
  std::set<std::string> interfaces;
  std::chrono::milliseconds debounce;
  std::map<std::string, bool> reported;  // carrier last reported
  std::map<std::string, bool> seen;      // carrier last seen
  std::map<std::string, runtime::Timers::Id> pending;
  std::vector<char> buffer = std::vector<char>(MNL_SOCKET_BUFFER_SIZE);

  Impl(mnl_socket* s, runtime::Timers& timers, log::Log& log, runtime::EventBus& bus,
       std::set<std::string> interfaces, std::chrono::milliseconds debounce)
      : socket(s),
        timers(timers),
        log(log),
        bus(bus),
        interfaces(std::move(interfaces)),
        debounce(debounce) {}

  ~Impl() {
    for (auto& [name, id] : pending) timers.cancel(id);
    watch.reset();
    mnl_socket_close(socket);
  }

  static int onMessage(const nlmsghdr* nlh, void* data) {
    auto* self = static_cast<Impl*>(data);
    if (nlh->nlmsg_type != RTM_NEWLINK) return MNL_CB_OK;
    auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
    std::string name;
    mnl_attr_parse(
        nlh, sizeof(*ifi),
        [](const nlattr* attr, void* out) {
          if (mnl_attr_get_type(attr) == IFLA_IFNAME && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0) {
            *static_cast<std::string*>(out) = mnl_attr_get_str(attr);
          }
          return MNL_CB_OK;
        },
        &name);
    // IFF_LOWER_UP (linux/if.h, which clashes with net/if.h): the carrier.
    constexpr unsigned kLowerUp = 1u << 16;
    self->observe(name, (ifi->ifi_flags & kLowerUp) != 0);
    return MNL_CB_OK;
  }

  void readAll() {
    for (;;) {
      ssize_t n = recv(mnl_socket_get_fd(socket), buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (n <= 0) {
        if (n < 0 && errno == ENOBUFS) {
          log.write("net", "link messages were lost (the receive buffer overflowed)");
          continue;
        }
        return;
      }
      mnl_cb_run(buffer.data(), static_cast<size_t>(n), 0, 0, onMessage, this);
    }
  }

  void observe(const std::string& name, bool carrier) {
    if (name.empty() || (!interfaces.empty() && !interfaces.count(name))) return;
    auto before = seen.find(name);
    if (before == seen.end()) {
      seen[name] = carrier;
      reported[name] = carrier;  // the first state is the starting point, not a change
      return;
    }
    if (before->second == carrier) return;
    before->second = carrier;
    // Wait until the state has held for the debounce time.
    if (auto p = pending.find(name); p != pending.end()) timers.cancel(p->second);
    pending[name] = timers.after(debounce, [weak = weak_from_this(), name] {
      auto self = weak.lock();
      if (!self) return;
      self->pending.erase(name);
      bool now = self->seen[name];
      if (self->reported[name] == now) return;  // flapped back
      self->reported[name] = now;
      self->bus.publish(LinkChanged{name, now});
      self->log.write("service-mauman", "[011] Running service loop because an interface changed");
    });
  }
};

Result<std::unique_ptr<LinkMonitor>> LinkMonitor::open(boost::asio::io_context& io, runtime::Timers& timers,
                                                       log::Log& log, runtime::EventBus& bus,
                                                       std::set<std::string> interfaces,
                                                       std::chrono::milliseconds debounce) {
  mnl_socket* s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (!s) return Error{fmt::format("link monitor: netlink: {}", std::strerror(errno))};
  if (mnl_socket_bind(s, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0) {
    int e = errno;
    mnl_socket_close(s);
    return Error{fmt::format("link monitor: netlink bind: {}", std::strerror(e))};
  }
  auto impl = std::make_shared<Impl>(s, timers, log, bus, std::move(interfaces), debounce);
  // The current state of every link, as the starting point.
  std::vector<char> request(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(request.data());
  nlh->nlmsg_type = RTM_GETLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  auto* rt = static_cast<rtgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtgenmsg)));
  rt->rtgen_family = AF_PACKET;
  if (mnl_socket_sendto(s, nlh, nlh->nlmsg_len) < 0) {
    return Error{fmt::format("link monitor: netlink dump: {}", std::strerror(errno))};
  }
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(s, impl->buffer.data(), impl->buffer.size());
    if (n <= 0) break;
    int rc = mnl_cb_run(impl->buffer.data(), static_cast<size_t>(n), 0, mnl_socket_get_portid(s), Impl::onMessage,
                        impl.get());
    if (rc <= MNL_CB_STOP) break;
  }
  impl->watch = std::make_unique<runtime::FdWatch>(io, mnl_socket_get_fd(s), [raw = impl.get()] { raw->readAll(); });
  return std::unique_ptr<LinkMonitor>(new LinkMonitor(impl));
}

LinkMonitor::~LinkMonitor() = default;

std::optional<bool> LinkMonitor::carrier(const std::string& interface) const {
  auto it = impl_->reported.find(interface);
  if (it == impl_->reported.end()) return std::nullopt;
  return it->second;
}

}  // namespace bulwark::net
