// The DHCP client's callback. busybox udhcpc runs the program given with -s
// on every event (deconfig, bound, renew, leasefail, nak) with the lease in
// its environment; in the image that program is bulwark under the name
// `udhcpc-event`, which hands the event to the core over the control socket
// ({"ctl": "dhcp-event", ...}). The net module applies it through rtnetlink.
#pragma once

#include <map>
#include <string>

namespace bulwark::net {

struct DhcpEvent {
  std::string event;      // deconfig, bound, renew, leasefail, nak
  std::string interface;  // eth0
  std::string ip;         // 10.0.2.15
  std::string subnet;     // 255.255.255.0
  std::string router;     // first router
  std::string dns;        // space-separated
  std::string lease;      // seconds
};

// `bulwark` run as udhcpc-event: the event from argv[1] and the environment.
int dhcpEventMain(int argc, char** argv);

}  // namespace bulwark::net
