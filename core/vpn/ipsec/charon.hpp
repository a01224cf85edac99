// strongSwan's charon as a supervised service: its strongswan.conf, written
// into the run directory, and the service declaration.
//
// Debian's /usr/sbin/charon-systemd is used rather than /usr/lib/ipsec/charon:
// it writes no pid file, so several instances (the appliance's, a test
// peer's) can run side by side, each with its own configuration and VICI
// socket. It reads the `charon-systemd` section (falling back to `charon`).
// The configuration loads only the plugins a PSK or X.509 gateway needs,
// logs to stderr (the supervisor puts the lines into our log as "charon"),
// and, where the kernel has no ESP, does ESP in user space (kernel-libipsec:
// a TUN device ipsec0, ESP always in UDP on port 4500).
#pragma once

#include <filesystem>
#include <string>

#include "init/supervisor.hpp"

namespace bulwark::ipsec {

constexpr const char* kCharon = "/usr/sbin/charon-systemd";

struct CharonSettings {
  std::filesystem::path viciSocket;
  bool kernelEsp = true;  // false: kernel-libipsec
};

std::string strongswanConf(const CharonSettings& settings);

// Whether this kernel can do ESP: esp4 is loaded (/proc/modules), built in
// (modules.builtin) or loadable (modules.dep) for `release` under `root`.
// On this development machine none holds (its kernel has XFRM but no ESP).
bool kernelHasEsp(const std::filesystem::path& root, const std::string& release);
// The same for the running kernel.
bool kernelHasEsp();

// Whether the network the core sees is the appliance's own: it is PID 1, or
// it runs in a network namespace other than PID 1's (a test's; where PID 1's
// cannot be seen, one of `ip netns`'s under /run/netns). Elsewhere (a
// development core on a host) charon would bind ports 500 and 4500 and put
// routes and a TUN device into the host's network, so it is not started.
bool networkIsOurs();

// The "charon" service: ready when its VICI socket accepts.
init::ServiceSpec charonService(const std::filesystem::path& conf, const CharonSettings& settings);

}  // namespace bulwark::ipsec
