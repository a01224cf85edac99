#include "net/dhcp_event.hpp"

#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "common/command_line.hpp"
#include "runtime/control_socket.hpp"

namespace bulwark::net {

int dhcpEventMain(int argc, char** argv) {
  if (argc < 2) {
    std::fputs("usage: udhcpc-event EVENT (run by udhcpc -s)\n", stderr);
    return 1;
  }
  auto env = [](const char* name) {
    const char* v = std::getenv(name);
    return std::string(v ? v : "");
  };
  std::string router = env("router");
  router = router.substr(0, router.find(' '));
  nlohmann::json request{{"ctl", "dhcp-event"}, {"event", argv[1]},   {"interface", env("interface")},
                         {"ip", env("ip")},       {"subnet", env("subnet")}, {"router", router},
                         {"dns", env("dns")},     {"lease", env("lease")}};
  bool unavailable = false;
  auto answer = runtime::controlRequest(std::filesystem::path(defaultRunDir()) / "bulwark.sock", request.dump(),
                                        unavailable);
  if (!answer) {
    std::fprintf(stderr, "udhcpc-event: %s\n", answer.error().c_str());
    return 1;
  }
  auto doc = nlohmann::json::parse(*answer, nullptr, false);
  if (doc.is_discarded() || !doc.value("ok", false)) {
    std::fprintf(stderr, "udhcpc-event: %s\n", doc.is_discarded() ? "malformed answer" : doc.value("error", "").c_str());
    return 1;
  }
  return 0;
}

}  // namespace bulwark::net
