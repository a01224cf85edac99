#include "net/rtnl.hpp"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "common/ipv4.hpp"

namespace bulwark::net {

namespace {

struct SocketCloser {
  void operator()(mnl_socket* s) const { mnl_socket_close(s); }
};

// Sends one request and waits for its acknowledgement (or, with `callback`,
// its answer, which goes to the callback).
Status talk(nlmsghdr* request, const std::string& what, mnl_cb_t callback = nullptr, void* data = nullptr) {
  std::unique_ptr<mnl_socket, SocketCloser> socket(mnl_socket_open(NETLINK_ROUTE));
  if (!socket) return Error{fmt::format("{}: netlink: {}", what, std::strerror(errno))};
  if (mnl_socket_bind(socket.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
    return Error{fmt::format("{}: netlink bind: {}", what, std::strerror(errno))};
  }
  unsigned portid = mnl_socket_get_portid(socket.get());
  request->nlmsg_seq = static_cast<unsigned>(time(nullptr));
  if (mnl_socket_sendto(socket.get(), request, request->nlmsg_len) < 0) {
    return Error{fmt::format("{}: netlink send: {}", what, std::strerror(errno))};
  }
  std::vector<char> buffer(MNL_SOCKET_BUFFER_SIZE);
  ssize_t n = mnl_socket_recvfrom(socket.get(), buffer.data(), buffer.size());
  if (n < 0) return Error{fmt::format("{}: netlink receive: {}", what, std::strerror(errno))};
  if (mnl_cb_run(buffer.data(), static_cast<size_t>(n), request->nlmsg_seq, portid, callback, data) < 0) {
    return Error{fmt::format("{}: {}", what, std::strerror(errno))};
  }
  return {};
}

Status addressRequest(const std::string& interface, const std::string& cidr, bool add) {
  unsigned index = if_nametoindex(interface.c_str());
  if (index == 0) return Error{fmt::format("there is no interface {}", interface)};
  auto c = parseIpv4Prefix(cidr);
  if (!c) return Error{c.error()};
  in_addr local{htonl(c->address)};
  std::vector<char> buffer(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer.data());
  nlh->nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = static_cast<unsigned char>(c->length);
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = index;
  mnl_attr_put(nlh, IFA_LOCAL, sizeof(in_addr), &local);
  mnl_attr_put(nlh, IFA_ADDRESS, sizeof(in_addr), &local);
  if (add && c->length < 31) {
    in_addr broadcast{htonl(c->address | ~c->mask())};
    mnl_attr_put(nlh, IFA_BROADCAST, sizeof(in_addr), &broadcast);
  }
  Status s = talk(nlh, fmt::format("{} {} {} {}", add ? "adding" : "removing", cidr, add ? "to" : "from", interface));
  if (!add && !s && s.message().find(std::strerror(EADDRNOTAVAIL)) != std::string::npos) return {};
  return s;
}

}  // namespace

bool interfaceExists(const std::string& interface) { return if_nametoindex(interface.c_str()) != 0; }

Status setLinkUp(const std::string& interface, bool up) {
  unsigned index = if_nametoindex(interface.c_str());
  if (index == 0) return Error{fmt::format("there is no interface {}", interface)};
  std::vector<char> buffer(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer.data());
  nlh->nlmsg_type = RTM_NEWLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = static_cast<int>(index);
  ifi->ifi_change = IFF_UP;
  ifi->ifi_flags = up ? IFF_UP : 0;
  return talk(nlh, fmt::format("setting {} {}", interface, up ? "up" : "down"));
}

// A request about the default route (0.0.0.0/0) of the main table on `index`.
static nlmsghdr* defaultRouteRequest(std::vector<char>& buffer, std::uint16_t type, std::uint16_t flags, unsigned index) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer.data());
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = AF_INET;
  rtm->rtm_dst_len = 0;
  rtm->rtm_table = RT_TABLE_MAIN;
  rtm->rtm_protocol = RTPROT_BOOT;
  rtm->rtm_scope = type == RTM_NEWROUTE ? RT_SCOPE_UNIVERSE : RT_SCOPE_NOWHERE;
  rtm->rtm_type = RTN_UNICAST;
  mnl_attr_put_u32(nlh, RTA_OIF, index);
  return nlh;
}

