// libFuzzer target for the NTP client's reply parser (net/ntp.hpp): what any
// host on the network can send to the port of an exchange. The nonce is taken
// from the packet's own origin field, so that the fuzzer reaches the checks
// behind the origin match. Rejecting is fine; crashing, a sanitizer report or
// an accepted reply outside the documented bounds is a bug.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "net/ntp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark::net::ntp;
  std::span<const std::uint8_t> packet(data, size);
  Timestamp nonce;
  if (size >= 32) {
    nonce.seconds = std::uint32_t(data[24]) << 24 | std::uint32_t(data[25]) << 16 | std::uint32_t(data[26]) << 8 | data[27];
    nonce.fraction = std::uint32_t(data[28]) << 24 | std::uint32_t(data[29]) << 16 | std::uint32_t(data[30]) << 8 | data[31];
  }
  auto reply = parseReply(packet, nonce);
  if (reply) {
    bool bounded = reply->stratum >= 1 && reply->stratum <= 15 && reply->leap < 3 && reply->version >= 1 &&
                   reply->version <= 4 && reply->rootDelay / 2 + reply->rootDispersion <= 1.5 &&
                   std::isfinite(toUnix(reply->transmit)) && reply->reference.size() <= 15;
    if (!bounded) std::abort();
    Sample s = measure(toUnix(nonce), toUnix(reply->receive), toUnix(reply->transmit), toUnix(nonce) + 0.01);
    if (!std::isfinite(s.offset) || !std::isfinite(s.delay)) std::abort();
  }
  return 0;
}
