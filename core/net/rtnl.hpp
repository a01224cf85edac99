// Links and addresses through rtnetlink (our libmnl), never through `ip`.
// Blocking but quick (one request, one acknowledgement): called at start and
// on configuration changes.
#pragma once

#include <string>

#include "common/status.hpp"

namespace bulwark::net {

// Sets the link up (or down).
Status setLinkUp(const std::string& interface, bool up = true);
// Puts "192.168.1.1/24" on the interface (replacing the same address).
Status addAddress(const std::string& interface, const std::string& cidr);
// Removes the address; absent is fine.
Status removeAddress(const std::string& interface, const std::string& cidr);
// Sets the default route (0.0.0.0/0) via `gateway` on `interface`, replacing one there.
Status setDefaultRoute(const std::string& interface, const std::string& gateway);
// Removes the default route on `interface`; absent is fine.
Status removeDefaultRoute(const std::string& interface);
// True when the kernel knows the interface.
bool interfaceExists(const std::string& interface);

// The kernel's route to an IPv4 address (RTM_GETROUTE): the interface, the
// source address it would use, the next hop ("" when directly attached).
struct Route {
  std::string interface, source, gateway;
};
Result<Route> routeTo(const std::string& address);

// Whether the link is up with a carrier (IFF_UP, IFF_RUNNING).
enum class LinkState { Up, NoCarrier, Down, Unknown };
LinkState linkState(const std::string& interface);

}  // namespace bulwark::net
