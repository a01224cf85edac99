// The NTP wire format (RFC 5905, section 7.3) as the client needs it: the
// 48-byte request of a client (mode 3) and the checked reply of a server
// (mode 4), and the offset and round-trip delay of one exchange. Pure
// functions: the fuzz target (test/fuzz/ntp_fuzz.cpp) feeds parseReply.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "common/status.hpp"

namespace bulwark::net::ntp {

constexpr std::size_t kPacketSize = 48;

// A 64-bit NTP time stamp: seconds since 1900 (modulo 2^32) and a binary fraction.
struct Timestamp {
  std::uint32_t seconds = 0;
  std::uint32_t fraction = 0;
  bool operator==(const Timestamp&) const = default;
};

// Unix time (seconds since 1970, fractional) to an NTP time stamp and back;
// time stamps with the top bit clear are read as era 1 (2036 to 2104).
Timestamp fromUnix(double unixSeconds);
double toUnix(Timestamp t);

// A client request. Its transmit time stamp is `nonce`, not the clock: the
// server echoes it as the origin of its reply, which is how a reply is
// matched to its request (RFC 9109 advises against revealing the clock).
std::array<std::uint8_t, kPacketSize> request(Timestamp nonce);

struct Reply {
  unsigned leap = 0;      // 0..2; 3 (not synchronised) is refused
  unsigned version = 0;   // 1..4
  unsigned stratum = 0;   // 1..15
  int precision = 0;      // log2 seconds
  double rootDelay = 0;   // seconds
  double rootDispersion = 0;
  std::string reference;  // the reference id: four letters at stratum 1, else a dotted address
  Timestamp receive;      // T2: the request arrived at the server
  Timestamp transmit;     // T3: the reply left the server
};

// Parses and checks the reply to the request that carried `nonce`: a server
// reply (mode 4) of version 1 to 4, the origin equal to the nonce, a
// synchronised server of stratum 1 to 15 with plausible root delay and
// dispersion, and non-zero time stamps. A kiss-o'-death packet (stratum 0)
// is an error "kiss code XXXX".
Result<Reply> parseReply(std::span<const std::uint8_t> packet, Timestamp nonce);

// One exchange: T1 (request sent) and T4 (reply received) on our clock, T2
// and T3 on the server's. offset = ((T2 - T1) + (T3 - T4)) / 2, the amount
// to add to our clock; delay = (T4 - T1) - (T3 - T2), the round trip.
struct Sample {
  double offset = 0;
  double delay = 0;
};
Sample measure(double t1, double t2, double t3, double t4);

}  // namespace bulwark::net::ntp
