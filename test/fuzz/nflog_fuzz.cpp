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
  // A line of an IPsec connection's firewall: the tunnel from the packet's addresses.
  static const std::vector<VpnTunnel> kTunnels = {{"MAIv1", "MAIv2", "plant", {0xc0a80100, 24}, {0x0a000000, 8}},
                                                 {"MAIv1", "MAIv3", "plant", {0, 0}, {0, 0}}};
  p.prefix = (size > 1 && (data[1] & 1)) ? "fw-vpn-in_MAIv1-1-3189b7d8-8002-1315-805d-a8741dfd1b11 act=ACCEPT"
                                         : "fw-vpn-out_MAIv1-0-3189b7d8-8002-1315-805d-a8741dfd1b11 act=DROP";
  std::string fields = tunnelFields(kTunnels, p);
  if (size >= 20 && fields.empty()) std::abort();  // the second tunnel takes any packet
  return 0;
}
