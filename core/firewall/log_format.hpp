// The firewall's log line of one packet, as reference 4.4 prints them (the
// fields of table 4-2): "<prefix> IN=eth0 OUT=eth1 MAC=00:15:17:20:df:7d
// SRC=10.1.80.200 DST=192.168.1.100 LEN=52 TOS=0x00 PREC=0x00 TTL=127
// ID=26695 DF PROTO=TCP SPT=23695 DPT=5201 SEQ=107412944 ACK=0 WINDOW=65535
// SYN URGP=0". IN or OUT is left out when the packet has no such interface;
// MAC is the sender's address, empty when unknown. Pure: the NFLOG reader
// (nflog.hpp) feeds it, and so does the fuzz target (test/fuzz/nflog_fuzz).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/ipv4.hpp"

namespace bulwark::firewall {

struct LoggedPacket {
  std::string prefix;  // "fw-incoming-1-<log id> act=ACCEPT"
  std::string in, out;  // interface names, "" when none
  std::optional<std::span<const std::uint8_t>> mac;  // the sender's hardware address
  std::span<const std::uint8_t> ip;  // the IPv4 packet (as much as was copied)
};

// The log line without time stamp and tag, or nullopt when `ip` is no IPv4
// header (then the line carries nothing the reference prints).
std::optional<std::string> formatLogLine(const LoggedPacket& packet);

// A tunnel of an IPsec connection: the rows (VPN_CONNECTION's and its
// TUNNEL's ROWID) and the networks it joins (length 0: any).
struct VpnTunnel {
  std::string connection, tunnel, name;
  Ipv4Prefix local, remote;
};

// What a line of an IPsec connection's firewall ("fw-vpn-in_<ROWID>-...",
// "fw-vpn-out_<ROWID>-...") adds at its end, table 4-2: the connection and
// the tunnel the packet came out of or goes into, " ROWID1=<connection>
// ROWID2=<tunnel>" (the first of the connection's tunnels whose networks
// hold its addresses); "" for any other line.
std::string tunnelFields(const std::vector<VpnTunnel>& tunnels, const LoggedPacket& packet);

}  // namespace bulwark::firewall
