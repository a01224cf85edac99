// IPv4 addresses and networks as the configuration writes them
// ("192.168.1.1", "192.168.1.1/24"): one parser for the network room
// (addresses on interfaces, netmasks, gateways) and the packet filter.
// Addresses are in host order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.hpp"

namespace bulwark {

struct Ipv4Prefix {
  std::uint32_t address = 0;  // as written: host bits are kept ("192.168.1.1/24")
  unsigned length = 32;
  std::uint32_t mask() const { return length == 0 ? 0 : ~std::uint32_t(0) << (32 - length); }
  std::uint32_t network() const { return address & mask(); }
  bool contains(std::uint32_t other) const { return (other & mask()) == network(); }
  bool operator==(const Ipv4Prefix&) const = default;
};

std::optional<std::uint32_t> parseIpv4(std::string_view text);
// "a.b.c.d" (a /32) or "a.b.c.d/n"; errors name the text.
Result<Ipv4Prefix> parseIpv4Prefix(std::string_view text);
// Dotted quad.
std::string ipv4Text(std::uint32_t address);

}  // namespace bulwark
