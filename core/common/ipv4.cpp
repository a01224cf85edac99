#include "common/ipv4.hpp"

#include <arpa/inet.h>

#include <charconv>

#include <fmt/format.h>

namespace bulwark {

std::optional<std::uint32_t> parseIpv4(std::string_view text) {
  in_addr a{};
  if (text.size() > 15 || inet_pton(AF_INET, std::string(text).c_str(), &a) != 1) return std::nullopt;
  return ntohl(a.s_addr);
}

Result<Ipv4Prefix> parseIpv4Prefix(std::string_view text) {
  auto slash = text.find('/');
  auto address = parseIpv4(text.substr(0, slash));
  if (!address) return Error{fmt::format("'{}' is not an address", text)};
  Ipv4Prefix p{*address, 32};
  if (slash != std::string_view::npos) {
    std::string_view digits = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), p.length);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || p.length > 32) {
      return Error{fmt::format("'{}' has no valid prefix length", text)};
    }
  }
  return p;
}

std::string ipv4Text(std::uint32_t a) {
  return fmt::format("{}.{}.{}.{}", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

}  // namespace bulwark
