// libFuzzer target for the firewall's log lines (firewall/log_format.hpp):
// the packet headers NFLOG hands over come from whoever sent the packet.
// The input is the IPv4 packet; its first byte also picks whether there is
// a MAC. Rejecting is fine; crashing, a sanitizer report, or a line that is
// not one printable line is a bug.
#include <cstdint>
#include <cstdlib>

#include "firewall/log_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark::firewall;
  static const std::uint8_t kMac[] = {0x00, 0x15, 0x17, 0x20, 0xdf, 0x7d};
  LoggedPacket p{"fw-incoming-1-3189b8c7-8002-1315-805d-a8741dfd1b11 act=ACCEPT", "eth0", "eth1", std::nullopt,
                 std::span<const std::uint8_t>(data, size)};
  if (size > 0 && (data[0] & 1)) p.mac = std::span<const std::uint8_t>(kMac);
  if (auto line = formatLogLine(p)) {
    for (char c : *line) {
      if (c < 0x20 || c >= 0x7f) std::abort();
    }
  }
  return 0;
}
