#include "firewall/log_format.hpp"

#include <fmt/format.h>

namespace bulwark::firewall {

namespace {

std::uint16_t be16(std::span<const std::uint8_t> p, std::size_t at) {
  return static_cast<std::uint16_t>(p[at] << 8 | p[at + 1]);
}
std::uint32_t be32(std::span<const std::uint8_t> p, std::size_t at) {
  return std::uint32_t(p[at]) << 24 | std::uint32_t(p[at + 1]) << 16 | std::uint32_t(p[at + 2]) << 8 | p[at + 3];
}

// Printable text only: a prefix or name never breaks the line.
std::string clean(const std::string& text) {
  std::string out;
  for (char c : text) out += (c > 0x20 && c < 0x7f) || c == ' ' ? c : '?';
  return out;
}

}  // namespace

std::optional<std::string> formatLogLine(const LoggedPacket& p) {
  std::span<const std::uint8_t> ip = p.ip;
  if (ip.size() < 20 || (ip[0] >> 4) != 4) return std::nullopt;
  std::size_t headerLength = static_cast<std::size_t>(ip[0] & 0x0f) * 4;
  if (headerLength < 20 || headerLength > ip.size()) return std::nullopt;

  std::string out = clean(p.prefix);
  if (!p.in.empty()) out += " IN=" + clean(p.in);
  if (!p.out.empty()) out += " OUT=" + clean(p.out);
  out += " MAC=";
  if (p.mac) {
    for (std::size_t i = 0; i < p.mac->size() && i < 8; ++i) out += fmt::format("{}{:02x}", i ? ":" : "", (*p.mac)[i]);
  }
  out += fmt::format(" SRC={}.{}.{}.{} DST={}.{}.{}.{}", ip[12], ip[13], ip[14], ip[15], ip[16], ip[17], ip[18], ip[19]);
  out += fmt::format(" LEN={} TOS=0x{:02X} PREC=0x{:02X} TTL={} ID={}", be16(ip, 2), ip[1] & 0x1e, ip[1] & 0xe0, ip[8],
                     be16(ip, 4));
  std::uint16_t fragment = be16(ip, 6);
  if (fragment & 0x8000) out += " CE";
  if (fragment & 0x4000) out += " DF";
  if (fragment & 0x2000) out += " MF";
  if (fragment & 0x1fff) out += fmt::format(" FRAG={}", fragment & 0x1fff);
  std::uint8_t protocol = ip[9];
  std::span<const std::uint8_t> l4 = ip.subspan(headerLength);
  bool first = (fragment & 0x1fff) == 0;  // only the first fragment has the transport header
  switch (protocol) {
    case 6:
      out += " PROTO=TCP";
      if (first && l4.size() >= 20) {
        std::uint8_t flags = l4[13];
        out += fmt::format(" SPT={} DPT={} SEQ={} ACK={} WINDOW={}", be16(l4, 0), be16(l4, 2), be32(l4, 4),
                           be32(l4, 8), be16(l4, 14));
        static constexpr std::pair<std::uint8_t, const char*> kFlags[] = {{0x80, "CWR"}, {0x40, "ECE"}, {0x20, "URG"},
                                                                          {0x10, "ACK"}, {0x08, "PSH"}, {0x04, "RST"},
                                                                          {0x02, "SYN"}, {0x01, "FIN"}};
        for (auto [bit, name] : kFlags) {
          if (flags & bit) out += fmt::format(" {}", name);
        }
        out += fmt::format(" URGP={}", be16(l4, 18));
      }
      break;
    case 17:
      out += " PROTO=UDP";
      if (first && l4.size() >= 8) out += fmt::format(" SPT={} DPT={} LEN={}", be16(l4, 0), be16(l4, 2), be16(l4, 4));
      break;
    case 1:
      out += " PROTO=ICMP";
      if (first && l4.size() >= 4) {
        out += fmt::format(" TYPE={} CODE={}", l4[0], l4[1]);
        bool echo = l4[0] == 0 || l4[0] == 8;
        if (echo && l4.size() >= 8) out += fmt::format(" ID={} SEQ={}", be16(l4, 4), be16(l4, 6));
        if (l4[0] == 5 && l4.size() >= 8) out += fmt::format(" GATEWAY={}.{}.{}.{}", l4[4], l4[5], l4[6], l4[7]);
        if (l4[0] == 3 && l4[1] == 4 && l4.size() >= 8) out += fmt::format(" MTU={}", be16(l4, 6));
      }
      break;
    case 50:
      out += " PROTO=ESP";
      if (first && l4.size() >= 4) out += fmt::format(" SPI=0x{:x}", be32(l4, 0));
      break;
    default: out += fmt::format(" PROTO={}", protocol);
  }
  return out;
}

std::string tunnelFields(const std::vector<VpnTunnel>& tunnels, const LoggedPacket& p) {
  std::string_view prefix = p.prefix;
  bool in = prefix.starts_with("fw-vpn-in_");
  if ((!in && !prefix.starts_with("fw-vpn-out_")) || p.ip.size() < 20) return {};
  prefix.remove_prefix(in ? 10 : 11);
  // "<ROWID>-<row>-<log id of 36 characters> act=X": the ROWID is what is
  // left of the row number (a row id may hold '-' itself).
  auto end = prefix.find(' ');
  if (end == std::string_view::npos || end < 38) return {};
  std::string_view rest = prefix.substr(0, end - 37);  // "<ROWID>-<row>"
  auto dash = rest.rfind('-');
  if (dash == std::string_view::npos) return {};
  std::string_view connection = rest.substr(0, dash);
  std::uint32_t src = be32(p.ip, 12), dst = be32(p.ip, 16);
  for (const VpnTunnel& t : tunnels) {
    if (t.connection != connection) continue;
    bool match = in ? t.remote.contains(src) && t.local.contains(dst) : t.local.contains(src) && t.remote.contains(dst);
    if (match) return fmt::format(" ROWID1={} ROWID2={}", t.connection, t.tunnel);
  }
  return {};
}

}  // namespace bulwark::firewall