Status setDefaultRoute(const std::string& interface, const std::string& gateway) {
  unsigned index = if_nametoindex(interface.c_str());
  if (index == 0) return Error{fmt::format("there is no interface {}", interface)};
  in_addr via{};
  if (inet_pton(AF_INET, gateway.c_str(), &via) != 1) return Error{fmt::format("'{}' is not an address", gateway)};
  std::vector<char> buffer(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = defaultRouteRequest(buffer, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, index);
  mnl_attr_put(nlh, RTA_GATEWAY, sizeof(in_addr), &via);
  return talk(nlh, fmt::format("default route via {} on {}", gateway, interface));
}

Status removeDefaultRoute(const std::string& interface) {
  unsigned index = if_nametoindex(interface.c_str());
  if (index == 0) return Error{fmt::format("there is no interface {}", interface)};
  std::vector<char> buffer(MNL_SOCKET_BUFFER_SIZE);
  Status s = talk(defaultRouteRequest(buffer, RTM_DELROUTE, 0, index),
                  fmt::format("removing the default route on {}", interface));
  if (!s && s.message().find(std::strerror(ESRCH)) != std::string::npos) return {};
  return s;
}

Status addAddress(const std::string& interface, const std::string& cidr) {
  return addressRequest(interface, cidr, true);
}

Status removeAddress(const std::string& interface, const std::string& cidr) {
  return addressRequest(interface, cidr, false);
}

namespace {

int routeAttribute(const nlattr* attribute, void* data) {
  auto* route = static_cast<Route*>(data);
  in_addr address{};
  switch (mnl_attr_get_type(attribute)) {
    case RTA_OIF: {
      char name[IF_NAMESIZE] = {};
      if (if_indextoname(mnl_attr_get_u32(attribute), name)) route->interface = name;
      break;
    }
    case RTA_PREFSRC:
    case RTA_GATEWAY:
      if (mnl_attr_get_payload_len(attribute) != sizeof address) break;
      std::memcpy(&address, mnl_attr_get_payload(attribute), sizeof address);
      (mnl_attr_get_type(attribute) == RTA_PREFSRC ? route->source : route->gateway) = inet_ntoa(address);
      break;
    default: break;
  }
  return MNL_CB_OK;
}

int routeAnswer(const nlmsghdr* nlh, void* data) {
  if (nlh->nlmsg_type != RTM_NEWROUTE) return MNL_CB_OK;
  mnl_attr_parse(nlh, sizeof(rtmsg), routeAttribute, data);
  return MNL_CB_OK;
}

}  // namespace

Result<Route> routeTo(const std::string& address) {
  auto ip = parseIpv4(address);
  if (!ip) return Error{fmt::format("'{}' is not an IPv4 address", address)};
  in_addr destination{htonl(*ip)};
  std::vector<char> buffer(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer.data());
  nlh->nlmsg_type = RTM_GETROUTE;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = AF_INET;
  rtm->rtm_dst_len = 32;
  mnl_attr_put(nlh, RTA_DST, sizeof destination, &destination);
  Route route;
  if (Status s = talk(nlh, fmt::format("no route to {}", address), routeAnswer, &route); !s) return Error{s.message()};
  if (route.interface.empty()) return Error{fmt::format("no route to {}", address)};
  return route;
}

LinkState linkState(const std::string& interface) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return LinkState::Unknown;
  ifreq request{};
  std::strncpy(request.ifr_name, interface.c_str(), IF_NAMESIZE - 1);
  int rc = ioctl(fd, SIOCGIFFLAGS, &request);
  ::close(fd);
  if (rc != 0) return LinkState::Unknown;
  if (!(request.ifr_flags & IFF_UP)) return LinkState::Down;
  return request.ifr_flags & IFF_RUNNING ? LinkState::Up : LinkState::NoCarrier;
}

}  // namespace bulwark::net
