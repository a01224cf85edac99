#include "net/ntp.hpp"

#include <cmath>

#include <fmt/format.h>

namespace bulwark::net::ntp {

namespace {

constexpr double kEra0ToUnix = 2208988800.0;  // seconds from 1900-01-01 to 1970-01-01
constexpr double kEraSeconds = 4294967296.0;  // 2^32
constexpr double kMaxRootDistance = 1.5;      // RFC 5905's MAXDIST, seconds

std::uint32_t be32(std::span<const std::uint8_t> p, std::size_t at) {
  return std::uint32_t(p[at]) << 24 | std::uint32_t(p[at + 1]) << 16 | std::uint32_t(p[at + 2]) << 8 | p[at + 3];
}

void put32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

Timestamp timestampAt(std::span<const std::uint8_t> p, std::size_t at) { return {be32(p, at), be32(p, at + 4)}; }

// NTP short format: 16.16 fixed point seconds.
double shortFormat(std::uint32_t v) { return v / 65536.0; }

}  // namespace

Timestamp fromUnix(double unixSeconds) {
  double ntp = unixSeconds + kEra0ToUnix;
  double whole = std::floor(ntp);
  double fraction = (ntp - whole) * kEraSeconds;
  auto seconds = static_cast<std::uint64_t>(whole);
  return {static_cast<std::uint32_t>(seconds & 0xffffffffu),
          static_cast<std::uint32_t>(std::min(fraction, kEraSeconds - 1))};
}

double toUnix(Timestamp t) {
  double seconds = t.seconds;
  if ((t.seconds & 0x80000000u) == 0) seconds += kEraSeconds;  // era 1: February 2036 onwards
  return seconds - kEra0ToUnix + t.fraction / kEraSeconds;
}

std::array<std::uint8_t, kPacketSize> request(Timestamp nonce) {
  std::array<std::uint8_t, kPacketSize> p{};
  p[0] = 0 << 6 | 4 << 3 | 3;  // leap 0, version 4, mode 3 (client)
  put32(p.data() + 40, nonce.seconds);
  put32(p.data() + 44, nonce.fraction);
  return p;
}

Result<Reply> parseReply(std::span<const std::uint8_t> p, Timestamp nonce) {
  if (p.size() < kPacketSize) return Error{fmt::format("a reply of {} bytes is too short", p.size())};
  Reply r;
  r.leap = p[0] >> 6;
  r.version = p[0] >> 3 & 7;
  unsigned mode = p[0] & 7;
  if (mode != 4) return Error{fmt::format("not a server reply (mode {})", mode)};
  if (r.version < 1 || r.version > 4) return Error{fmt::format("unknown NTP version {}", r.version)};
  if (timestampAt(p, 24) != nonce) return Error{"the reply does not answer our request"};
  r.stratum = p[1];
  r.precision = static_cast<std::int8_t>(p[3]);
  r.rootDelay = shortFormat(be32(p, 4));
  r.rootDispersion = shortFormat(be32(p, 8));
  if (r.stratum == 0) {
    std::string code;
    for (std::size_t i = 12; i < 16; ++i) code += (p[i] >= 0x20 && p[i] < 0x7f) ? static_cast<char>(p[i]) : '?';
    return Error{"kiss code " + code};
  }
  if (r.stratum > 15) return Error{fmt::format("the server is not synchronised (stratum {})", r.stratum)};
  if (r.leap == 3) return Error{"the server is not synchronised (leap indicator 3)"};
  if (r.rootDelay / 2 + r.rootDispersion > kMaxRootDistance) {
    return Error{fmt::format("the server's root distance of {:.3f} s is too large", r.rootDelay / 2 + r.rootDispersion)};
  }
  if (r.stratum == 1) {
    for (std::size_t i = 12; i < 16 && p[i] != 0; ++i) {
      r.reference += (p[i] >= 0x20 && p[i] < 0x7f) ? static_cast<char>(p[i]) : '?';
    }
  } else {
    r.reference = fmt::format("{}.{}.{}.{}", p[12], p[13], p[14], p[15]);
  }
  r.receive = timestampAt(p, 32);
  r.transmit = timestampAt(p, 40);
  if (r.receive == Timestamp{} || r.transmit == Timestamp{}) return Error{"the reply has no time stamps"};
  return r;
}

Sample measure(double t1, double t2, double t3, double t4) {
  return {((t2 - t1) + (t3 - t4)) / 2, (t4 - t1) - (t3 - t2)};
}

}  // namespace bulwark::net::ntp
