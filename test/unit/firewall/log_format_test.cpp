// The firewall's log lines (reference 4.4), from packets built here: the
// reference's own examples, field by field, and what is not an IPv4 packet.
#include <catch2/catch.hpp>

#include <vector>

#include "firewall/log_format.hpp"

using namespace bulwark;

namespace {

std::vector<std::uint8_t> ipv4(std::uint8_t protocol, std::array<std::uint8_t, 4> src, std::array<std::uint8_t, 4> dst,
                               std::uint16_t length, std::uint8_t ttl, std::uint16_t id, std::uint16_t fragment,
                               std::uint8_t tos = 0) {
  std::vector<std::uint8_t> p = {0x45, tos, std::uint8_t(length >> 8), std::uint8_t(length), std::uint8_t(id >> 8),
                                 std::uint8_t(id), std::uint8_t(fragment >> 8), std::uint8_t(fragment), ttl, protocol,
                                 0, 0};
  p.insert(p.end(), src.begin(), src.end());
  p.insert(p.end(), dst.begin(), dst.end());
  return p;
}

void put16(std::vector<std::uint8_t>& p, std::uint16_t v) {
  p.push_back(std::uint8_t(v >> 8));
  p.push_back(std::uint8_t(v));
}
void put32(std::vector<std::uint8_t>& p, std::uint32_t v) {
  put16(p, std::uint16_t(v >> 16));
  put16(p, std::uint16_t(v));
}

const std::uint8_t kMac[] = {0x00, 0x15, 0x17, 0x20, 0xdf, 0x7d};

}  // namespace

TEST_CASE("firewall log lines as the reference prints them", "[firewall]") {
  // Reference 4.4.3: a TCP SYN from the WAN to a LAN host.
  auto tcp = ipv4(6, {10, 1, 80, 200}, {192, 168, 1, 100}, 52, 127, 26695, 0x4000);
  put16(tcp, 23695);
  put16(tcp, 5201);
  put32(tcp, 107412944);
  put32(tcp, 0);
  tcp.push_back(0x80);  // data offset 8 words
  tcp.push_back(0x02);  // SYN
  put16(tcp, 65535);
  put16(tcp, 0);
  put16(tcp, 0);
  firewall::LoggedPacket p{"fw-incoming-2-3189b8c7-8002-1315-805d-a8741dfd1b11 act=ACCEPT", "eth0", "eth1",
                           std::span<const std::uint8_t>(kMac), tcp};
  CHECK(firewall::formatLogLine(p) ==
        "fw-incoming-2-3189b8c7-8002-1315-805d-a8741dfd1b11 act=ACCEPT IN=eth0 OUT=eth1 MAC=00:15:17:20:df:7d "
        "SRC=10.1.80.200 DST=192.168.1.100 LEN=52 TOS=0x00 PREC=0x00 TTL=127 ID=26695 DF PROTO=TCP SPT=23695 "
        "DPT=5201 SEQ=107412944 ACK=0 WINDOW=65535 SYN URGP=0");

  // Reference 4.4.9: an ICMP echo request.
  auto icmp = ipv4(1, {10, 1, 80, 200}, {192, 168, 1, 100}, 60, 127, 26694, 0);
  icmp.insert(icmp.end(), {8, 0, 0, 0});
  put16(icmp, 1);
  put16(icmp, 390);
  p.prefix = "fw-incoming-1-3189b8c7-8002-1315-805d-a8741dfd1b11 act=ACCEPT";
  p.ip = icmp;
  CHECK(firewall::formatLogLine(p) ==
        "fw-incoming-1-3189b8c7-8002-1315-805d-a8741dfd1b11 act=ACCEPT IN=eth0 OUT=eth1 MAC=00:15:17:20:df:7d "
        "SRC=10.1.80.200 DST=192.168.1.100 LEN=60 TOS=0x00 PREC=0x00 TTL=127 ID=26694 PROTO=ICMP TYPE=8 CODE=0 ID=1 "
        "SEQ=390");

  // Reference 4.4.8: UDP to the appliance itself (no OUT), TOS and precedence.
  auto udp = ipv4(17, {192, 168, 178, 40}, {192, 168, 178, 128}, 76, 64, 20909, 0x4000, 0xb8);
  put16(udp, 123);
  put16(udp, 123);
  put16(udp, 56);
  put16(udp, 0);
  const std::uint8_t mac2[] = {0x00, 0x0c, 0xbe, 0x00, 0x10, 0xfc};
  firewall::LoggedPacket q{"fw-ntp-access-1-1dd08618-31d0-1f7fb283-000cbe000d32 act=DROP", "eth0", "",
                           std::span<const std::uint8_t>(mac2), udp};
  CHECK(firewall::formatLogLine(q) ==
        "fw-ntp-access-1-1dd08618-31d0-1f7fb283-000cbe000d32 act=DROP IN=eth0 MAC=00:0c:be:00:10:fc "
        "SRC=192.168.178.40 DST=192.168.178.128 LEN=76 TOS=0x18 PREC=0xA0 TTL=64 ID=20909 DF PROTO=UDP SPT=123 "
        "DPT=123 LEN=56");
}

TEST_CASE("firewall log lines of odd packets", "[firewall]") {
  firewall::LoggedPacket p{"fw-x", "eth0", "", std::nullopt, {}};
  std::vector<std::uint8_t> none;
  CHECK_FALSE(firewall::formatLogLine(p));  // nothing
  auto v6 = ipv4(6, {1, 2, 3, 4}, {5, 6, 7, 8}, 20, 1, 1, 0);
  v6[0] = 0x60;
  p.ip = v6;
  CHECK_FALSE(firewall::formatLogLine(p));  // not IPv4
  // A later fragment has no transport header; a truncated TCP header none either.
  auto fragment = ipv4(6, {1, 2, 3, 4}, {5, 6, 7, 8}, 1500, 5, 7, 0x2000 | 185);
  fragment.insert(fragment.end(), 20, 0xff);
  p.ip = fragment;
  CHECK(firewall::formatLogLine(p) ==
        "fw-x IN=eth0 MAC= SRC=1.2.3.4 DST=5.6.7.8 LEN=1500 TOS=0x00 PREC=0x00 TTL=5 ID=7 MF FRAG=185 PROTO=TCP");
  auto shortTcp = ipv4(6, {1, 2, 3, 4}, {5, 6, 7, 8}, 30, 5, 7, 0);
  shortTcp.insert(shortTcp.end(), 10, 0);
  p.ip = shortTcp;
  CHECK(firewall::formatLogLine(p)->ends_with("PROTO=TCP"));
  // ESP shows its SPI; other protocols their number; a prefix cannot break the line.
  auto esp = ipv4(50, {1, 2, 3, 4}, {5, 6, 7, 8}, 100, 5, 7, 0);
  put32(esp, 0xc0ffee);
  p.ip = esp;
  p.prefix = "fw-x\nforged";
  CHECK(firewall::formatLogLine(p) ==
        "fw-x?forged IN=eth0 MAC= SRC=1.2.3.4 DST=5.6.7.8 LEN=100 TOS=0x00 PREC=0x00 TTL=5 ID=7 PROTO=ESP SPI=0xc0ffee");
  auto gre = ipv4(47, {1, 2, 3, 4}, {5, 6, 7, 8}, 100, 5, 7, 0);
  p.ip = gre;
  CHECK(firewall::formatLogLine(p)->ends_with(" PROTO=47"));
}

TEST_CASE("lines of an IPsec connection's firewall name the connection and the tunnel", "[firewall]") {
  // An ICMP echo request 192.168.27.100 -> 192.168.1.100 (reference 4.4.14).
  std::vector<std::uint8_t> ip = {0x45, 0, 0, 60, 0, 239, 0, 0, 126, 1, 0, 0, 192, 168, 27, 100, 192, 168, 1, 100,
                                  8, 0, 0, 0, 0, 1, 1, 120};
  std::vector<firewall::VpnTunnel> tunnels = {
      {"MAIv711498711", "MAIv144871510", "plant", {0xc0a80100, 24}, {0x0a000000, 8}},
      {"MAIv711498711", "MAIv144871511", "plant", {0xc0a80100, 24}, {0xc0a81b00, 24}},
      {"MAIv7114987", "MAIv1", "other", {0, 0}, {0, 0}},
      {"MAIv7114987-1", "MAIv2", "dashed", {0, 0}, {0, 0}}};
  firewall::LoggedPacket p;
  p.ip = ip;
  p.prefix = "fw-vpn-in_MAIv711498711-1-3189b7d8-8002-1315-805d-a8741dfd1b11 act=ACCEPT";
  CHECK(firewall::tunnelFields(tunnels, p) == " ROWID1=MAIv711498711 ROWID2=MAIv144871511");
  // Outgoing: from the local network into the remote one; this packet is not.
  p.prefix = "fw-vpn-out_MAIv711498711-1-3189b7d8-8002-1315-805d-a8741dfd1b11 act=ACCEPT";
  CHECK(firewall::tunnelFields(tunnels, p).empty());
  // A connection's ROWID is matched whole ("MAIv7114987" is another one, whose tunnel takes anything).
  p.prefix = "fw-vpn-in_MAIv7114987-1-3189b7d8-8002-1315-805d-a8741dfd1b11 act=ACCEPT";
  CHECK(firewall::tunnelFields(tunnels, p) == " ROWID1=MAIv7114987 ROWID2=MAIv1");
  // A row id with '-' in it: the row number and the log id are taken from the right.
  p.prefix = "fw-vpn-in_MAIv7114987-1-0-3189b7d8-8002-1315-805d-a8741dfd1b11 act=DROP";
  CHECK(firewall::tunnelFields(tunnels, p) == " ROWID1=MAIv7114987-1 ROWID2=MAIv2");
  p.prefix = "fw-vpn-in_garbage";
  CHECK(firewall::tunnelFields(tunnels, p).empty());
  p.prefix = "fw-incoming-1-3189b8c7-8002-1315-805d-a8741dfd1b11 act=ACCEPT";
  CHECK(firewall::tunnelFields(tunnels, p).empty());
}
